"""Sign-off: the lead asks a named senior officer to approve; the officer decides through a
single-use link, without an account; the approval is recorded on the response."""

from __future__ import annotations

import datetime as dt
import re

from django.core import mail
from django.urls import reverse
from django.utils import timezone

from diagnostic.assessments.models import Answer, Response, Round
from diagnostic.audit.models import AuditEvent
from diagnostic.consolidation.models import SignOffRequest, hash_token
from diagnostic.consolidation.testing import ConsolidationTestCase, make_sign_off_request

TOKEN = "t" * 43


def officer(**overrides) -> dict:
    data = {
        "officer_name": "Sam Senior",
        "officer_email": "Sam.Senior@example.org",
        "officer_role": "Director of Finance",
        "message": "Please look before Friday's deadline.",
    }
    data.update(overrides)
    return data


def token_in(message) -> str:
    return re.search(r"/sign-off/([\w-]+)/", message.body).group(1)


def submit(response) -> None:
    Response.objects.filter(pk=response.pk).update(status="submitted", submitted_at=timezone.now())


def close_round(rnd) -> None:
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    Round.objects.filter(pk=rnd.pk).update(
        opens_on=yesterday - dt.timedelta(days=30), closes_on=yesterday
    )


class RequestSignOffTests(ConsolidationTestCase):
    def url(self, response=None):
        return reverse("consolidation:request_sign_off", args=[(response or self.response_a).pk])

    def post(self, user=None, response=None, **overrides):
        self.client.force_login(user or self.bob)
        return self.client.post(self.url(response), officer(**overrides))

    def test_it_explains_the_optional_step_to_the_lead(self):
        self.client.force_login(self.bob)
        r = self.client.get(self.url())
        self.assertEqual(r.status_code, 200)
        self.assertContains(r, "This step is optional")
        self.assertContains(r, "printed in its PDF")
        self.assertContains(r, "changed since")
        self.assertContains(r, "No sign-off has been asked for yet.")
        self.assertContains(r, "Not signed off.")
        self.assertContains(r, 'name="officer_email"')

    def test_it_emails_a_single_use_link_to_the_officer(self):
        r = self.post()
        self.assertRedirects(r, self.url(), fetch_redirect_response=False)
        self.assertEqual(len(mail.outbox), 1)
        email = mail.outbox[0]
        self.assertEqual(email.to, ["sam.senior@example.org"])
        self.assertIn("Council A Metropolitan Borough Council", email.subject)
        self.assertIn("Bob Hughes asks you, as Director of Finance", email.body)
        self.assertIn("Please look before Friday's deadline.", email.body)
        token = token_in(email)
        self.assertGreaterEqual(len(token), 43)  # 32 random bytes
        req = SignOffRequest.objects.get(response=self.response_a)
        self.assertEqual(req.token_hash, hash_token(token))
        self.assertEqual(
            (req.officer_name, req.officer_email, req.officer_role, req.requested_by),
            ("Sam Senior", "sam.senior@example.org", "Director of Finance", self.bob),
        )
        self.assertEqual(req.status, "pending")
        event = AuditEvent.objects.get(action="sign_off.requested")
        self.assertEqual((event.actor, event.object_id), (self.bob, str(req.pk)))
        self.assertNotIn(token, str(event.detail))
        page = self.client.get(self.url())
        self.assertContains(page, "We have emailed Sam Senior (sam.senior@example.org)")
        self.assertContains(page, "Waiting for a decision")
        self.assertContains(page, "Waiting for approval from Sam Senior (Director of Finance)")
        self.assertContains(page, 'Withdraw<span class="visually-hidden"> the request to Sam')

    def test_bad_inputs_are_explained_and_change_nothing(self):
        for overrides, message in [
            ({"officer_email": "not-an-email"}, "Enter an email address like name@council.gov.uk."),
            ({"officer_email": ""}, "Enter the senior officer&#x27;s email address."),
            ({"officer_name": "  "}, "Enter the senior officer&#x27;s name."),
            ({"officer_role": ""}, "Enter the senior officer&#x27;s role"),
            ({"officer_name": "x" * 151}, "Ensure this value has at most 150 characters"),
            ({"message": "x" * 2001}, "Ensure this value has at most 2000 characters"),
        ]:
            with self.subTest(overrides=overrides):
                r = self.post(**overrides)
                self.assertEqual(r.status_code, 400)
                self.assertContains(r, message, status_code=400)
                self.assertContains(r, "There is a problem", status_code=400)
                self.assertTrue(r.content.decode().startswith("<!doctype html>"))
                self.assertIn("<title>Error: ", r.content.decode())
        self.assertFalse(SignOffRequest.objects.filter(response=self.response_a).exists())
        self.assertEqual(mail.outbox, [])

    def test_only_the_lead_of_the_council_can_ask(self):
        for user, status in [
            (self.alice, 403),
            (self.victor, 403),
            (self.nina, 403),
            (self.erin, 403),
            (self.charlie, 404),
            (self.dana, 404),
            (self.zoe, 404),
        ]:
            with self.subTest(user=user.email):
                self.client.force_login(user)
                self.assertEqual(self.client.get(self.url()).status_code, status)
                self.assertEqual(self.post(user).status_code, status)
        self.assertFalse(SignOffRequest.objects.filter(response=self.response_a).exists())
        self.assertEqual(mail.outbox, [])

    def test_council_b_is_not_found_for_council_a_lead(self):
        self.client.force_login(self.bob)
        self.assertEqual(self.client.get(self.url(self.response_b)).status_code, 404)
        self.assertEqual(self.post(response=self.response_b).status_code, 404)
        self.assertEqual(SignOffRequest.objects.filter(response=self.response_b).count(), 1)

    def test_signed_out_visitors_are_sent_to_sign_in(self):
        r = self.client.get(self.url())
        self.assertEqual(r.status_code, 302)
        self.assertIn(reverse("accounts:sign_in"), r["Location"])

    def test_a_submitted_response_or_a_closed_round_is_read_only(self):
        make_sign_off_request(self.response_a, by=self.bob, token=TOKEN)
        for lock, notice in [
            (lambda: close_round(self.round), "is not open for answers"),
            (lambda: submit(self.response_a), "has been submitted"),
        ]:
            with self.subTest(notice=notice):
                lock()
                self.client.force_login(self.bob)
                page = self.client.get(self.url())
                self.assertContains(page, notice)
                self.assertNotContains(page, 'name="officer_email"')
                self.assertNotContains(page, "Withdraw<span")
                self.assertContains(page, "Sam Senior")  # the history is kept
                r = self.post()
                self.assertRedirects(r, self.url(), fetch_redirect_response=False)
                self.assertContains(
                    self.client.get(self.url()), "This response can no longer be changed."
                )
        self.assertEqual(SignOffRequest.objects.filter(response=self.response_a).count(), 1)
        self.assertEqual(mail.outbox, [])

    def test_a_new_request_withdraws_the_one_waiting(self):
        self.post()
        first = token_in(mail.outbox[0])
        self.post(officer_name="Priya Shah", officer_email="priya@example.org")
        second = token_in(mail.outbox[1])
        old, new = SignOffRequest.objects.filter(response=self.response_a).order_by("pk")
        self.assertEqual((old.status, new.status), ("withdrawn", "pending"))
        self.client.logout()
        dead = self.client.get(reverse("consolidation:sign_off", args=[first]))
        self.assertContains(dead, "This sign-off link cannot be used", status_code=410)
        self.assertContains(dead, "withdrew this request", status_code=410)
        self.assertNotContains(dead, '<form method="post"', status_code=410)
        live = self.client.get(reverse("consolidation:sign_off", args=[second]))
        self.assertContains(live, "Send my decision")
        self.assertContains(live, "Priya Shah")


class WithdrawSignOffTests(ConsolidationTestCase):
    def setUp(self):
        super().setUp()
        self.req = make_sign_off_request(self.response_a, by=self.bob, token=TOKEN)

    def url(self, response=None, req=None):
        return reverse(
            "consolidation:withdraw_sign_off",
            args=[(response or self.response_a).pk, (req or self.req).pk],
        )

    def test_the_lead_withdraws_a_waiting_request_and_its_link_dies(self):
        self.client.force_login(self.bob)
        r = self.client.post(self.url(), follow=True)
        self.assertContains(r, "The request to Sam Senior is withdrawn.")
        self.req.refresh_from_db()
        self.assertEqual(self.req.status, "withdrawn")
        self.assertEqual(AuditEvent.objects.filter(action="sign_off.withdrawn").count(), 1)
        self.client.logout()
        page = self.client.get(reverse("consolidation:sign_off", args=[TOKEN]))
        self.assertEqual(page.status_code, 410)
        post = self.client.post(
            reverse("consolidation:sign_off", args=[TOKEN]), {"decision": "approve"}
        )
        self.assertEqual(post.status_code, 410)
        self.assertEqual(Response.objects.get(pk=self.response_a.pk).signed_off_name, "")

    def test_a_decided_request_cannot_be_withdrawn(self):
        SignOffRequest.objects.filter(pk=self.req.pk).update(
            decision="declined", decided_at=timezone.now(), decision_note="Fix EC1."
        )
        self.client.force_login(self.bob)
        r = self.client.post(self.url(), follow=True)
        self.assertContains(r, "cannot be withdrawn: not approved")
        self.req.refresh_from_db()
        self.assertEqual((self.req.status, self.req.withdrawn_at), ("declined", None))

    def test_nothing_is_withdrawn_once_the_response_is_submitted(self):
        submit(self.response_a)
        self.client.force_login(self.bob)
        r = self.client.post(self.url(), follow=True)
        self.assertContains(r, "This response can no longer be changed.")
        self.req.refresh_from_db()
        self.assertEqual(self.req.status, "pending")

    def test_it_is_a_post_for_the_lead_of_that_response_only(self):
        self.client.force_login(self.bob)
        self.assertEqual(self.client.get(self.url()).status_code, 405)
        # Council B's request under Council A's response, and Council B's response.
        self.assertEqual(self.client.post(self.url(req=self.sign_off_b)).status_code, 404)
        self.assertEqual(
            self.client.post(self.url(self.response_b, self.sign_off_b)).status_code, 404
        )
        for user, status in [(self.alice, 403), (self.victor, 403), (self.charlie, 404)]:
            with self.subTest(user=user.email):
                self.client.force_login(user)
                self.assertEqual(self.client.post(self.url()).status_code, status)
        self.req.refresh_from_db()
        self.sign_off_b.refresh_from_db()
        self.assertEqual((self.req.status, self.sign_off_b.status), ("pending", "pending"))


class SignOffPageTests(ConsolidationTestCase):
    """The officer's page, reached through the emailed link."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        ec1 = next(vc for vc in cls.codes if vc.code == "EC1")
        Answer.objects.create(
            response=cls.response_a, value_code=ec1, current_level=3, target_level=4,
            priority="high", version=1, updated_at=timezone.now() - dt.timedelta(days=1),
        )  # fmt: skip

    def setUp(self):
        super().setUp()
        self.req = make_sign_off_request(self.response_a, by=self.bob, token=TOKEN)
        SignOffRequest.objects.filter(pk=self.req.pk).update(message="Ready <b>for you</b>.")
        self.url = reverse("consolidation:sign_off", args=[TOKEN])

    def decide(self, **data):
        return self.client.post(self.url, data)

    def test_it_shows_who_asks_and_the_agreed_answers_without_signing_in(self):
        r = self.client.get(self.url)
        self.assertEqual(r.status_code, 200)
        self.assertEqual(r["Referrer-Policy"], "strict-origin")
        self.assertEqual(r["Cache-Control"], "private, no-store")
        self.assertContains(r, "Council A Metropolitan Borough Council")
        self.assertContains(r, "NPS 2026")
        self.assertContains(r, "Bob Hughes asks you, Sam Senior (Director of Finance)")
        self.assertContains(r, "Ready &lt;b&gt;for you&lt;/b&gt;.")
        self.assertContains(r, "1 of 59")
        self.assertContains(r, "3 Mature")
        self.assertContains(r, "Not answered")
        self.assertContains(r, '<legend class="label">Do you approve this response?</legend>')
        self.assertContains(r, 'value="approve"')
        self.assertContains(r, 'value="decline"')

    def test_approving_records_the_officer_on_the_response(self):
        r = self.decide(decision="approve", note="")
        self.assertRedirects(r, self.url, fetch_redirect_response=False)
        response = Response.objects.get(pk=self.response_a.pk)
        self.assertEqual(
            (response.signed_off_name, response.signed_off_role, response.signed_off_on),
            ("Sam Senior", "Director of Finance", timezone.localdate()),
        )
        self.req.refresh_from_db()
        self.assertEqual(self.req.status, "approved")
        self.assertIsNotNone(self.req.decided_at)
        event = AuditEvent.objects.get(action="sign_off.approved")
        self.assertEqual(
            (event.object_id, event.organisation_id), (str(self.req.pk), self.council_a.pk)
        )
        done = self.client.get(self.url)
        self.assertContains(done, "You approved the response")
        self.assertContains(done, "cannot be used again")
        self.assertNotContains(done, "Send my decision")
        self.assertEqual(done["Referrer-Policy"], "strict-origin")
        # The lead sees it, with no answer changed since.
        self.client.force_login(self.bob)
        lead = self.client.get(reverse("consolidation:request_sign_off", args=[self.response_a.pk]))
        self.assertContains(lead, "Signed off by Sam Senior, Director of Finance, on")
        self.assertContains(lead, "No answer has changed since the approval.")
        self.assertContains(lead, "Approved")

    def test_changes_after_the_approval_are_counted(self):
        self.decide(decision="approve")
        self.client.force_login(self.bob)
        r = self.client.post(
            reverse("assessments:save_answer", args=[self.response_a.pk, "EC2"]),
            self.answer_payload("EC2"),
        )
        self.assertIn(r.status_code, (200, 302))
        for name in ("consolidation:request_sign_off", "assessments:submit"):
            with self.subTest(page=name):
                page = self.client.get(reverse(name, args=[self.response_a.pk]))
                self.assertContains(page, "Signed off by Sam Senior")
                self.assertContains(page, "1 answer changed since the approval.")

    def test_not_approving_needs_a_note_for_the_lead(self):
        r = self.decide(decision="decline", note="   ")
        self.assertContains(r, "Tell the lead what needs to change", status_code=400)
        self.assertContains(r, "There is a problem", status_code=400)
        self.assertEqual(r["Cache-Control"], "private, no-store")
        self.req.refresh_from_db()
        self.assertEqual(self.req.status, "pending")
        r = self.decide(decision="decline", note="EC1 looks too high to me.")
        self.assertRedirects(r, self.url, fetch_redirect_response=False)
        self.req.refresh_from_db()
        self.assertEqual(
            (self.req.status, self.req.decision_note), ("declined", "EC1 looks too high to me.")
        )
        self.assertEqual(Response.objects.get(pk=self.response_a.pk).signed_off_name, "")
        self.assertTrue(AuditEvent.objects.filter(action="sign_off.declined").exists())
        self.assertContains(self.client.get(self.url), "You did not approve the response")
        self.client.force_login(self.bob)
        page = self.client.get(reverse("assessments:submit", args=[self.response_a.pk]))
        self.assertContains(page, "Not signed off.")
        self.assertContains(page, "Not approved by Sam Senior (Director of Finance) on")
        self.assertContains(page, "EC1 looks too high to me.")

    def test_a_decision_must_be_chosen_and_the_note_kept_short(self):
        for data, message in [
            ({"note": "Fine"}, "Choose whether you approve the response."),
            ({"decision": "maybe"}, "Select a valid choice."),
            ({"decision": "approve", "note": "x" * 2001}, "at most 2000 characters"),
        ]:
            with self.subTest(data=data):
                self.assertContains(self.decide(**data), message, status_code=400)
        self.req.refresh_from_db()
        self.assertEqual(self.req.status, "pending")

    def test_a_used_link_shows_no_form_and_changes_nothing(self):
        self.decide(decision="approve")
        events = AuditEvent.objects.count()
        r = self.decide(decision="decline", note="Changed my mind")
        self.assertEqual(r.status_code, 200)
        self.assertContains(r, "You approved the response")
        self.assertNotContains(r, "Send my decision")
        self.req.refresh_from_db()
        self.assertEqual((self.req.status, self.req.decision_note), ("approved", ""))
        self.assertEqual(AuditEvent.objects.count(), events)

    def test_an_expired_link_explains_itself_and_changes_nothing(self):
        SignOffRequest.objects.filter(pk=self.req.pk).update(
            expires_at=timezone.now() - dt.timedelta(minutes=1)
        )
        r = self.client.get(self.url)
        self.assertContains(r, "This link expired on", status_code=410)
        self.assertNotContains(r, "Send my decision", status_code=410)
        self.assertEqual(r["Referrer-Policy"], "strict-origin")
        self.assertEqual(self.decide(decision="approve").status_code, 410)
        self.assertEqual(Response.objects.get(pk=self.response_a.pk).signed_off_name, "")

    def test_a_submitted_response_or_closed_round_cannot_be_approved(self):
        for lock, notice in [
            (lambda: close_round(self.round), "is not open for answers"),
            (lambda: submit(self.response_a), "was submitted on"),
        ]:
            with self.subTest(notice=notice):
                lock()
                self.assertContains(self.client.get(self.url), notice, status_code=410)
                self.assertEqual(self.decide(decision="approve").status_code, 410)
        self.req.refresh_from_db()
        self.assertEqual(self.req.status, "pending")
        self.assertEqual(Response.objects.get(pk=self.response_a.pk).signed_off_name, "")

    def test_an_unknown_token_is_not_found(self):
        for token in ["u" * 43, "b" * 42, "x" * 101]:
            with self.subTest(token=token[:5]):
                self.assertEqual(
                    self.client.get(reverse("consolidation:sign_off", args=[token])).status_code,
                    404,
                )

    def test_council_b_link_opens_only_council_b(self):
        r = self.client.get(reverse("consolidation:sign_off", args=["b" * 43]))
        self.assertContains(r, "Council B County Council")
        self.assertNotContains(r, "Council A")

    def test_the_submit_page_says_who_is_asked(self):
        self.client.force_login(self.bob)
        page = self.client.get(reverse("assessments:submit", args=[self.response_a.pk]))
        self.assertContains(page, "Not signed off.")
        self.assertContains(page, "Waiting for approval from Sam Senior (Director of Finance)")
        self.assertContains(
            page, reverse("consolidation:request_sign_off", args=[self.response_a.pk])
        )
        # A reader of the council sees the state, without the link to ask.
        self.client.force_login(self.victor)
        page = self.client.get(reverse("assessments:submit", args=[self.response_a.pk]))
        self.assertContains(page, "Waiting for approval from Sam Senior")
        self.assertNotContains(page, "Ask for sign-off")

    def test_a_sign_off_typed_in_the_details_shows_as_recorded_by_the_council(self):
        Response.objects.filter(pk=self.response_a.pk).update(
            signed_off_name="Pat Roe", signed_off_role="Chief Executive",
            signed_off_on=timezone.localdate(),
        )  # fmt: skip
        SignOffRequest.objects.filter(pk=self.req.pk).update(withdrawn_at=timezone.now())
        self.client.force_login(self.bob)
        page = self.client.get(reverse("assessments:submit", args=[self.response_a.pk]))
        self.assertContains(page, "Signed off by Pat Roe, Chief Executive, on")
        self.assertContains(page, "Recorded in the response details by the council.")
        self.assertNotContains(page, "Waiting for approval")
