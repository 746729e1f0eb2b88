"""The plan of introductions worked out in the background: asking for it (a run queued through
the task queue), the worker working it out, the run's page (progress, then the plan), failure,
a stopped worker, two requests for the same plan, and who may see what (docs/decisions/0033)."""

import datetime as dt
from collections import Counter
from unittest import mock

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from diagnostic.audit.models import AuditEvent
from diagnostic.broker import queries, services
from diagnostic.broker.models import STALE_AFTER, PlanRun, Visibility
from diagnostic.broker.plan import exhaustive
from diagnostic.broker.scoring import all_pairs
from diagnostic.broker.testing import BrokerTestCase, choose, run_queued_tasks
from diagnostic.organisations.models import Cluster

AB = 2 * 6 * 9 / 15  # A gains 6 in OSV1, B gains 9 in MCR2 (docs/metrics.md)
BD = AB  # B gains 9 in MCR2 from D, D gains 6 in EC1 from B
AC = CD = 2 * 6 * 1 / 7


class PlanRunTestCase(BrokerTestCase):
    def ask(self, user, **data):
        """POST the plan form as `user`; returns the response."""
        self.client.force_login(user)
        return self.client.post(reverse("broker:plan", args=[self.round.pk]), data)

    def run_url(self, run):
        return reverse("broker:plan_run", args=[self.round.pk, run.pk])

    def worked_out(self, user, **data):
        """Ask, run the queue, and return the run's page."""
        r = self.ask(user, **data)
        run = PlanRun.objects.latest("pk")
        self.assertRedirects(r, self.run_url(run))
        run_queued_tasks()
        return self.client.get(self.run_url(run))

    def pairs(self, r):
        return sorted((row["a"], row["b"]) for row in r.context["rows"])


class AskingTests(PlanRunTestCase):
    def test_asking_queues_a_run_and_its_page_says_it_is_waiting(self):
        r = self.ask(self.erin, capacity=2)
        run = PlanRun.objects.get()
        self.assertRedirects(r, self.run_url(run))
        self.assertEqual(
            (run.status, run.capacity, run.region, run.cluster, run.national, run.requested_by),
            (PlanRun.Status.QUEUED, 2, None, None, True, self.erin),
        )
        self.assertEqual(run.time_limit, services.BACKGROUND_TIME_LIMIT)
        task = DBTaskResult.objects.get()
        self.assertEqual((str(task.id), task.args_kwargs["args"]), (run.task_id, [run.pk]))
        self.assertEqual(
            AuditEvent.objects.filter(
                action="broker.plan_requested", object_id=str(run.pk)
            ).count(),
            1,
        )
        r = self.client.get(self.run_url(run))
        self.assertContains(r, "Waiting to start")
        self.assertContains(r, 'hx-trigger="every 2s"')
        self.assertContains(r, f'<a href="{self.run_url(run)}">Refresh</a>', html=True)
        self.assertIsNone(r.context.get("gap_percent"))

    def test_two_requests_for_the_same_plan_share_one_run(self):
        self.ask(self.erin, capacity=1)
        r = self.ask(self.nina, capacity=1)  # the national team: the same question
        run = PlanRun.objects.get()
        self.assertRedirects(r, self.run_url(run), fetch_redirect_response=False)
        self.assertEqual(DBTaskResult.objects.count(), 1)
        # Another N, or another scope, is another question.
        self.ask(self.erin, capacity=2)
        self.ask(self.erin, capacity=1, region="E12000008")
        self.assertEqual(PlanRun.objects.count(), 3)
        # Running still counts; once done, asking again works it out afresh.
        PlanRun.objects.filter(pk=run.pk).update(status=PlanRun.Status.RUNNING)
        self.ask(self.erin, capacity=1)
        self.assertEqual(PlanRun.objects.count(), 3)
        PlanRun.objects.filter(pk=run.pk).update(status=PlanRun.Status.DONE)
        self.ask(self.erin, capacity=1)
        self.assertEqual(PlanRun.objects.count(), 4)

    def test_the_same_question_at_the_same_moment_gets_one_run(self):
        """The database allows one queued or running run per question (a race ends in one)."""
        run, created = services.do_request_plan(rnd=self.round, capacity=1, by=self.erin)
        with mock.patch.object(PlanRun.objects, "select_for_update") as racing:
            # As if the other request had not yet committed when this one looked.
            racing.return_value.filter.return_value.first.return_value = None
            again, created_again = services.do_request_plan(
                rnd=self.round, capacity=1, by=self.erin
            )
        self.assertEqual((created, created_again, again.pk), (True, False, run.pk))
        self.assertEqual(PlanRun.objects.count(), 1)

    def test_bad_input_is_refused_and_queues_nothing(self):
        for data in [{"capacity": 0}, {"capacity": "x"}, {"capacity": 99}, {}, {"capacity": 1, "region": "nowhere"}, {"capacity": 1, "cluster": "x"}, {"capacity": 1, "cluster": 987654}]:  # fmt: skip
            with self.subTest(data):
                r = self.ask(self.erin, **data)
                self.assertEqual(r.status_code, 200)
                self.assertTrue(r.context["form"].errors)
        self.assertFalse(PlanRun.objects.exists())
        self.assertFalse(DBTaskResult.objects.exists())
        with self.assertRaises(services.Refused):
            services.do_request_plan(rnd=self.round, capacity=0, by=self.erin)

    def test_the_form_page_lists_recent_plans_and_takes_no_other_method(self):
        self.ask(self.erin, capacity=1)
        r = self.client.get(reverse("broker:plan", args=[self.round.pk]))
        self.assertContains(r, "Plans worked out recently")
        self.assertContains(r, self.run_url(PlanRun.objects.get()))
        self.assertFalse(r.context["form"].is_bound)
        r = self.client.generic("PUT", reverse("broker:plan", args=[self.round.pk]))
        self.assertEqual(r.status_code, 405)


class WorkedOutTests(PlanRunTestCase):
    def test_the_national_plan_is_optimal_and_respects_every_capacity(self):
        scores = all_pairs(
            queries.councils_for(self.round.pk, queries.NATIONAL),
            queries.level_scale(self.framework.pk),
        )
        for n, total in [(1, AB + CD), (2, AB + BD + AC + CD), (3, AB + BD + AC + CD)]:
            with self.subTest(n=n):
                r = self.worked_out(self.erin, capacity=n)
                run = r.context["run"]
                self.assertEqual((run.status, run.fraction, run.stage), ("done", 1.0, "Done"))
                self.assertTrue(run.result["optimal"])
                self.assertAlmostEqual(run.result["total"], total)
                self.assertAlmostEqual(run.result["total"], exhaustive(scores, n))
                load = Counter(v for p in self.pairs(r) for v in p)
                self.assertLessEqual(max(load.values()), n)
                self.assertAlmostEqual(sum(row["score"] for row in r.context["rows"]), total)
                self.assertNotContains(r, "hx-trigger")
        self.assertContains(r, "This is the best possible plan")
        self.assertContains(r, "Council A and Council B")
        self.assertContains(r, "Propose<span")  # Erin, a national admin, can propose from it
        self.assertEqual(AuditEvent.objects.filter(action="broker.plan_done").count(), 3)

    def test_the_worker_reports_each_stage_in_order(self):
        seen = []
        real = services._Reporter.__call__

        def spy(reporter, stage, done, total):
            real(reporter, stage, done, total)
            run = PlanRun.objects.get(pk=reporter.run_id)
            seen.append((run.status, run.stage, run.fraction))

        self.ask(self.erin, capacity=1)
        with (
            mock.patch.object(services, "PROGRESS_EVERY", 0),
            mock.patch.object(services._Reporter, "__call__", spy),
        ):
            run_queued_tasks()
        self.assertEqual({s for s, _, _ in seen}, {"running"})
        stages = [stage for _, stage, _ in seen]
        self.assertEqual(
            list(dict.fromkeys(stages)),
            ["Reading the answers", "Scoring councils", "Finding the best plan"],
        )
        fractions = [f for _, _, f in seen]
        self.assertEqual(fractions, sorted(fractions))
        self.assertEqual((fractions[0], fractions[-1]), (0.0, 1.0))

    def test_a_running_plan_shows_its_progress_and_htmx_gets_only_the_part_that_changes(self):
        self.ask(self.erin, capacity=1)
        run = PlanRun.objects.get()
        PlanRun.objects.filter(pk=run.pk).update(
            status="running", stage="Scoring councils", fraction=0.45
        )
        r = self.client.get(self.run_url(run))
        self.assertContains(r, "Scoring councils</label>: 45 %")
        self.assertContains(r, 'value="45"')
        r = self.client.get(self.run_url(run), headers={"HX-Request": "true"})
        self.assertContains(r, 'id="plan-run"')
        self.assertNotContains(r, "<html")
        self.assertContains(r, 'hx-trigger="every 2s"')
        run_queued_tasks()  # it is running already (elsewhere): this worker leaves it alone
        self.assertEqual(PlanRun.objects.get().status, "running")

    def test_the_last_poll_brings_the_plan(self):
        self.ask(self.erin, capacity=1)
        run_queued_tasks()
        run = PlanRun.objects.get()
        r = self.client.get(self.run_url(run), headers={"HX-Request": "true"})
        self.assertNotContains(r, "<html")
        self.assertNotContains(r, "hx-trigger")
        self.assertContains(r, "2 introductions in England, Wales and Northern Ireland")

    def test_councils_that_chose_not_at_all_are_never_planned(self):
        choose(self.round, self.council_c, Visibility.NONE)
        r = self.worked_out(self.erin, capacity=2)
        self.assertEqual(
            self.pairs(r),
            sorted(
                [(self.council_a.pk, self.council_b.pk), (self.council_b.pk, self.council_d.pk)]
            ),
        )
        self.assertNotContains(r, "Council C")
        # Only the LGA and its region: the LGA plans it.
        choose(self.round, self.council_c, Visibility.LGA_REGION)
        self.assertContains(self.worked_out(self.erin, capacity=2), "Council C")

    def test_a_choice_made_after_the_plan_takes_it_out_of_the_plan_at_once(self):
        r = self.worked_out(self.erin, capacity=1)
        run = r.context["run"]
        self.assertContains(r, "Council B")
        choose(self.round, self.council_b, Visibility.NONE)
        r = self.client.get(self.run_url(run))
        self.assertNotContains(r, "Council B")
        b = self.council_b.pk
        kept = sorted((x["a"], x["b"]) for x in run.result["rows"] if b not in (x["a"], x["b"]))
        self.assertEqual(len(kept), 1)  # of the plan's two introductions, one was with B
        self.assertEqual(self.pairs(r), kept)
        self.assertEqual(r.context["hidden"], 1)
        self.assertContains(r, "1 introduction of this plan is left out")

    def test_a_regional_lead_plans_in_their_region_only(self):
        r = self.worked_out(self.dana, capacity=1)
        self.assertEqual(r.context["where"], "North West")
        self.assertEqual(r.context["rows"], [])  # A and D would not each gain
        self.assertContains(r, "No two councils here would each gain from the other.")
        run = r.context["run"]
        self.assertEqual(
            (run.region, run.national, run.audience_regions),
            (self.north_west, False, [self.north_west.pk]),
        )
        self.assertNotContains(r, "Propose<span")
        # Another region or its cluster is not among her choices: nothing is queued.
        other = Cluster.objects.create(name="Kent and friends", region=self.south_east)
        for data in [{"region": "E12000008"}, {"cluster": other.pk}]:
            with self.subTest(data):
                self.assertEqual(self.ask(self.dana, capacity=1, **data).status_code, 200)
        self.assertEqual(PlanRun.objects.count(), 1)

    def test_a_cluster_plan(self):
        cluster = Cluster.objects.create(name="South East pair", region=self.south_east)
        cluster.organisations.set([self.council_a, self.council_b])
        r = self.worked_out(self.erin, capacity=1, cluster=cluster.pk)
        self.assertEqual(self.pairs(r), [(self.council_a.pk, self.council_b.pk)])
        self.assertEqual(r.context["where"], "South East pair")

    def test_the_run_page_keeps_to_the_page_statement_budget(self):
        r = self.worked_out(self.erin, capacity=2)
        with CaptureQueriesContext(connection) as queries_run:
            r = self.client.get(self.run_url(r.context["run"]))
        self.assertEqual(len(r.context["rows"]), 4)
        self.assertLessEqual(len(queries_run), 10)

    def test_a_long_plan_is_shown_a_page_at_a_time_and_proposing_returns_to_that_page(self):
        r = self.worked_out(self.erin, capacity=1)
        run = r.context["run"]
        first = run.result["rows"][0]
        run.result["rows"] = [
            {**first, "a_name": f"Council {n:02d}", "score": 100 - n} for n in range(30)
        ]
        run.save(update_fields=["result"])
        r = self.client.get(self.run_url(run))
        self.assertContains(r, "30 introductions in England, Wales and Northern Ireland")
        self.assertEqual([x["a_name"] for x in r.context["rows"]][:2], ["Council 00", "Council 01"])
        self.assertEqual(len(r.context["rows"]), 25)
        self.assertContains(r, "Showing 1–25 of 30")
        self.assertNotContains(r, "Council 25 and")
        r = self.client.get(self.run_url(run) + "?page=2")
        self.assertEqual(
            [x["a_name"] for x in r.context["rows"]], [f"Council {n}" for n in range(25, 30)]
        )
        self.assertContains(r, "Showing 26–30 of 30")
        self.assertContains(r, f'name="back" value="{self.run_url(run)}?page=2"')
        for bad in ["0", "99", "x"]:  # out of range or not a number: a page, never an error
            with self.subTest(bad):
                self.assertEqual(self.client.get(self.run_url(run), {"page": bad}).status_code, 200)

    def test_proposing_goes_back_only_to_a_page_of_this_site(self):
        r = self.worked_out(self.erin, capacity=1)
        row = r.context["rows"][0]
        url = reverse("broker:propose", args=[self.round.pk])
        for back in ["//evil.example/x", "/\\evil.example/x", "https://evil.example/"]:
            with self.subTest(back):
                r = self.client.post(url, {"first": row["a"], "second": "", "back": back})
                self.assertRedirects(
                    r, reverse("broker:plan", args=[self.round.pk]), fetch_redirect_response=False
                )
        back = self.run_url(PlanRun.objects.get()) + "?page=1"
        r = self.client.post(url, {"first": row["a"], "second": "", "back": back})
        self.assertRedirects(r, back, fetch_redirect_response=False)

    def test_retention_deletes_the_queues_records_of_old_jobs_and_keeps_the_plan(self):
        import io

        from django.core.management import call_command

        self.ask(self.erin, capacity=1)
        run_queued_tasks()
        self.ask(self.erin, capacity=2)  # still waiting: never deleted
        run = PlanRun.objects.get(capacity=1)
        self.assertEqual(DBTaskResult.objects.count(), 2)
        out = io.StringIO()
        call_command("apply_retention", stdout=out)  # finished today: kept
        self.assertIn("finished background jobs: 0 deleted", out.getvalue())
        DBTaskResult.objects.filter(pk=run.task_id).update(
            finished_at=timezone.now() - dt.timedelta(days=8)
        )
        out = io.StringIO()
        call_command("apply_retention", stdout=out)
        self.assertIn("finished background jobs: 1 deleted", out.getvalue())
        self.assertEqual(list(DBTaskResult.objects.values_list("status", flat=True)), ["READY"])
        r = self.client.get(self.run_url(run))  # the plan itself is kept
        self.assertContains(r, "2 introductions in England, Wales and Northern Ireland")


class FailureTests(PlanRunTestCase):
    def test_a_plan_that_fails_says_so_and_can_be_run_again(self):
        self.ask(self.erin, capacity=1)
        with mock.patch.object(queries, "plan_for", side_effect=RuntimeError("solver fell over")):
            run_queued_tasks()
        run = PlanRun.objects.get()
        self.assertEqual(run.status, "failed")
        self.assertEqual(run.error, "The plan could not be worked out (RuntimeError).")
        self.assertEqual(DBTaskResult.objects.get().status, "FAILED")
        self.assertTrue(AuditEvent.objects.filter(action="broker.plan_failed").exists())
        r = self.client.get(self.run_url(run))
        self.assertContains(r, "This plan stopped")
        self.assertContains(r, "The plan could not be worked out (RuntimeError).")
        self.assertNotContains(r, "solver fell over")  # no internals on the page
        self.assertContains(r, "Run it again")
        self.assertNotContains(r, "hx-trigger")
        r = self.ask(self.erin, capacity=1)  # the "run again" form's fields
        again = PlanRun.objects.latest("pk")
        self.assertNotEqual(again.pk, run.pk)
        run_queued_tasks()
        self.assertEqual(PlanRun.objects.get(pk=again.pk).status, "done")

    def test_a_run_whose_worker_stopped_shows_as_stopped_and_a_new_request_replaces_it(self):
        self.ask(self.erin, capacity=1)
        run = PlanRun.objects.get()
        long_ago = timezone.now() - STALE_AFTER - dt.timedelta(seconds=1)
        PlanRun.objects.filter(pk=run.pk).update(status="running", progress_at=long_ago)
        r = self.client.get(self.run_url(run))
        self.assertTrue(r.context["stale"])
        self.assertContains(r, "This plan stopped")
        self.assertContains(r, "may have stopped")
        self.assertContains(r, '<input type="hidden" name="capacity" value="1">', html=True)
        self.assertNotContains(r, "hx-trigger")
        r = self.ask(self.erin, capacity=1)
        new = PlanRun.objects.latest("pk")
        self.assertNotEqual(new.pk, run.pk)
        self.assertRedirects(r, self.run_url(new))
        run.refresh_from_db()
        self.assertEqual(run.status, "failed")
        self.assertEqual(run.error, "It stopped: no progress for a long while.")
        # A worker that comes back to the stopped run leaves it stopped.
        self.assertIsNone(services.do_work_out_plan(run_id=run.pk))
        self.assertEqual(PlanRun.objects.get(pk=run.pk).status, "failed")

    def test_a_queued_run_that_no_worker_picks_up_is_stopped_too(self):
        self.ask(self.erin, capacity=1)
        run = PlanRun.objects.get()
        PlanRun.objects.filter(pk=run.pk).update(progress_at=timezone.now() - 2 * STALE_AFTER)
        self.assertTrue(self.client.get(self.run_url(run)).context["stale"])


class AccessTests(PlanRunTestCase):
    def test_who_may_ask(self):
        for user, status in [(self.bob, 403), (self.alice, 403), (self.victor, 403), (self.charlie, 403), (self.zoe, 403), (self.nina, 302), (self.dana, 302), (self.erin, 302)]:  # fmt: skip
            with self.subTest(user.email):
                self.assertEqual(self.ask(user, capacity=1).status_code, status)
                self.client.force_login(user)
                get = self.client.get(reverse("broker:plan", args=[self.round.pk]))
                self.assertEqual(get.status_code, 200 if status == 302 else 403)

    def test_who_may_see_a_run(self):
        self.ask(self.erin, capacity=1)
        national = PlanRun.objects.get()
        self.ask(self.dana, capacity=1)
        regional = PlanRun.objects.latest("pk")
        for user, run, status in [
            (self.erin, national, 200), (self.nina, national, 200), (self.dana, national, 404),
            (self.erin, regional, 200), (self.nina, regional, 200), (self.dana, regional, 200),
            (self.bob, national, 403), (self.charlie, regional, 403), (self.zoe, regional, 403),
        ]:  # fmt: skip
            with self.subTest(user=user.email, run=run.pk):
                self.client.force_login(user)
                self.assertEqual(self.client.get(self.run_url(run)).status_code, status)
        self.client.force_login(self.erin)
        for url in [
            reverse("broker:plan_run", args=[self.round.pk + 1000, national.pk]),
            reverse("broker:plan_run", args=[self.round.pk, 987654]),
        ]:
            self.assertEqual(self.client.get(url).status_code, 404)
        self.assertEqual(self.client.post(self.run_url(national)).status_code, 405)

    def test_a_regional_lead_does_not_see_the_national_plans_in_the_list(self):
        self.ask(self.erin, capacity=1)
        self.client.force_login(self.dana)
        r = self.client.get(reverse("broker:plan", args=[self.round.pk]))
        self.assertEqual(r.context["runs"], [])
