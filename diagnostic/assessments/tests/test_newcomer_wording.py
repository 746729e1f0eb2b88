"""What a newcomer tripped over (issue 15): the words on a response's pages agree with what the
service does, and speak to the reader's role."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from diagnostic.assessments.models import Response
from diagnostic.assessments.services import DETAILS_NEEDED_TO_SUBMIT, missing_items
from diagnostic.consolidation.testing import ConsolidationTestCase, make_view
from diagnostic.plans.testing import give_answers


def answer_everything(response, codes) -> None:
    give_answers(response, {vc.code: (3, 4, "high", "", False, None) for vc in codes}, codes)


def fill_details(response) -> None:
    Response.objects.filter(pk=response.pk).update(
        officer_name="Olu Officer",
        signed_off_name="Sam Senior",
        signed_off_role="Director of Finance",
        signed_off_on=timezone.localdate() - dt.timedelta(days=1),
    )


def submit(response) -> None:
    Response.objects.filter(pk=response.pk).update(
        status=Response.Status.SUBMITTED, submitted_at=timezone.now()
    )


class DetailsLabelsTests(ConsolidationTestCase):
    def test_what_the_submission_needs_is_labelled_so_not_optional(self):
        self.client.force_login(self.bob)
        html = self.client.get(reverse("assessments:details", args=[self.response_a.pk]))
        html = html.content.decode()
        for field in DETAILS_NEEDED_TO_SUBMIT:
            start = html.index(f'<label class="label" for="id_{field}">')
            label = html[start : html.index("</label>", start)]
            self.assertIn("(needed before you submit)", label, field)
            self.assertNotIn("(optional)", label, field)
        # Fields the submission does not need still say they are optional.
        start = html.index('<label class="label" for="id_officer_role">')
        self.assertIn("(optional)", html[start : html.index("</label>", start)])

    def test_the_submission_check_asks_for_exactly_those(self):
        missing = [m.anchor for m in missing_items(self.response_a) if m.value_code is None]
        self.assertEqual(missing, list(DETAILS_NEEDED_TO_SUBMIT))


class ResultsBeforeAnyAnswerTests(ConsolidationTestCase):
    def test_it_counts_the_frameworks_value_codes_not_the_answers(self):
        self.client.force_login(self.bob)
        r = self.client.get(reverse("analytics:council_results", args=[self.response_a.pk]))
        self.assertContains(r, "Council A rated 0 of 59 value codes.")
        # Per theme, the theme's own value codes (the three themes add up to 59).
        totals = [
            sum(area.value_codes.count() for area in theme.key_areas.all())
            for theme in self.framework.themes.order_by("position")
        ]
        self.assertEqual(sum(totals), 59)
        for total in totals:
            self.assertContains(r, f'<td class="num">0 of {total}</td>')
        self.assertNotContains(r, "0 of 0")

    def test_part_answered_it_says_how_many_of_59(self):
        give_answers(self.response_a, {"EC1": (3, 4, "high", "", False, None)}, self.codes)
        self.client.force_login(self.bob)
        r = self.client.get(reverse("analytics:council_results", args=[self.response_a.pk]))
        self.assertContains(r, "Council A rated 1 of 59 value codes")


class ReadersRoleTests(ConsolidationTestCase):
    def setUp(self):
        super().setUp()
        answer_everything(self.response_a, self.codes)
        fill_details(self.response_a)
        submit(self.response_a)
        self.home = reverse("assessments:response", args=[self.response_a.pk])
        self.results = reverse("analytics:council_results", args=[self.response_a.pk])

    def test_the_councils_own_people_read_your(self):
        self.client.force_login(self.bob)
        self.assertContains(self.client.get(self.home), "Your response is in.")
        self.assertContains(self.client.get(self.results), "<h1>Your results: NPS 2026</h1>")

    def test_the_national_team_reads_the_councils_name(self):
        for user in (self.erin, self.nina):
            self.client.force_login(user)
            r = self.client.get(self.home)
            self.assertContains(r, "Council A's response is in.")
            self.assertNotContains(r, "Your response")
            self.assertContains(r, "Council A's results and comparisons")
            r = self.client.get(self.results)
            self.assertContains(r, "<h1>Council A's results: NPS 2026</h1>")
            self.assertNotContains(r, "Your results")
            self.assertContains(r, '<th scope="col" class="num">Council A</th>')

    def test_a_draft_read_by_the_national_team_names_its_lead(self):
        self.client.force_login(self.erin)
        r = self.client.get(reverse("assessments:response", args=[self.response_b.pk]))
        self.assertContains(r, "Only Council B's lead can change the agreed answers.")
        self.assertNotContains(r, "your organisation")


class WhoCanSubmitTests(ConsolidationTestCase):
    """Every value code answered but things still to finish: the lead is told "you", anyone
    else who may read the response is told whose submission it is."""

    def setUp(self):
        super().setUp()
        answer_everything(self.response_a, self.codes)  # the details are still missing
        self.home = reverse("assessments:response", args=[self.response_a.pk])
        self.submit = reverse("assessments:submit", args=[self.response_a.pk])

    def test_the_lead_reads_you(self):
        self.client.force_login(self.bob)
        self.assertContains(self.client.get(self.home), "attention before you can submit.")
        self.assertContains(self.client.get(self.home), ">Check and submit</a>")
        self.assertContains(self.client.get(self.submit), "to finish before you can submit")

    def test_the_councils_viewer_reads_your_lead(self):
        self.client.force_login(self.victor)
        r = self.client.get(self.home)
        self.assertContains(r, "attention before your lead can submit.")
        self.assertContains(r, ">See what is left</a>")
        self.assertNotContains(r, "Check and submit")
        self.assertContains(self.client.get(self.submit), "to finish before your lead can submit")

    def test_the_national_team_reads_the_councils_lead(self):
        self.client.force_login(self.erin)
        r = self.client.get(self.home)
        self.assertContains(r, "attention before Council A's lead can submit.")
        self.assertNotContains(r, "before you can submit")
        self.assertNotContains(r, "Check and submit</a>")
        r = self.client.get(self.submit)
        self.assertContains(r, "to finish before Council A's lead can submit")
        self.assertNotContains(r, "before you can submit")


class ResponseHomeAfterSubmittingTests(ConsolidationTestCase):
    def setUp(self):
        super().setUp()
        answer_everything(self.response_a, self.codes)
        fill_details(self.response_a)
        for vc in self.codes[:5]:
            make_view(self.assignment_a, vc.code, 1)
        self.client.force_login(self.bob)
        self.home = reverse("assessments:response", args=[self.response_a.pk])

    def test_a_sign_off_entered_by_hand_is_shown(self):
        r = self.client.get(self.home)
        self.assertNotContains(r, "Not asked for")
        self.assertContains(r, "Signed off</strong> – Sam Senior, Director of Finance, on ")

    def test_nothing_is_left_to_do_once_submitted(self):
        self.assertContains(self.client.get(self.home), "Consolidate the views (5 to do)")
        submit(self.response_a)
        r = self.client.get(self.home)
        self.assertNotContains(r, "to do)")
        self.assertContains(r, "Colleagues' views and your decisions")
        self.assertContains(
            r, "The response was submitted with 5 value codes whose views were not consolidated"
        )


class SubmitWarningTests(ConsolidationTestCase):
    def setUp(self):
        super().setUp()
        answer_everything(self.response_a, self.codes)
        fill_details(self.response_a)
        self.url = reverse("assessments:submit", args=[self.response_a.pk])
        self.client.force_login(self.bob)

    def test_it_warns_of_views_not_consolidated_and_still_submits(self):
        make_view(self.assignment_a, "EC1", 1)
        make_view(self.assignment_a, "EC2", 3)
        r = self.client.get(self.url)
        self.assertContains(r, 'id="unconsolidated-warning"')
        self.assertContains(r, "2 value codes have colleagues' views you have not consolidated")
        self.assertContains(r, "?open=on")
        self.assertContains(r, "Submit Council A's response")  # a warning, not a block
        r = self.client.post(self.url)
        self.assertEqual(r.status_code, 302)
        self.response_a.refresh_from_db()
        self.assertTrue(self.response_a.is_submitted)

    def test_it_counts_views_that_differ(self):
        from diagnostic.consolidation.testing import make_assignment

        carol = make_assignment(self.response_a, email="carol@example.org", name="Carol")
        make_view(self.assignment_a, "EC1", 1)
        make_view(carol, "EC1", 4)
        r = self.client.get(self.url)
        self.assertContains(
            r, "1 value code has colleagues' views you have not consolidated, 1 of them where"
        )

    def test_no_warning_without_views(self):
        self.assertNotContains(self.client.get(self.url), 'id="unconsolidated-warning"')


class NoScotlandInFiltersTests(ConsolidationTestCase):
    """No round includes Scotland, so no filter offers it (issue 15)."""

    def setUp(self):
        super().setUp()
        from diagnostic.organisations.models import Organisation, Region

        scotland = Region.objects.create(code="S92000003", name="Scotland", nation="Scotland")
        Organisation.objects.create(
            gss_code="S12000033", name="Aberdeen City Council", short_name="Aberdeen",
            type="scottish_council_area", region=scotland, nation="Scotland",
        )  # fmt: skip

    def pages(self):
        self.client.force_login(self.erin)
        return [
            self.client.get(reverse("analytics:national")).content.decode(),
            self.client.get(reverse("assessments:round", args=[self.round.pk])).content.decode(),
        ]

    def test_scotland_is_not_offered(self):
        for html in self.pages():
            self.assertNotIn(">Scotland<", html)
            self.assertNotIn("Scottish council area", html)
            self.assertIn(">Wales<", html)
            self.assertIn(">Metropolitan borough<", html)

    def test_it_is_once_a_round_includes_scotland(self):
        self.round.nations = [*self.round.nations, "Scotland"]
        self.round.save()
        for html in self.pages():
            self.assertIn(">Scotland<", html)
            self.assertIn("Scottish council area", html)
