"""Completeness, submission by the lead only, and reopening with the submitted version kept."""

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from diagnostic.assessments.models import Answer, Response, Submission
from diagnostic.assessments.testing import AssessmentTestCase
from diagnostic.audit.models import AuditEvent


class SubmissionTests(AssessmentTestCase):
    def complete(self, response=None, *, skip: set[str] = frozenset()):
        response = response or self.response_a
        Answer.objects.bulk_create([
            Answer(response=response, value_code=vc, current_level=3, target_level=4, priority="medium", version=1)
            for vc in self.codes if vc.code not in skip
        ])  # fmt: skip
        Response.objects.filter(pk=response.pk).update(
            officer_name="Pat Lee", signed_off_name="Sam Roe", signed_off_role="Director of Resources",
            signed_off_on=timezone.localdate(),
        )  # fmt: skip

    def submit(self, user=None):
        self.client.force_login(user or self.bob)
        return self.client.post(reverse("assessments:submit", args=[self.response_a.pk]))

    def test_the_check_lists_everything_missing_with_links(self):
        self.complete(skip={"EC1", "MCR3"})
        Answer.objects.filter(response=self.response_a, value_code__code="OSV2").update(priority="")
        Answer.objects.filter(response=self.response_a, value_code__code="SME1").update(
            target_level=None
        )
        Response.objects.filter(pk=self.response_a.pk).update(signed_off_on=None)
        self.client.force_login(self.bob)
        r = self.client.get(reverse("assessments:submit", args=[self.response_a.pk]))
        missing = [m.what for m in r.context["missing"]]
        self.assertEqual(len(missing), 5)
        self.assertEqual(missing[0], "The date of sign-off")
        self.assertTrue(missing[1].startswith("EC1 ") and missing[1].endswith(": current level"))
        self.assertTrue(missing[2].startswith("MCR3 "))
        self.assertTrue(missing[3].startswith("OSV2 ") and missing[3].endswith(": priority"))
        self.assertTrue(missing[4].startswith("SME1 ") and missing[4].endswith(": target level"))
        self.assertContains(
            r, f'href="{reverse("assessments:area", args=[self.response_a.pk, "MCR"])}#vc-MCR3"'
        )
        self.assertContains(r, "5 things to finish before you can submit")
        self.assertNotContains(r, "Submit Council A")

    def test_an_incomplete_response_is_not_submitted(self):
        self.complete(skip={"VCSE5"})
        r = self.submit()
        self.assertContains(r, "The response is not complete yet", status_code=400)
        self.response_a.refresh_from_db()
        self.assertEqual(self.response_a.status, "draft")
        self.assertFalse(Submission.objects.exists())

    def test_the_lead_submits_a_complete_response_and_it_is_kept_on_record(self):
        self.complete()
        r = self.submit()
        self.assertRedirects(r, reverse("assessments:response", args=[self.response_a.pk]))
        self.response_a.refresh_from_db()
        self.assertEqual(
            (self.response_a.status, self.response_a.submitted_by), ("submitted", self.bob)
        )
        s = Submission.objects.get()
        self.assertEqual(s.number, 1)
        self.assertEqual(len(s.snapshot["answers"]), 59)
        self.assertEqual(s.snapshot["answers"]["EC1"]["current_level"], 3)
        self.assertEqual(s.snapshot["details"]["signed_off_name"], "Sam Roe")
        self.assertTrue(
            AuditEvent.objects.filter(action="response.submitted", actor=self.bob).exists()
        )
        r = self.client.get(reverse("assessments:response", args=[self.response_a.pk]))
        self.assertContains(r, "Submitted on")

    def test_only_the_lead_submits(self):
        self.complete()
        for user, status in [
            (self.alice, 403),
            (self.victor, 403),
            (self.erin, 403),
            (self.nina, 403),
            (self.charlie, 404),
        ]:
            with self.subTest(user=user.email):
                self.assertEqual(self.submit(user).status_code, status)
        self.response_a.refresh_from_db()
        self.assertEqual(self.response_a.status, "draft")

    def test_a_submitted_response_cannot_be_submitted_again_or_after_closing(self):
        self.complete()
        self.submit()
        r = self.submit()
        self.assertRedirects(r, reverse("assessments:response", args=[self.response_a.pk]))
        self.assertEqual(Submission.objects.count(), 1)

    def test_a_response_in_a_closed_round_cannot_be_submitted(self):
        self.complete()
        self.round.closes_on = timezone.localdate() - dt.timedelta(days=1)
        self.round.save()
        self.submit()
        self.response_a.refresh_from_db()
        self.assertEqual(self.response_a.status, "draft")

    def test_a_national_admin_reopens_with_a_reason_and_the_old_submission_stays(self):
        self.complete()
        self.submit()
        self.client.force_login(self.erin)
        url = reverse("assessments:reopen", args=[self.response_a.pk])
        r = self.client.post(url, {"reason": ""})
        self.assertContains(r, "This field is required", status_code=400)
        r = self.client.post(url, {"reason": "Wrong spend band; council asked to correct it."})
        self.assertRedirects(r, reverse("assessments:response", args=[self.response_a.pk]))
        self.response_a.refresh_from_db()
        self.assertEqual(self.response_a.status, "draft")
        s = Submission.objects.get()
        self.assertEqual(
            (s.reopened_by, s.reopen_reason),
            (self.erin, "Wrong spend band; council asked to correct it."),
        )
        self.assertEqual(s.snapshot["answers"]["EC1"]["current_level"], 3)
        # The lead changes an answer and submits again: submission 2; submission 1 is unchanged.
        self.client.force_login(self.bob)
        a = Answer.objects.get(response=self.response_a, value_code__code="EC1")
        r = self.client.post(
            reverse("assessments:save_answer", args=[self.response_a.pk, "EC1"]),
            {
                "EC1-current_level": "4",
                "EC1-target_level": "5",
                "EC1-priority": "low",
                "EC1-version": str(a.version),
            },
            headers={"HX-Request": "true"},
        )
        self.assertEqual(r.status_code, 200)
        self.submit()
        self.assertEqual(
            list(Submission.objects.order_by("number").values_list("number", flat=True)), [1, 2]
        )
        first, second = Submission.objects.order_by("number")
        self.assertEqual(
            (
                first.snapshot["answers"]["EC1"]["current_level"],
                second.snapshot["answers"]["EC1"]["current_level"],
            ),
            (3, 4),
        )

    def test_only_a_national_admin_can_reopen(self):
        self.complete()
        self.submit()
        for user, status in [
            (self.bob, 403),
            (self.nina, 403),
            (self.dana, 403),
            (self.charlie, 403),
        ]:
            self.client.force_login(user)
            self.assertEqual(
                self.client.post(
                    reverse("assessments:reopen", args=[self.response_a.pk]), {"reason": "x"}
                ).status_code,
                status,
            )
        self.response_a.refresh_from_db()
        self.assertEqual(self.response_a.status, "submitted")

    def test_a_draft_cannot_be_reopened(self):
        self.client.force_login(self.erin)
        r = self.client.post(
            reverse("assessments:reopen", args=[self.response_a.pk]), {"reason": "why"}, follow=True
        )
        self.assertContains(r, "Only a submitted response can be reopened.")


class DetailsTests(AssessmentTestCase):
    url_name = "assessments:details"

    def post(self, user, **data):
        self.client.force_login(user)
        payload = {"version": "0", "officer_name": "Pat Lee", "spend_band": "50m_150m"} | data
        return self.client.post(reverse(self.url_name, args=[self.response_a.pk]), payload)

    def test_the_lead_saves_the_details(self):
        r = self.post(self.bob, consent_regional_sharing="on", signed_off_on="2026-11-01")
        self.assertRedirects(r, reverse("assessments:response", args=[self.response_a.pk]))
        self.response_a.refresh_from_db()
        self.assertEqual(
            (
                self.response_a.officer_name,
                self.response_a.spend_band,
                self.response_a.consent_regional_sharing,
                self.response_a.version,
            ),
            ("Pat Lee", "50m_150m", True, 1),
        )

    def test_bad_details_are_refused(self):
        for data, message in [
            ({"officer_email": "nope"}, "Enter a valid email address."),
            ({"spend_band": "a lot"}, "Select a valid choice"),
            ({"signed_off_on": "2099-01-01"}, "cannot be in the future"),
            ({"signed_off_on": "31/02/2026"}, "Enter a valid date."),
        ]:
            r = self.post(self.bob, **data)
            self.assertContains(r, message, status_code=400)
        self.response_a.refresh_from_db()
        self.assertEqual(self.response_a.officer_name, "")

    def test_a_stale_details_form_is_refused(self):
        self.post(self.bob, officer_name="First")
        r = self.post(self.bob, officer_name="Second", version="0")
        self.assertRedirects(r, reverse(self.url_name, args=[self.response_a.pk]))
        self.response_a.refresh_from_db()
        self.assertEqual(self.response_a.officer_name, "First")

    def test_readers_see_the_details_but_cannot_change_them(self):
        self.client.force_login(self.victor)
        r = self.client.get(reverse(self.url_name, args=[self.response_a.pk]))
        self.assertContains(r, "Only your organisation's lead can change")
        self.assertEqual(self.post(self.victor).status_code, 403)
        self.assertEqual(self.post(self.alice).status_code, 403)
        self.assertEqual(self.post(self.charlie).status_code, 404)
        self.response_a.refresh_from_db()
        self.assertEqual(self.response_a.officer_name, "")
