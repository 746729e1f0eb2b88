"""Every dashboard figure against an independent calculation on generated data."""

import csv
import io
import random
import statistics
from collections import Counter, defaultdict

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from diagnostic.analytics import queries
from diagnostic.analytics.models import Publication
from diagnostic.assessments.models import Answer, Response, Round
from diagnostic.assessments.testing import AssessmentTestCase
from diagnostic.organisations.models import Organisation, Region


class GeneratedRoundTestCase(AssessmentTestCase):
    """Council A and B's round, plus 16 more councils in three regions with random answers:
    with Council A and B: North West 9 councils (7 submitted), South East 7 (4 submitted),
    Yorkshire 3 (2 submitted); 13 submitted of 19 eligible, 5 in progress, 1 not started.
    Drafts carry answers too, which must never count."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        rng = random.Random(7)
        cls.yorkshire = Region.objects.create(
            code="E12000003", name="Yorkshire and The Humber", nation="England"
        )
        plan = [(cls.north_west, 8, 6), (cls.south_east, 6, 4), (cls.yorkshire, 3, 2)]
        n = 0
        for region, count, submitted in plan:
            for i in range(count):
                n += 1
                org = Organisation.objects.create(
                    gss_code=f"E0700{n:04d}", name=f"Test {region.name} {i}", short_name=f"T{n}",
                    type="non_metropolitan_district" if i % 2 else "unitary", region=region, nation="England",
                )  # fmt: skip
                resp = Response.objects.create(round=cls.round, organisation=org, started_at=timezone.now(),
                                               consent_regional_sharing=i % 3 == 0)  # fmt: skip
                cls._answers(resp, rng)
                if i < submitted:
                    Response.objects.filter(pk=resp.pk).update(
                        status="submitted", submitted_at=timezone.now()
                    )
        # Council A (North West) submitted too; Council B stays a draft with answers.
        cls._answers(cls.response_a, rng)
        cls._answers(cls.response_b, rng)
        Response.objects.filter(pk=cls.response_a.pk).update(
            status="submitted", submitted_at=timezone.now(), started_at=timezone.now()
        )

    @classmethod
    def _answers(cls, resp, rng):
        Answer.objects.bulk_create([
            Answer(response=resp, value_code=vc, current_level=rng.choice([0, 1, 2, 2, 3, 3, 3, 4, 5]),
                   target_level=rng.choice([None, 3, 4, 5]), priority=rng.choice(["high", "medium", "low", "none", ""]),
                   want_support=rng.random() < 0.3, could_share=rng.random() < 0.2, version=1)
            for vc in cls.codes
        ])  # fmt: skip

    def independent(self, region=None, enabler=""):
        """The same figures computed by brute force in Python from the rows."""
        answers = Answer.objects.filter(response__round=self.round, response__status="submitted").select_related(
            "value_code__key_area", "response__organisation")  # fmt: skip
        by_area = defaultdict(list)
        orgs = defaultdict(set)
        for a in answers:
            if region and a.response.organisation.region_id != region.pk:
                continue
            if enabler and enabler not in {e.code for e in a.value_code.enablers.all()}:
                continue
            by_area[a.value_code.key_area.code].append(a)
            orgs[a.value_code.key_area.code].add(a.response_id)
        return by_area, orgs


class LevelFigureTests(GeneratedRoundTestCase):
    def test_key_area_distributions_medians_and_counts_match(self):
        rows = {r["code"]: r for r in queries.levels_by(queries.Scope(self.round.pk), "key_area")}
        by_area, orgs = self.independent()
        self.assertEqual(set(rows), set(by_area))
        for code, answers in by_area.items():
            levels = [a.current_level for a in answers if a.current_level]
            counts = Counter(a.current_level for a in answers)
            row = rows[code]
            self.assertEqual(row["organisations"], len(orgs[code]), code)
            self.assertEqual(row["organisations"], 13)  # 7 + 4 + 2
            self.assertEqual(row["counts"], {lv: counts.get(lv, 0) for lv in range(6)}, code)
            self.assertEqual(row["median"], statistics.median(levels), code)
            self.assertAlmostEqual(row["mean"], statistics.mean(levels), places=9)
            targets = [a.target_level for a in answers if a.target_level]
            self.assertEqual(row["target_median"], statistics.median(targets))
            self.assertEqual(row["priorities"]["high"], sum(a.priority == "high" for a in answers))
            self.assertEqual(
                row["support_orgs"], len({a.response_id for a in answers if a.want_support})
            )
            self.assertEqual(
                row["share_orgs"], len({a.response_id for a in answers if a.could_share})
            )

    def test_a_region_and_an_enabler_narrow_the_figures(self):
        scope = queries.Scope(self.round.pk, region_id=self.south_east.pk, enabler="digital")
        rows = {r["code"]: r for r in queries.levels_by(scope, "key_area")}
        by_area, orgs = self.independent(region=self.south_east, enabler="digital")
        for code, row in rows.items():
            answers = by_area.get(code, [])
            self.assertEqual(row["answers"], sum(1 for a in answers if a.current_level), code)
            self.assertEqual(row["organisations"], len(orgs.get(code, ())), code)

    def test_value_code_and_theme_rows_add_up(self):
        scope = queries.Scope(self.round.pk)
        themes = queries.levels_by(scope, "theme")
        codes = queries.levels_by(scope, "value_code")
        self.assertEqual(len(codes), 59)
        self.assertEqual(sum(t["answers"] for t in themes), sum(c["answers"] for c in codes))
        total = Answer.objects.filter(
            response__status="submitted", response__round=self.round, current_level__gte=1
        ).count()
        self.assertEqual(sum(t["answers"] for t in themes), total)

    def test_drafts_never_count(self):
        before = queries.levels_by(queries.Scope(self.round.pk), "theme")
        Answer.objects.filter(response=self.response_b).update(current_level=5)
        after = queries.levels_by(queries.Scope(self.round.pk), "theme")
        self.assertEqual(before, after)


class ParticipationTests(GeneratedRoundTestCase):
    def test_participation_uses_the_round_register_as_denominator(self):
        p = queries.participation(queries.Scope(self.round.pk))
        self.assertEqual(p["eligible"], Response.objects.filter(round=self.round).count())
        self.assertEqual(p["eligible"], 19)
        self.assertEqual((p["submitted"], p["in_progress"], p["not_started"]), (13, 5, 1))
        self.assertAlmostEqual(p["rate"], 13 / 19)
        by_region = {
            r["key"]: r for r in queries.participation_by(queries.Scope(self.round.pk), "region")
        }
        self.assertEqual({k: (r["eligible"], r["submitted"]) for k, r in by_region.items()},
                         {"North West": (9, 7), "South East": (7, 4), "Yorkshire and The Humber": (3, 2)})  # fmt: skip

    def test_participation_by_type(self):
        by_type = {
            r["key"]: r["eligible"]
            for r in queries.participation_by(queries.Scope(self.round.pk), "type")
        }
        expected = Counter(
            Response.objects.filter(round=self.round).values_list("organisation__type", flat=True)
        )
        self.assertEqual(by_type, dict(expected))


class SuppressionTests(GeneratedRoundTestCase):
    def test_heatmap_cells_under_five_councils_are_hidden_outside_the_national_team(self):
        hm = queries.heatmap(queries.Scope(self.round.pk), "region", national=False)
        rows = {r["key"]: r for r in hm["rows"]}
        self.assertTrue(
            all(
                c["suppressed"] and c["median"] is None
                for c in rows["Yorkshire and The Humber"]["cells"]
            )
        )
        self.assertTrue(
            all(
                not c["suppressed"] and c["median"] is not None for c in rows["North West"]["cells"]
            )
        )
        national = {
            r["key"]: r
            for r in queries.heatmap(queries.Scope(self.round.pk), "region", national=True)["rows"]
        }
        self.assertTrue(
            all(c["median"] is not None for c in national["Yorkshire and The Humber"]["cells"])
        )

    def test_a_small_scope_hides_every_figure(self):
        rows = queries.levels_by(
            queries.Scope(self.round.pk, region_id=self.yorkshire.pk), "key_area", national=False
        )
        for r in rows:
            self.assertTrue(r["suppressed"])
            self.assertIsNone(r["counts"])
            self.assertIsNone(r["median"])


class DashboardAccessTests(GeneratedRoundTestCase):
    def test_the_national_team_sees_the_national_dashboard(self):
        for user in [self.erin, self.nina]:
            self.client.force_login(user)
            r = self.client.get(reverse("analytics:national"))
            self.assertContains(r, "13 of 19 eligible councils have submitted")
        for user in [self.bob, self.alice, self.dana, self.charlie, self.zoe]:
            self.client.force_login(user)
            self.assertEqual(self.client.get(reverse("analytics:national")).status_code, 403, user)

    def test_a_regional_lead_sees_only_their_region_with_small_cells_hidden(self):
        self.client.force_login(self.dana)
        r = self.client.get(reverse("analytics:my_region"))
        self.assertRedirects(
            r, reverse("analytics:regional", args=["E12000002"]), fetch_redirect_response=False
        )
        r = self.client.get(reverse("analytics:regional", args=["E12000002"]))
        self.assertContains(r, "7 of 9 eligible councils have submitted")
        self.assertContains(r, "Figures built from fewer than 5 councils are not shown")
        self.assertEqual(
            self.client.get(reverse("analytics:regional", args=["E12000008"])).status_code, 404
        )

    def test_drill_down_names_councils_only_where_allowed(self):
        vc = self.codes[0]
        url = reverse("analytics:value_code", args=[vc.pk])
        self.client.force_login(self.erin)
        r = self.client.get(url)
        self.assertEqual(len(r.context["councils"]), 13)
        self.client.force_login(self.dana)
        r = self.client.get(url)
        names = {c["organisation"].region_id for c in r.context["councils"]}
        self.assertEqual(names, {self.north_west.pk})
        self.assertTrue(
            all(
                c["organisation"].responses.get(round=self.round).consent_regional_sharing
                for c in r.context["councils"]
            )
        )
        self.assertNotContains(r, "Test South East")
        r = self.client.get(url, {"in_region": "E12000008"})
        self.assertEqual(r.status_code, 404)
        self.client.force_login(self.bob)
        self.assertEqual(self.client.get(url).status_code, 404)

    def test_the_dashboard_is_fresh_after_a_submission(self):
        from diagnostic.assessments.services import do_submit

        self.client.force_login(self.erin)
        self.assertContains(self.client.get(reverse("analytics:national")), "13 of 19")
        complete = (
            Response.objects.filter(
                round=self.round, status="draft", organisation__region=self.south_east
            )
            .exclude(pk=self.response_b.pk)
            .first()
        )
        Response.objects.filter(pk=complete.pk).update(
            officer_name="A",
            signed_off_name="B",
            signed_off_role="C",
            signed_off_on=timezone.localdate(),
        )
        Answer.objects.filter(response=complete).update(
            current_level=3, target_level=4, priority="low"
        )
        lead = self.make_lead(complete.organisation)
        with self.captureOnCommitCallbacks(execute=True):
            do_submit(response=complete, by=lead)
        self.assertContains(self.client.get(reverse("analytics:national")), "14 of 19")

    def make_lead(self, org):
        from diagnostic.accounts.models import Role
        from diagnostic.testing import make_user

        return make_user(f"lead-{org.pk}", "Lead", Role.LEAD, organisation=org)

    def test_queries_per_dashboard_do_not_grow_with_organisations(self):
        from django.core.cache import cache

        self.client.force_login(self.erin)
        self.client.get("/")

        def count():
            cache.clear()
            with CaptureQueriesContext(connection) as ctx:
                self.assertEqual(self.client.get(reverse("analytics:national")).status_code, 200)
            return len(ctx.captured_queries)

        before = count()
        rng = random.Random(3)
        for i in range(10):
            org = Organisation.objects.create(gss_code=f"E0799{i:04d}", name=f"More {i}", short_name=f"M{i}",
                                              type="unitary", region=self.north_west, nation="England")  # fmt: skip
            resp = Response.objects.create(
                round=self.round, organisation=org, status="submitted", started_at=timezone.now()
            )
            self._answers(resp, rng)
        self.assertEqual(count(), before)


class PublicResultsTests(GeneratedRoundTestCase):
    def publish(self):
        Publication.objects.create(round=self.round, published_by=self.erin)

    def test_nothing_is_public_until_published(self):
        r = self.client.get(reverse("analytics:public_results"))
        self.assertContains(r, "No results have been published yet")
        self.assertEqual(
            self.client.get(reverse("analytics:public_csv", args=[self.round.pk])).status_code, 404
        )

    def test_only_a_national_admin_publishes(self):
        url = reverse("analytics:publish", args=[self.round.pk])
        for user in [self.nina, self.bob, self.dana]:
            self.client.force_login(user)
            self.assertEqual(self.client.post(url).status_code, 403)
        self.assertFalse(Publication.objects.exists())
        self.client.force_login(self.erin)
        # GET is the confirmation page (issue 13): it publishes nothing.
        self.assertEqual(self.client.get(url).status_code, 200)
        self.assertFalse(Publication.objects.exists())
        self.round.status = "closed"
        self.round.save(update_fields=["status"])
        self.client.post(url, {"action": "publish"})
        self.assertTrue(Publication.objects.filter(round=self.round).exists())

    def test_the_public_page_and_files_never_show_a_cell_under_five(self):
        self.publish()
        r = self.client.get(reverse("analytics:public_results"))
        self.assertContains(r, "13 of 19 eligible councils submitted")
        # Yorkshire has 2 submissions: its participation row is withheld; the others show.
        self.assertContains(r, "Fewer than 5 councils: not shown")
        by_region = {row["label"]: row for row in r.context["by_region"]}
        self.assertTrue(by_region["Yorkshire and The Humber"]["suppressed"])
        self.assertNotIn("submitted", by_region["Yorkshire and The Humber"])
        text = self.client.get(
            reverse("analytics:public_csv", args=[self.round.pk])
        ).content.decode()
        rows = list(csv.reader(io.StringIO(text)))
        self.assertEqual(rows[0][:4], ["section", "group", "organisations", "answers"])
        for row in rows[1:]:
            orgs = row[2]
            self.assertTrue(orgs == "fewer than 5" or int(orgs) >= 5, row)
        self.assertIn(
            ["participation", "Yorkshire and The Humber", "fewer than 5"]
            + [""] * (len(rows[0]) - 3),
            rows,
        )

    def test_the_spreadsheet_has_a_metadata_sheet(self):
        self.publish()
        r = self.client.get(reverse("analytics:public_xlsx", args=[self.round.pk]))
        wb = load_workbook(io.BytesIO(r.content))
        self.assertEqual(wb.sheetnames, ["Results", "About"])
        about = {row[0].value: row[1].value for row in wb["About"].iter_rows()}
        self.assertIn("NPS 2026", about["Dataset"])
        self.assertIn("Open Government Licence", about["Licence"])
        self.assertIn("fewer than 5", about["Suppression"])
        for row in wb["Results"].iter_rows(min_row=2, values_only=True):
            self.assertTrue(row[2] == "fewer than 5" or row[2] >= 5, row)


class ChangeBetweenRoundsTests(GeneratedRoundTestCase):
    def test_it_compares_key_area_levels_with_an_earlier_round(self):
        import datetime as dt

        earlier = Round.objects.create(name="NPS 2018", framework_version=self.framework, opens_on=dt.date(2018, 7, 1),
                                       closes_on=dt.date(2018, 10, 31), eligibility_date=dt.date(2018, 7, 1),
                                       nations=["England"], status="closed")  # fmt: skip
        orgs = list(Organisation.objects.filter(region=self.north_west)[:6])
        for org in orgs:
            resp = Response.objects.create(
                round=earlier, organisation=org, status="submitted", started_at=timezone.now()
            )
            Answer.objects.bulk_create(
                [
                    Answer(response=resp, value_code=vc, current_level=2, version=1)
                    for vc in self.codes
                ]
            )
        rows = {
            r["code"]: r for r in queries.change_between(queries.Scope(self.round.pk), earlier.pk)
        }
        now = {r["code"]: r for r in queries.levels_by(queries.Scope(self.round.pk), "key_area")}
        for code, r in rows.items():
            self.assertEqual((r["median_before"], r["mean_before"]), (2, 2))
            self.assertAlmostEqual(r["change"], now[code]["mean"] - 2)
        self.assertEqual([x.pk for x in queries.comparable_rounds(self.round.pk)], [earlier.pk])
