"""While a round is open, the national team follows every council's progress on the round page."""

from collections import Counter

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from diagnostic.accounts.models import Role
from diagnostic.assessments import queries
from diagnostic.assessments.models import Response
from diagnostic.assessments.testing import AssessmentTestCase
from diagnostic.organisations.models import Organisation, OrganisationType
from diagnostic.testing import make_user


class TrackingTestCase(AssessmentTestCase):
    """Four councils at every stage.

    Council A (North West, metropolitan borough): in progress, lead Bob.
    Council B (South East, county): submitted, lead Charlie.
    Council D (South East, district): in progress, leads Dave and Deb.
    Cardiff (Wales, Welsh principal area): not started, no lead.
    """

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        now = timezone.now()
        cls.council_d = Organisation.objects.create(
            gss_code="E07000123", name="Council D District Council", short_name="Council D",
            type="non_metropolitan_district", region=cls.south_east, nation="England",
        )  # fmt: skip
        cls.cardiff = Organisation.objects.create(
            gss_code="W06000015", name="Cardiff Council", short_name="Cardiff",
            type="welsh_principal_area", region=cls.wales, nation="Wales",
        )  # fmt: skip
        cls.dave = make_user("dave", "Dave Ince", Role.LEAD, organisation=cls.council_d)
        cls.deb = make_user("deb", "Deb Ashworth", Role.LEAD, organisation=cls.council_d)
        cls.response_d = Response.objects.create(
            round=cls.round, organisation=cls.council_d, started_at=now, last_activity_at=now,
            answered_count=19,
        )  # fmt: skip
        cls.response_cardiff = Response.objects.create(round=cls.round, organisation=cls.cardiff)
        Response.objects.filter(pk=cls.response_a.pk).update(
            started_at=now, last_activity_at=now, answered_count=38
        )
        Response.objects.filter(pk=cls.response_b.pk).update(
            status=Response.Status.SUBMITTED, started_at=now, last_activity_at=now,
            submitted_at=now, answered_count=len(cls.codes),
        )  # fmt: skip
        cls.response_a.refresh_from_db()
        cls.response_b.refresh_from_db()

    @property
    def round_url(self) -> str:
        return reverse("assessments:round", args=[self.round.pk])


class TrackingTests(TrackingTestCase):
    def setUp(self):
        super().setUp()
        self.client.force_login(self.erin)

    def names(self, response) -> list[str]:
        return [r.organisation.name for r in response.context["page"]]

    def test_it_lists_every_eligible_organisation_with_its_stage_progress_and_leads(self):
        r = self.client.get(self.round_url)
        self.assertEqual(
            self.names(r),
            [
                "Cardiff Council",
                "Council A Metropolitan Borough Council",
                "Council B County Council",
                "Council D District Council",
            ],
        )
        rows = {x.organisation.short_name: x for x in r.context["page"]}
        total = len(self.codes)
        self.assertEqual(rows["Council A"].percent_complete, 100 * 38 // total)
        self.assertEqual(rows["Council D"].percent_complete, 100 * 19 // total)
        self.assertEqual(rows["Council B"].percent_complete, 100)
        self.assertEqual(rows["Cardiff"].percent_complete, 0)
        self.assertEqual(
            [x.stage_label for x in r.context["page"]],
            ["Not started", "In progress", "Submitted", "In progress"],
        )
        self.assertContains(r, f"{100 * 38 // total}%")
        self.assertContains(r, f"38 of {total}")
        # Leads' names and addresses; a contributor (Alice) is not a lead.
        for person in (self.bob, self.charlie, self.dave, self.deb):
            self.assertContains(r, person.full_name)
            self.assertContains(r, f'href="mailto:{person.email}"')
        self.assertNotContains(r, self.alice.email)
        self.assertContains(r, "No lead", count=1)
        self.assertEqual(
            [m.user for m in rows["Council D"].organisation.leads], [self.dave, self.deb]
        )

    def test_it_leaves_out_leads_whose_accounts_are_switched_off(self):
        self.dave.is_active = False
        self.dave.save()
        r = self.client.get(self.round_url, {"q": "Council D"})
        self.assertEqual([m.user for m in r.context["page"][0].organisation.leads], [self.deb])
        self.assertNotContains(r, self.dave.email)

    def test_it_filters_by_stage_region_type_nation_and_name(self):
        everyone = list(
            Response.objects.filter(round=self.round).select_related("organisation__region")
        )
        checks = {
            "stage": [
                ("not_started", lambda x: x.stage == "not_started"),
                ("in_progress", lambda x: x.stage == "in_progress"),
                ("not_submitted", lambda x: x.stage != "submitted"),
                ("submitted", lambda x: x.stage == "submitted"),
            ],
            "region": [
                (str(self.south_east.pk), lambda x: x.organisation.region == self.south_east),
                (str(self.wales.pk), lambda x: x.organisation.region == self.wales),
            ],
            "type": [
                ("county", lambda x: x.organisation.type == "county"),
                ("unitary", lambda x: x.organisation.type == "unitary"),
            ],
            "nation": [
                ("England", lambda x: x.organisation.nation == "England"),
                ("Wales", lambda x: x.organisation.nation == "Wales"),
            ],
            "q": [
                ("council d", lambda x: "Council D" in x.organisation.name),
                ("W06000015", lambda x: x.organisation.gss_code == "W06000015"),
            ],
        }
        for name, cases in checks.items():
            for value, keep in cases:
                with self.subTest(filter=name, value=value):
                    r = self.client.get(self.round_url, {name: value})
                    expected = sorted(x.organisation.name for x in everyone if keep(x))
                    self.assertEqual(self.names(r), expected)
        # Filters combine.
        r = self.client.get(self.round_url, {"region": self.south_east.pk, "stage": "in_progress"})
        self.assertEqual(self.names(r), ["Council D District Council"])

    def test_it_totals_by_region_and_type_against_an_independent_count(self):
        everyone = list(
            Response.objects.filter(round=self.round).select_related("organisation__region")
        )
        for params, keep in [
            ({}, lambda x: True),
            ({"nation": "England"}, lambda x: x.organisation.nation == "England"),
            # The stage filter narrows the table, never the totals: they break stages down.
            ({"stage": "submitted"}, lambda x: True),
        ]:
            selected = [x for x in everyone if keep(x)]
            r = self.client.get(self.round_url, params)
            for by, key in [
                ("by_region", lambda x: x.organisation.region.name),
                ("by_type", lambda x: OrganisationType(x.organisation.type).label),
            ]:
                with self.subTest(params=params, by=by):
                    expected = {}
                    for label in {key(x) for x in selected}:
                        group = [x for x in selected if key(x) == label]
                        stages = Counter(x.stage for x in group)
                        expected[label] = (
                            len(group), stages["not_started"], stages["in_progress"],
                            stages["submitted"], 100 * stages["submitted"] // len(group),
                        )  # fmt: skip
                    totals = r.context[by]
                    got = {
                        row.label: (row.eligible, row.not_started, row.in_progress,
                                    row.submitted, row.percent_submitted)
                        for row in totals.rows
                    }  # fmt: skip
                    self.assertEqual(got, expected)
                    self.assertEqual(totals.total.eligible, len(selected))
                    self.assertEqual(
                        totals.total.submitted, sum(x.stage == "submitted" for x in selected)
                    )
        r = self.client.get(self.round_url)
        self.assertContains(r, "<caption>Organisations matching the filters, at every stage, by region</caption>", html=False)  # fmt: skip
        self.assertContains(r, "District council")

    def test_it_computes_each_table_of_totals_in_one_query(self):
        qs = queries.round_responses(self.round)
        for by in ("region", "type"):
            with self.assertNumQueries(1):
                queries.progress_totals(qs, by=by)

    def test_the_page_does_not_grow_in_queries_with_more_councils(self):
        def count() -> int:
            with CaptureQueriesContext(connection) as ctx:
                self.assertEqual(self.client.get(self.round_url).status_code, 200)
            return len(ctx.captured_queries)

        count()  # the first request after signing in also writes the session
        before = count()
        for n in range(5):
            org = Organisation.objects.create(
                gss_code=f"E0700080{n}", name=f"Extra {n}", short_name=f"Extra {n}",
                type="non_metropolitan_district", region=self.north_west, nation="England",
            )  # fmt: skip
            make_user(f"extra{n}", f"Extra Lead {n}", Role.LEAD, organisation=org)
            Response.objects.create(round=self.round, organisation=org)
        self.assertEqual(count(), before)

    def test_it_answers_htmx_with_the_table_and_totals_only(self):
        r = self.client.get(self.round_url, {"region": self.wales.pk}, headers={"HX-Request": "true"})  # fmt: skip
        self.assertEqual(r.status_code, 200)
        self.assertNotContains(r, "<html")
        self.assertNotContains(r, "Change the dates")
        self.assertContains(r, "Cardiff Council")
        self.assertNotContains(r, "Council A Metropolitan Borough Council")
        self.assertContains(r, "Progress by type")

    def test_it_keeps_the_filters_in_the_page_links_and_the_reminder_link(self):
        for n in range(60):
            Response.objects.create(
                round=self.round,
                organisation=Organisation.objects.create(
                    gss_code=f"E07001{n:03}", name=f"Extra {n:02}", short_name=f"Extra {n:02}",
                    type="non_metropolitan_district", region=self.north_west, nation="England",
                ),
            )  # fmt: skip
        r = self.client.get(self.round_url, {"region": self.north_west.pk, "stage": "not_started"})
        self.assertEqual(r.context["page"].paginator.count, 60)
        query = f"region={self.north_west.pk}&amp;stage=not_started"
        self.assertContains(r, f"?{query}&amp;page=2")
        self.assertContains(
            r, reverse("assessments:reminder_new", args=[self.round.pk]) + f"?{query}"
        )

    def test_it_explains_filters_it_does_not_understand_and_hides_nothing(self):
        r = self.client.get(self.round_url, {"region": "999", "stage": "lost"})
        self.assertEqual(r.status_code, 200)
        self.assertContains(r, "Select a valid choice")
        self.assertEqual(len(self.names(r)), 4)

    def test_national_analysts_follow_progress_read_only(self):
        self.client.force_login(self.nina)
        r = self.client.get(self.round_url)
        self.assertEqual(r.status_code, 200)
        self.assertEqual(len(self.names(r)), 4)
        self.assertContains(r, self.bob.email)
        for action in ("Send a reminder", "Change the dates", "Close the round", "Reminders"):
            self.assertNotContains(r, action)
        r = self.client.post(self.round_url, {"opens_on": "2026-01-01", "closes_on": "2026-12-31"})
        self.assertEqual(r.status_code, 403)
        self.assertContains(self.client.get(reverse("assessments:rounds")), self.round_url)

    def test_councils_and_regions_cannot_see_the_round_page(self):
        # A regional lead sees it narrowed to their region's councils (test_regional_tracking).
        for user in (self.alice, self.bob, self.victor, self.charlie, self.zoe):
            self.client.force_login(user)
            with self.subTest(user=user.email):
                self.assertEqual(self.client.get(self.round_url).status_code, 403)
                self.assertEqual(
                    self.client.get(self.round_url, headers={"HX-Request": "true"}).status_code,
                    403,
                )
        self.client.logout()
        self.assertRedirects(
            self.client.get(self.round_url),
            reverse("accounts:sign_in") + f"?next={self.round_url}",
            fetch_redirect_response=False,
        )
