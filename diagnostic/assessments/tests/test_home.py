"""The organisation's home for a round: deadline, progress, contributors, what to do next."""

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from diagnostic.accounts.models import Membership, Role
from diagnostic.assessments.models import Answer, Round
from diagnostic.assessments.testing import AssessmentTestCase


class ResponseHomeTests(AssessmentTestCase):
    def test_my_assessment_goes_to_the_active_organisations_current_response(self):
        self.client.force_login(self.bob)
        self.assertRedirects(
            self.client.get(reverse("assessments:mine")),
            reverse("assessments:response", args=[self.response_a.pk]),
        )

    def test_without_a_round_it_says_so(self):
        Round.objects.update(status=Round.Status.DRAFT)
        self.client.force_login(self.bob)
        self.assertContains(
            self.client.get(reverse("assessments:mine")), "No assessment is open for Council A"
        )

    def test_without_an_organisation_it_goes_to_the_account_page(self):
        self.client.force_login(self.zoe)
        self.assertRedirects(self.client.get(reverse("assessments:mine")), reverse("accounts:home"))

    def test_it_shows_the_deadline_days_left_progress_and_contributors(self):
        for vc in self.codes[:3]:
            Answer.objects.create(
                response=self.response_a,
                value_code=vc,
                current_level=2,
                version=1,
                updated_by=self.bob,
            )
        self.client.force_login(self.victor)
        r = self.client.get(reverse("assessments:response", args=[self.response_a.pk]))
        self.assertContains(r, "20 days left")
        self.assertContains(r, "3 of 59 value codes answered")
        self.assertContains(r, "Bob Hughes")
        self.assertContains(r, '<td class="num">3 of 5</td>', html=True)  # Engaging councillors
        self.assertEqual(r.context["next_item"].code, self.codes[3].code)

    def test_next_unanswered_skips_what_is_done_and_wraps_round(self):
        self.client.force_login(self.bob)
        Answer.objects.create(
            response=self.response_a, value_code=self.codes[0], current_level=3, version=1
        )
        r = self.client.get(reverse("assessments:next", args=[self.response_a.pk]))
        self.assertRedirects(
            r,
            reverse("assessments:area", args=[self.response_a.pk, "EC"])
            + f"#vc-{self.codes[1].code}",
            fetch_redirect_response=False,
        )
        last = self.codes[-1]
        r = self.client.get(
            reverse("assessments:next", args=[self.response_a.pk]), {"after": last.position}
        )
        self.assertIn(f"#vc-{self.codes[1].code}", r.url)

    def test_when_everything_is_answered_next_goes_to_submit(self):
        Answer.objects.bulk_create(
            [
                Answer(response=self.response_a, value_code=vc, current_level=3, version=1)
                for vc in self.codes
            ]
        )
        self.client.force_login(self.bob)
        r = self.client.get(reverse("assessments:next", args=[self.response_a.pk]))
        self.assertRedirects(r, reverse("assessments:submit", args=[self.response_a.pk]))

    def test_a_person_in_two_councils_sees_the_one_they_work_as(self):
        Membership.objects.create(user=self.bob, role=Role.VIEWER, organisation=self.council_b)
        self.client.force_login(self.bob)
        mb = Membership.objects.get(user=self.bob, organisation=self.council_b)
        self.client.post(reverse("accounts:switch_organisation"), {"membership": mb.pk})
        self.assertRedirects(
            self.client.get(reverse("assessments:mine")),
            reverse("assessments:response", args=[self.response_b.pk]),
        )

    def test_before_the_round_opens_the_page_says_when(self):
        self.round.opens_on = timezone.localdate() + dt.timedelta(days=3)
        self.round.save()
        self.client.force_login(self.bob)
        r = self.client.get(reverse("assessments:response", args=[self.response_a.pk]))
        self.assertContains(r, f"opens on {self.round.opens_on:%-d %B %Y}")
        self.assertContains(r, "Nothing to do until the round opens.")

    def test_the_questionnaire_is_read_only_for_readers(self):
        self.client.force_login(self.victor)
        r = self.client.get(reverse("assessments:area", args=[self.response_a.pk, "EC"]))
        self.assertContains(r, "Only your organisation's lead can change the agreed answers.")
        self.assertNotContains(r, "data-autosave")
        self.assertContains(r, '<fieldset class="levels" disabled>', count=5)
