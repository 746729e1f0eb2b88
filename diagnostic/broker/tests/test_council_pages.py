"""A council lead's suggestions, disclosure choice, introductions and outcomes, over HTTP."""

import datetime as dt
from io import StringIO

from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from diagnostic.assessments.models import Response
from diagnostic.audit.models import AuditEvent
from diagnostic.broker import services
from diagnostic.broker.models import Disclosure, Introduction, Outcome, Visibility
from diagnostic.broker.testing import STRONG, BrokerTestCase, choose, need, submit_with


class PartnersPageTests(BrokerTestCase):
    def url(self, response=None):
        return reverse("broker:partners", args=[(response or self.response_a).pk])

    def test_it_ranks_partners_with_reasons_both_ways(self):
        self.client.force_login(self.bob)
        r = self.client.get(self.url())
        self.assertEqual(r.status_code, 200)
        names = [row["m"].second.name for row in r.context["rows"]]
        self.assertEqual(names, ["Council B", "Council C"])
        top = r.context["rows"][0]["m"]
        self.assertAlmostEqual(top.score, 2 * 6 * 9 / 15)
        self.assertContains(
            r, "Council A is Leader in MCR2 where Council B is Developing and wants support"
        )
        self.assertContains(r, "Council B is Leader in OSV1 where Council A is Developing")
        self.assertNotContains(r, "Council D")  # D would gain from A, A nothing from D

    def test_filters_by_region_and_type(self):
        self.client.force_login(self.bob)
        r = self.client.get(self.url(), {"region": "E12000008", "type": "county"})
        self.assertEqual([row["m"].second.name for row in r.context["rows"]], ["Council B"])
        r = self.client.get(self.url(), {"region": "E12000002"})
        self.assertEqual(r.context["rows"], [])
        r = self.client.get(self.url(), {"region": "nonsense", "type": "nonsense"})
        self.assertEqual(r.status_code, 200)  # an unknown filter is ignored, not an error

    def test_councils_that_did_not_choose_named_never_appear(self):
        self.client.force_login(self.bob)
        for choice in (Visibility.NONE, Visibility.LGA_REGION):
            choose(self.round, self.council_b, choice)
            r = self.client.get(self.url())
            with self.subTest(choice):
                self.assertEqual([row["m"].second.name for row in r.context["rows"]], ["Council C"])
                self.assertNotContains(r, "Council B")
        # No row at all is the cautious default.
        Disclosure.objects.filter(organisation=self.council_b).delete()
        self.assertNotContains(self.client.get(self.url()), "Council B")

    def test_a_reopening_and_a_new_submission_are_reflected_at_once_reading_only_that_council(self):
        """The broker's copy of the round is refreshed in part: only the council whose response
        changed has its answers read again (issue 11), and what it shows is what was submitted."""
        from unittest import mock

        from diagnostic.analytics.cache import bump
        from diagnostic.assessments.services import do_reopen
        from diagnostic.broker import queries

        def partners():
            r = self.client.get(self.url(self.response_b))
            return {row["m"].second.name: row["m"] for row in r.context["rows"]}

        self.client.force_login(self.charlie)
        self.assertAlmostEqual(partners()["Council A"].score, 2 * 6 * 9 / 15)  # the copy is made
        with self.captureOnCommitCallbacks(execute=True):
            do_reopen(response=self.response_a, by=self.erin, reason="A correction")
        with mock.patch.object(queries, "_read_answers", wraps=queries._read_answers) as read:
            self.assertNotIn("Council A", partners())
        self.assertEqual([c.args for c in read.call_args_list], [([],)])  # nothing to read
        # Council A submits again: no longer strong in MCR2, so B gains nothing from it...
        submit_with(self.response_a, {"MCR2": need(), "OSV1": need(), "EC1": STRONG}, self.codes)
        bump(self.round.pk)  # as `do_submit` does once committed
        with mock.patch.object(queries, "_read_answers", wraps=queries._read_answers) as read:
            self.assertNotIn("Council A", partners())
        self.assertEqual([c.args for c in read.call_args_list], [([self.response_a.pk],)])
        # ... and then again as it was: back, with its reasons.
        submit_with(self.response_a, {"MCR2": STRONG, "OSV1": need(), "EC1": STRONG}, self.codes)
        bump(self.round.pk)
        m = partners()["Council A"]
        self.assertAlmostEqual(m.score, 2 * 6 * 9 / 15)
        self.assertIn("Council A is Leader in MCR2", " ".join(r.text for r in m.first_reasons))
        # The whole copy equals one made from scratch.
        fresh, _ = queries._load_councils(self.round.pk)
        self.assertEqual(queries.round_councils(self.round.pk), fresh)

    def test_only_the_lead_sees_it(self):
        for user, status in [(self.alice, 403), (self.victor, 403), (self.charlie, 404), (self.dana, 404), (self.erin, 403), (self.zoe, 404)]:  # fmt: skip
            self.client.force_login(user)
            with self.subTest(user.email):
                self.assertEqual(self.client.get(self.url()).status_code, status)

    def test_until_a_council_submits_its_last_submitted_answers_on_the_framework_count(self):
        import datetime as dt

        from diagnostic.assessments.models import Round

        earlier = Round.objects.create(
            name="NPS earlier", framework_version=self.framework, opens_on=dt.date(2021, 1, 1),
            closes_on=dt.date(2021, 3, 1), eligibility_date=dt.date(2021, 1, 1), status="closed",
        )  # fmt: skip
        Round.objects.filter(pk=self.round.pk).update(previous_round=earlier)
        old_a = Response.objects.create(round=earlier, organisation=self.council_a)
        submit_with(old_a, {"MCR2": STRONG, "OSV1": need()}, self.codes)
        Response.objects.filter(pk=self.response_a.pk).update(status=Response.Status.DRAFT)
        self.client.force_login(self.charlie)
        r = self.client.get(self.url(self.response_b))
        self.assertIn("Council A", [row["m"].second.name for row in r.context["rows"]])
        self.assertContains(r, "(answers from NPS earlier)")
        self.client.force_login(self.bob)
        r = self.client.get(self.url())
        self.assertContains(r, "your suggestions use your answers from NPS earlier")
        self.assertEqual(r.context["rows"][0]["m"].second.name, "Council B")

    def test_a_draft_response_is_asked_to_submit_first(self):
        Response.objects.filter(pk=self.response_a.pk).update(status=Response.Status.DRAFT)
        self.client.force_login(self.bob)
        r = self.client.get(self.url())
        self.assertContains(r, "Submit your response to see councils")
        self.assertEqual(r.context["rows"], [])


class AskAndAnswerTests(BrokerTestCase):
    def ask(self, partner_id):
        self.client.force_login(self.bob)
        return self.client.post(
            reverse("broker:ask", args=[self.response_a.pk]), {"partner": partner_id}
        )

    def test_asking_creates_a_proposal_accepted_on_our_side_and_emails_their_lead(self):
        r = self.ask(self.council_b.pk)
        intro = Introduction.objects.get()
        self.assertRedirects(r, reverse("broker:introduction", args=[intro.pk]))
        self.assertEqual(
            (intro.first, intro.second, intro.status), (self.council_a, self.council_b, "proposed")
        )
        self.assertEqual(
            (intro.first_answer, intro.second_answer, intro.proposed_as),
            ("accepted", "", "council"),
        )
        self.assertEqual([m.to for m in mail.outbox], [["charlie@example.org"]])
        self.assertIn(
            "Council A Metropolitan Borough Council would like to be introduced",
            mail.outbox[0].body,
        )
        self.assertNotIn("bob@example.org", mail.outbox[0].body)
        self.assertTrue(
            AuditEvent.objects.filter(
                action="broker.introduction_proposed", object_id=str(intro.pk)
            ).exists()
        )

    def test_asking_for_a_council_not_named_to_others_or_missing_or_not_mutual_is_refused_alike(
        self,
    ):
        choose(self.round, self.council_b, Visibility.LGA_REGION)
        for partner in [self.council_b.pk, 987654, "x", ""]:
            with self.subTest(partner):
                r = self.ask(partner)
                self.assertRedirects(r, reverse("broker:partners", args=[self.response_a.pk]))
        choose(self.round, self.council_d)
        self.ask(self.council_d.pk)  # named, but A would gain nothing from D
        self.assertFalse(Introduction.objects.exists())
        self.assertEqual(mail.outbox, [])

    def test_asking_twice_is_refused(self):
        self.ask(self.council_b.pk)
        self.ask(self.council_b.pk)
        self.assertEqual(Introduction.objects.count(), 1)

    def test_contact_details_only_after_both_accepted(self):
        self.ask(self.council_b.pk)
        intro = Introduction.objects.get()
        page = reverse("broker:introduction", args=[intro.pk])
        for user in (self.bob, self.charlie):
            self.client.force_login(user)
            r = self.client.get(page)
            self.assertContains(
                r, "Contact details are shared only once both councils have accepted"
            )
            self.assertNotContains(r, "bob@example.org")
            self.assertNotContains(r, "charlie@example.org")
        mail.outbox = []
        self.client.force_login(self.charlie)
        r = self.client.post(
            reverse("broker:answer", args=[intro.pk]), {"answer": "accept", "note": ""}
        )
        intro.refresh_from_db()
        self.assertEqual(intro.status, "accepted")
        self.assertContains(self.client.get(page), "bob@example.org")
        self.client.force_login(self.bob)
        self.assertContains(self.client.get(page), "charlie@example.org")
        bodies = {m.to[0]: m.body for m in mail.outbox}
        self.assertEqual(set(bodies), {"bob@example.org", "charlie@example.org"})
        self.assertIn("Charlie Dunn", bodies["bob@example.org"])
        self.assertIn("charlie@example.org", bodies["bob@example.org"])
        self.assertIn("bob@example.org", bodies["charlie@example.org"])
        self.assertIn(
            "Council A is Leader in MCR2 where Council B is Developing",
            bodies["charlie@example.org"],
        )

    def test_declining_with_a_note_closes_it_and_the_note_stays_with_the_broker(self):
        self.ask(self.council_b.pk)
        intro = Introduction.objects.get()
        mail.outbox = []
        self.client.force_login(self.charlie)
        self.client.post(
            reverse("broker:answer", args=[intro.pk]),
            {"answer": "decline", "note": "Busy this year"},
        )
        intro.refresh_from_db()
        self.assertEqual((intro.status, intro.second_note), ("declined", "Busy this year"))
        self.assertEqual([m.to for m in mail.outbox], [["bob@example.org"]])
        self.assertNotIn("Busy this year", mail.outbox[0].body)
        self.client.force_login(self.bob)
        self.assertNotContains(
            self.client.get(reverse("broker:introduction", args=[intro.pk])), "Busy this year"
        )
        self.client.force_login(self.erin)
        self.assertContains(
            self.client.get(reverse("broker:introduction", args=[intro.pk])), "Busy this year"
        )
        # Answering again changes nothing.
        self.client.force_login(self.charlie)
        self.client.post(reverse("broker:answer", args=[intro.pk]), {"answer": "accept"})
        intro.refresh_from_db()
        self.assertEqual(intro.status, "declined")

    def test_bad_answers_change_nothing(self):
        self.ask(self.council_b.pk)
        intro = Introduction.objects.get()
        url = reverse("broker:answer", args=[intro.pk])
        self.client.force_login(self.charlie)
        for data in [{}, {"answer": "maybe"}, {"answer": "accept", "note": "x" * 1001}]:
            self.client.post(url, data)
        # Only the two leads answer: those who may see it 403 (Dana: Council A is in her region), others 404.
        for user, status in [
            (self.alice, 404),
            (self.erin, 403),
            (self.dana, 403),
            (self.zoe, 404),
        ]:
            self.client.force_login(user)
            self.assertEqual(self.client.post(url, {"answer": "accept"}).status_code, status, user)
        self.client.force_login(self.bob)
        self.client.post(url, {"answer": "decline"})  # Bob already accepted when asking
        intro.refresh_from_db()
        self.assertEqual(
            (intro.status, intro.second_answer, intro.first_answer), ("proposed", "", "accepted")
        )
        self.assertEqual(self.client.get(url).status_code, 405)

    def test_a_national_proposal_hides_a_council_not_named_until_it_accepts(self):
        choose(self.round, self.council_c, Visibility.LGA_REGION)
        intro = services.do_propose(
            rnd=self.round, a=self.council_a, b=self.council_c, by=self.erin
        )
        self.assertEqual(
            sorted(m.to[0] for m in mail.outbox), ["bob@example.org", "cleo@example.org"]
        )
        bob_mail = next(m for m in mail.outbox if m.to == ["bob@example.org"])
        self.assertNotIn("Council C", bob_mail.body)
        page = reverse("broker:introduction", args=[intro.pk])
        self.client.force_login(self.bob)
        r = self.client.get(page)
        self.assertNotContains(r, "Council C")
        self.assertContains(r, "another council")
        self.client.force_login(self.cleo)
        self.assertContains(self.client.get(page), "Council A")  # A is named to other councils
        self.client.post(reverse("broker:answer", args=[intro.pk]), {"answer": "accept"})
        self.client.force_login(self.bob)
        self.assertContains(self.client.get(page), "Council C")

    def test_levels_are_shown_after_acceptance_only_if_the_partner_allows_it(self):
        intro = services.do_propose(
            rnd=self.round, a=self.council_a, b=self.council_b, by=self.erin
        )
        page = reverse("broker:introduction", args=[intro.pk])
        for user in (self.bob, self.charlie):
            services.do_answer(
                introduction=intro,
                organisation=user.memberships.get().organisation,
                accept=True,
                note="",
                by=user,
            )
            intro.refresh_from_db()
        self.client.force_login(self.bob)
        self.assertIsNone(self.client.get(page).context["levels"])
        choose(self.round, self.council_b, Visibility.NAMED, show_levels=True)
        levels = self.client.get(page).context["levels"]
        self.assertEqual(
            [(r["code"], r["mine"], r["theirs"]) for r in levels],
            [
                ("EC1", "Leader", "Leader"),
                ("MCR2", "Leader", "Developing"),
                ("OSV1", "Developing", "Leader"),
            ],
        )


class DisclosureTests(BrokerTestCase):
    def test_the_default_is_not_at_all_and_the_lead_changes_it_with_immediate_effect(self):
        Disclosure.objects.filter(organisation=self.council_a).delete()
        self.client.force_login(self.bob)
        url = reverse("broker:disclosure", args=[self.response_a.pk])
        self.assertEqual(self.client.get(url).context["form"].initial["visibility"], "none")
        self.client.force_login(self.charlie)
        self.assertNotContains(
            self.client.get(reverse("broker:partners", args=[self.response_b.pk])), "Council A"
        )
        self.client.force_login(self.bob)
        r = self.client.post(url, {"visibility": "named", "show_levels": "on"})
        self.assertRedirects(r, reverse("broker:partners", args=[self.response_a.pk]))
        d = Disclosure.objects.get(organisation=self.council_a)
        self.assertEqual((d.visibility, d.show_levels, d.updated_by), ("named", True, self.bob))
        self.client.force_login(self.charlie)
        self.assertContains(
            self.client.get(reverse("broker:partners", args=[self.response_b.pk])), "Council A"
        )
        event = AuditEvent.objects.get(action="broker.disclosure_changed")
        self.assertEqual(event.detail["after"], ["named", True])

    def test_bad_choices_and_other_people_change_nothing(self):
        url = reverse("broker:disclosure", args=[self.response_a.pk])
        self.client.force_login(self.bob)
        r = self.client.post(url, {"visibility": "everyone"})
        self.assertEqual(r.status_code, 200)
        self.assertTrue(r.context["form"].errors)
        for user in (self.alice, self.victor, self.charlie, self.erin, self.dana):
            self.client.force_login(user)
            self.assertIn(self.client.post(url, {"visibility": "none"}).status_code, (403, 404))
        self.assertEqual(Disclosure.objects.get(organisation=self.council_a).visibility, "named")

    def test_choosing_not_at_all_withdraws_proposals_not_yet_accepted(self):
        waiting = services.do_propose(
            rnd=self.round, a=self.council_b, b=self.council_d, by=self.erin
        )
        asked = services.do_propose(
            rnd=self.round, a=self.council_a, b=self.council_b, by=self.charlie
        )
        self.client.force_login(self.charlie)
        self.client.post(
            reverse("broker:disclosure", args=[self.response_b.pk]), {"visibility": "none"}
        )
        waiting.refresh_from_db()
        asked.refresh_from_db()
        self.assertEqual(waiting.status, "withdrawn")
        self.assertEqual(asked.status, "proposed")  # Council B asked for this one itself


class OutcomeTests(BrokerTestCase):
    def setUp(self):
        super().setUp()
        self.intro = services.do_propose(
            rnd=self.round, a=self.council_a, b=self.council_b, by=self.charlie
        )
        self.url = reverse("broker:outcome", args=[self.intro.pk])

    def test_outcomes_only_once_both_accepted(self):
        self.client.force_login(self.bob)
        self.assertEqual(self.client.get(self.url).status_code, 404)
        services.do_answer(
            introduction=self.intro, organisation=self.council_a, accept=True, note="", by=self.bob
        )
        r = self.client.post(
            self.url,
            {"met": "on", "shared_documents": "on", "improved": ["MCR2", "OSV1"], "note": "Good"},
        )
        self.assertRedirects(r, reverse("broker:introduction", args=[self.intro.pk]))
        outcome = Outcome.objects.get()
        self.assertEqual(
            (outcome.organisation, outcome.met, outcome.shared_documents, outcome.useful),
            (self.council_a, True, True, True),
        )
        self.assertEqual(sorted(outcome.improved.values_list("code", flat=True)), ["MCR2", "OSV1"])
        self.assertTrue(AuditEvent.objects.filter(action="broker.outcome_recorded").exists())

    def test_bad_outcomes_are_refused(self):
        services.do_answer(
            introduction=self.intro, organisation=self.council_a, accept=True, note="", by=self.bob
        )
        self.client.force_login(self.bob)
        for data in [
            {},
            {"not_useful": "on", "joint_work": "on"},
            {"met": "on", "improved": ["NOPE"]},
        ]:
            with self.subTest(data):
                r = self.client.post(self.url, data)
                self.assertEqual(r.status_code, 200)
                self.assertTrue(r.context["form"].errors)
        self.assertFalse(Outcome.objects.exists())
        self.client.force_login(self.victor)
        self.assertEqual(self.client.post(self.url, {"met": "on"}).status_code, 404)


class FollowUpTests(BrokerTestCase):
    def test_reminders_expiry_and_outcome_requests_each_once(self):
        now = timezone.now()
        old = services.do_propose(
            rnd=self.round,
            a=self.council_a,
            b=self.council_b,
            by=self.erin,
            now=now - dt.timedelta(days=8),
        )
        stale = services.do_propose(
            rnd=self.round,
            a=self.council_b,
            b=self.council_d,
            by=self.erin,
            now=now - dt.timedelta(days=29),
        )
        done = services.do_propose(rnd=self.round, a=self.council_c, b=self.council_d, by=self.erin)
        for org, user in ((self.council_c, self.cleo), (self.council_d, self.dev)):
            services.do_answer(introduction=done, organisation=org, accept=True, note="", by=user)
        Introduction.objects.filter(pk=done.pk).update(accepted_at=now - dt.timedelta(days=43))
        mail.outbox = []
        out = StringIO()
        call_command("broker_follow_up", stdout=out)
        self.assertEqual(out.getvalue().strip(), "Reminded 1, expired 1, asked for outcomes 1.")
        stale.refresh_from_db()
        self.assertEqual(stale.status, "expired")
        subjects = sorted((m.subject.split(":")[0], m.to[0]) for m in mail.outbox)
        self.assertEqual(subjects, [
            ("Reminder", "bob@example.org"), ("Reminder", "charlie@example.org"),
            ("What came of your introduction?", "cleo@example.org"),
            ("What came of your introduction?", "dev@example.org"),
        ])  # fmt: skip
        old.refresh_from_db()
        self.assertIsNotNone(old.reminded_at)
        mail.outbox = []
        call_command("broker_follow_up", stdout=StringIO())
        self.assertEqual(mail.outbox, [])
