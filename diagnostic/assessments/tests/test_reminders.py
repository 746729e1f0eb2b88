"""A national admin reminds the leads of councils that have not submitted, after a preview."""

from django.conf import settings
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils.dateformat import format as format_date

from diagnostic.assessments import services
from diagnostic.assessments.models import Reminder, ReminderRecipient, Response, Round
from diagnostic.assessments.tests.test_tracking import TrackingTestCase
from diagnostic.audit.models import AuditEvent


class ReminderTests(TrackingTestCase):
    """Council A (in progress, Bob), B (submitted, Charlie), D (in progress, Dave and Deb),
    Cardiff (not started, no lead)."""

    def setUp(self):
        super().setUp()
        self.client.force_login(self.erin)
        self.new_url = reverse("assessments:reminder_new", args=[self.round.pk])
        self.history_url = reverse("assessments:reminders", args=[self.round.pk])

    def send(self, params: dict | None = None, **data):
        """POST "send" with the filters in the query string, as the preview page does."""
        subject, body = services.default_reminder_text(self.round)
        payload = {"subject": subject, "body": body, "action": "send"} | data
        url = self.new_url
        if params:
            url += "?" + "&".join(f"{k}={v}" for k, v in params.items())
        return self.client.post(url, payload)

    def link(self, response: Response) -> str:
        return settings.SITE_ROOT + reverse("assessments:response", args=[response.pk])

    def test_it_previews_counts_skips_and_the_first_email_without_sending(self):
        r = self.client.get(self.new_url)
        self.assertEqual(r.status_code, 200)
        plan = r.context["plan"]
        self.assertEqual(
            [x.organisation.short_name for x in plan.targets], ["Council A", "Council D"]
        )
        self.assertEqual([x.organisation.short_name for x in plan.skipped], ["Cardiff"])
        self.assertEqual(plan.lead_count, 3)
        self.assertEqual(plan.submitted_count, 1)
        self.assertContains(r, "2 councils (0 not started, 2 in progress): 3 emails to their leads")
        self.assertContains(r, "1 council has no lead")
        self.assertContains(r, "Cardiff Council")
        self.assertContains(r, "Send 3 emails")
        # The email as Bob, the first lead, will see it: placeholders filled for Council A.
        self.assertContains(r, "As Bob Hughes at Council A Metropolitan Borough Council")
        preview = r.context["preview"]
        self.assertEqual(preview["to"], self.bob)
        self.assertIn(
            "Council A Metropolitan Borough Council has not yet submitted", preview["body"]
        )
        self.assertIn(self.link(self.response_a), preview["body"])
        self.assertIn(format_date(self.round.closes_on, "j F Y"), preview["subject"])
        self.assertIn("(20 days left)", preview["body"])
        self.assertNotIn("{", preview["body"] + preview["subject"])
        # The form starts with the text as written, placeholders and all.
        self.assertContains(r, "{organisation} has not yet submitted")
        self.assertEqual(mail.outbox, [])
        self.assertFalse(Reminder.objects.exists())

    def test_it_previews_edited_text_without_sending(self):
        r = self.send(subject="Nearly there, {organisation}", body="Go to {link} today.", action="preview")  # fmt: skip
        self.assertEqual(r.status_code, 200)
        self.assertEqual(
            r.context["preview"]["subject"], "Nearly there, Council A Metropolitan Borough Council"
        )
        self.assertEqual(r.context["preview"]["body"], f"Go to {self.link(self.response_a)} today.")
        self.assertEqual(mail.outbox, [])
        self.assertFalse(Reminder.objects.exists())

    def test_get_never_sends(self):
        subject, body = services.default_reminder_text(self.round)
        r = self.client.get(self.new_url, {"action": "send", "subject": subject, "body": body})
        self.assertEqual(r.status_code, 200)
        self.assertEqual(mail.outbox, [])
        self.assertFalse(Reminder.objects.exists())

    def test_it_emails_only_the_leads_of_draft_councils_in_the_filter(self):
        params = {"region": self.south_east.pk}
        r = self.send(params)
        self.assertRedirects(
            r,
            reverse("assessments:round", args=[self.round.pk]) + f"?region={self.south_east.pk}",
            fetch_redirect_response=False,
        )
        # Council D's two leads; Council B (submitted) in the same region never.
        self.assertEqual(sorted(m.to[0] for m in mail.outbox), [self.dave.email, self.deb.email])
        self.assertTrue(all(len(m.to) == 1 for m in mail.outbox))
        for message in mail.outbox:
            self.assertIn("Council D District Council has not yet submitted", message.body)
            self.assertIn(self.link(self.response_d), message.body)
            self.assertIn(format_date(self.round.closes_on, "j F Y"), message.subject)
            self.assertNotIn("{", message.body + message.subject)
            self.assertEqual(message.from_email, settings.DEFAULT_FROM_EMAIL)
        reminder = Reminder.objects.get()
        self.assertEqual(reminder.sent_by, self.erin)
        self.assertEqual(reminder.recipient_count, 2)
        self.assertEqual(reminder.organisation_count, 1)
        self.assertEqual(reminder.skipped_count, 0)
        self.assertEqual(reminder.stages, ["in_progress"])
        self.assertEqual(reminder.filter_description, "South East")
        self.assertIn("{organisation}", reminder.body)  # kept as written
        self.assertEqual(
            sorted(reminder.recipients.values_list("organisation__short_name", "email")),
            [("Council D", self.dave.email), ("Council D", self.deb.email)],
        )
        event = AuditEvent.objects.get(action="reminders.sent")
        self.assertEqual(event.actor, self.erin)
        self.assertEqual(event.detail["recipients"], 2)
        r = self.client.get(r.url)
        self.assertContains(r, "Reminder sent to 2 leads at 1 council.")

    def test_it_fills_the_placeholders_for_each_organisation(self):
        self.send(
            subject="{organisation}: {days_left} left",
            body="{organisation} closes at the end of {deadline}. {link}",
        )
        by_address = {m.to[0]: m for m in mail.outbox}
        self.assertEqual(set(by_address), {self.bob.email, self.dave.email, self.deb.email})
        deadline = format_date(self.round.closes_on, "j F Y")
        for email, response in [
            (self.bob.email, self.response_a),
            (self.dave.email, self.response_d),
        ]:
            message = by_address[email]
            name = response.organisation.name
            self.assertEqual(message.subject, f"{name}: 20 days left")
            self.assertEqual(
                message.body, f"{name} closes at the end of {deadline}. {self.link(response)}"
            )

    def test_submitted_councils_are_never_emailed(self):
        r = self.client.get(self.new_url, {"stage": "submitted"})
        self.assertContains(r, "there is nobody to remind")
        r = self.send({"stage": "submitted"})
        self.assertEqual(r.status_code, 400)
        self.assertContains(
            r, "No council in this selection has a lead to remind.", status_code=400
        )
        # Even when a caller hands the service a submitted response directly.
        with self.assertRaisesMessage(ValidationError, "No council in this selection has a lead"):
            services.do_send_reminders(
                by=self.erin, round=self.round,
                responses=Response.objects.filter(pk=self.response_b.pk),
                subject="Reminder", body="Please submit.",
            )  # fmt: skip
        self.assertEqual(mail.outbox, [])
        self.assertFalse(Reminder.objects.exists())

    def test_responses_of_another_round_are_never_emailed(self):
        other = Round.objects.create(
            name="NPS 2025", framework_version=self.framework, opens_on=self.round.opens_on,
            closes_on=self.round.closes_on, eligibility_date=self.round.opens_on,
            nations=["England"], status=Round.Status.OPEN,
        )  # fmt: skip
        elsewhere = Response.objects.create(round=other, organisation=self.council_a)
        services.do_send_reminders(
            by=self.erin, round=self.round,
            responses=Response.objects.filter(pk__in=[elsewhere.pk, self.response_d.pk]),
            subject="Reminder", body="{link}",
        )  # fmt: skip
        self.assertEqual(sorted(m.to[0] for m in mail.outbox), [self.dave.email, self.deb.email])

    def test_councils_without_a_lead_are_skipped_and_reported(self):
        self.dave.is_active = False  # a switched-off account is not a lead to email
        self.dave.save()
        r = self.send()
        self.assertEqual(r.status_code, 302)
        self.assertEqual(sorted(m.to[0] for m in mail.outbox), [self.bob.email, self.deb.email])
        reminder = Reminder.objects.get()
        self.assertEqual(reminder.skipped_count, 1)
        self.assertEqual(reminder.organisation_count, 2)
        self.assertFalse(ReminderRecipient.objects.filter(organisation=self.cardiff).exists())
        r = self.client.get(r.url)
        self.assertContains(
            r,
            "Reminder sent to 2 leads at 2 councils. 1 council was skipped because it has no lead.",
        )
        # Only Cardiff chosen: nobody to remind, nothing sent.
        mail.outbox = []
        r = self.send({"nation": "Wales"})
        self.assertContains(
            r, "No council in this selection has a lead to remind.", status_code=400
        )
        self.assertEqual(mail.outbox, [])

    def test_bad_text_is_refused_and_nothing_is_sent(self):
        too_long = "x" * (services.REMINDER_BODY_MAX + 1)
        for data, field, message in [
            ({"subject": "  "}, "subject", "Enter a subject."),
            ({"body": ""}, "body", "Enter the message."),
            ({"body": "Dear {name}, see {link}"}, "body", "Remove or correct {name}: you can use only {organisation}, {deadline}, {days_left} or {link}."),
            ({"subject": "For {council}"}, "subject", "Remove or correct {council}"),
            ({"body": "{organisation.__class__}"}, "body", "Remove or correct {organisation.__class__}"),
            ({"body": too_long}, "body", "Keep the message to 5000 characters or fewer"),
            ({"subject": "s" * 151}, "subject", "Keep the subject to 150 characters or fewer."),
            ({"subject": "One\nTwo"}, "subject", "Keep the subject on one line."),
        ]:  # fmt: skip
            with self.subTest(data=data):
                r = self.send(**data)
                self.assertContains(r, message, status_code=400)
                self.assertIn(field, r.context["form"].errors)
                self.assertIsNone(r.context["preview"])
        self.assertEqual(mail.outbox, [])
        self.assertFalse(Reminder.objects.exists())
        # The service refuses the same text from any other caller.
        with self.assertRaises(ValidationError) as caught:
            services.do_send_reminders(
                by=self.erin, round=self.round, responses=Response.objects.all(),
                subject="", body="{nope}",
            )  # fmt: skip
        self.assertEqual(set(caught.exception.message_dict), {"subject", "body"})
        self.assertEqual(mail.outbox, [])

    def test_filters_it_does_not_understand_send_nothing(self):
        r = self.send({"region": "999"})
        self.assertEqual(r.status_code, 400)
        self.assertContains(r, "could not be understood", status_code=400)
        self.assertEqual(mail.outbox, [])
        self.assertFalse(Reminder.objects.exists())

    def test_nothing_is_sent_once_the_round_has_closed(self):
        Round.objects.filter(pk=self.round.pk).update(status=Round.Status.CLOSED)
        r = self.client.get(self.new_url)
        self.assertContains(r, "reminders cannot be sent")
        self.assertNotContains(r, "Send 3 emails")
        r = self.send()
        self.assertContains(r, "Reminders can be sent only while the round is open.", status_code=400)  # fmt: skip
        self.assertEqual(mail.outbox, [])
        self.assertNotContains(
            self.client.get(reverse("assessments:round", args=[self.round.pk])), "Send a reminder"
        )

    def test_only_national_admins_send_reminders_or_see_them(self):
        self.send(body="First {link}")
        reminder = Reminder.objects.get()
        mail.outbox = []
        detail_url = reverse("assessments:reminder", args=[self.round.pk, reminder.pk])
        for user in (self.nina, self.alice, self.bob, self.victor, self.charlie, self.dana, self.zoe):  # fmt: skip
            self.client.force_login(user)
            with self.subTest(user=user.email):
                if user != self.dana:  # she reminds her region's councils (test_regional_tracking)
                    self.assertEqual(self.client.get(self.new_url).status_code, 403)
                    self.assertEqual(self.send().status_code, 403)
                self.assertEqual(self.client.get(self.history_url).status_code, 403)
                self.assertEqual(self.client.get(detail_url).status_code, 403)
                if user == self.dana:
                    continue
                with self.assertRaises(PermissionDenied):
                    services.do_send_reminders(
                        by=user, round=self.round, responses=Response.objects.all(),
                        subject="Reminder", body="Please submit.",
                    )  # fmt: skip
        self.client.logout()
        self.assertEqual(self.send().status_code, 302)
        self.assertEqual(mail.outbox, [])
        self.assertEqual(Reminder.objects.count(), 1)

    def test_sending_needs_the_csrf_token(self):
        from diagnostic.twofactor.testing import VerifyingClient

        client = VerifyingClient(enforce_csrf_checks=True)  # Erin passes her second factor
        client.force_login(self.erin)
        subject, body = services.default_reminder_text(self.round)
        r = client.post(self.new_url, {"subject": subject, "body": body, "action": "send"})
        self.assertEqual(r.status_code, 403)
        self.assertEqual(mail.outbox, [])

    def test_the_history_lists_what_was_sent_with_its_recipients(self):
        self.send({"stage": "in_progress", "region": self.north_west.pk}, subject="First")
        self.send({"type": "non_metropolitan_district"}, subject="Second")
        r = self.client.get(reverse("assessments:round", args=[self.round.pk]))
        self.assertContains(r, "2 reminders sent")
        r = self.client.get(self.history_url)
        self.assertEqual(r.status_code, 200)
        first, second = Reminder.objects.order_by("sent_at", "pk")
        self.assertEqual(list(r.context["page"]), [second, first])
        self.assertContains(r, "In progress; North West")
        self.assertContains(r, "District council")
        self.assertContains(r, "Erin Okafor")
        r = self.client.get(reverse("assessments:reminder", args=[self.round.pk, second.pk]))
        self.assertContains(r, "Second")
        self.assertContains(r, self.dave.email)
        self.assertContains(r, self.deb.email)
        self.assertNotContains(r, self.bob.email)
        self.assertContains(r, "{organisation} has not yet submitted")
        # A reminder is reached only under its own round.
        other = Round.objects.create(
            name="NPS 2025", framework_version=self.framework, opens_on=self.round.opens_on,
            closes_on=self.round.closes_on, eligibility_date=self.round.opens_on,
            nations=["England"],
        )  # fmt: skip
        for url in [
            reverse("assessments:reminder", args=[other.pk, second.pk]),
            reverse("assessments:reminder", args=[self.round.pk, 987654321]),
            reverse("assessments:reminders", args=[987654321]),
        ]:
            self.assertEqual(self.client.get(url).status_code, 404, url)


class ReminderSentOnceTests(TrackingTestCase):
    def test_sending_the_same_preview_twice_sends_once(self):
        from django.core import mail
        from django.urls import reverse

        from diagnostic.assessments.models import Reminder

        self.client.force_login(self.erin)
        url = reverse("assessments:reminder_new", args=[self.round.pk])
        form = self.client.get(url).context["form"]
        data = {"subject": "Reminder", "body": "Please finish {organisation}.", "action": "send",
                "request_id": form.initial["request_id"]}  # fmt: skip
        self.client.post(url, data)
        sent = len(mail.outbox)
        self.assertGreater(sent, 0)
        r = self.client.post(url, data, follow=True)
        self.assertContains(r, "That reminder was sent already; it was not sent again.")
        self.assertEqual(len(mail.outbox), sent)
        self.assertEqual(Reminder.objects.count(), 1)
