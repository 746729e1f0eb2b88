"""Edge cases found in review: targets when a level is adopted, no suggestion, reminders to
people not yet joined, asking again someone who lost their role, the finished switch."""

from django.core import mail
from django.urls import reverse

from diagnostic.accounts.models import Invitation, Membership
from diagnostic.assessments.models import Answer
from diagnostic.audit.models import AuditEvent
from diagnostic.consolidation.models import Assignment, Decision
from diagnostic.consolidation.testing import ConsolidationTestCase, make_view


class AdoptingTests(ConsolidationTestCase):
    def adopt(self, code: str, **data):
        self.client.force_login(self.bob)
        url = reverse("consolidation:adopt", args=[self.response_a.pk, code])
        answer = Answer.objects.filter(response=self.response_a, value_code__code=code).first()
        payload = {"version": str(answer.version if answer else 0), **data}
        return self.client.post(url, payload)

    def test_a_level_above_the_agreed_target_raises_the_target_and_says_so(self):
        make_view(self.assignment_a, "EC1", 5)
        vc = next(c for c in self.codes if c.code == "EC1")
        Answer.objects.create(response=self.response_a, value_code=vc, current_level=2,
                              target_level=3, version=1)  # fmt: skip
        r = self.adopt("EC1", level="5", suggested="5")
        self.assertEqual(r.status_code, 302)
        a = Answer.objects.get(response=self.response_a, value_code=vc)
        self.assertEqual((a.current_level, a.target_level, a.version), (5, 5, 2))
        event = AuditEvent.objects.get(action="consolidation.adopted")
        self.assertEqual(event.detail["target_raised_from"], 3)
        page = self.client.get(r["Location"]).content.decode()
        self.assertIn("Its target was 3, below that level, so it is now 5 too", page)
        # The answer can still be saved from the questionnaire afterwards.
        r = self.client.post(
            reverse("assessments:save_answer", args=[self.response_a.pk, "EC1"]),
            self.answer_payload("EC1", version=2, current_level=5, target_level=5),
            headers={"HX-Request": "true"},
        )
        self.assertEqual(r.status_code, 200)

    def test_a_target_at_or_above_the_level_is_left_alone(self):
        make_view(self.assignment_a, "EC1", 2)
        vc = next(c for c in self.codes if c.code == "EC1")
        Answer.objects.create(response=self.response_a, value_code=vc, current_level=1,
                              target_level=4, version=1)  # fmt: skip
        self.assertEqual(self.adopt("EC1", level="2", suggested="2").status_code, 302)
        a = Answer.objects.get(response=self.response_a, value_code=vc)
        self.assertEqual((a.current_level, a.target_level), (2, 4))

    def test_with_no_views_a_level_needs_a_reason_that_says_why(self):
        r = self.adopt("EC2", level="3")
        self.assertContains(
            r, "Nobody has given a level here yet: say why you chose this one.", status_code=422
        )
        self.assertFalse(Decision.objects.exists())
        r = self.adopt("EC2", level="3", reason="Agreed at the team meeting.")
        self.assertEqual(r.status_code, 302)
        d = Decision.objects.get()
        self.assertEqual((d.adopted_level, d.suggested_level, d.reason),
                         (3, None, "Agreed at the team meeting."))  # fmt: skip


class RemindingTests(ConsolidationTestCase):
    def test_someone_not_yet_joined_gets_a_fresh_invitation_not_a_dead_link(self):
        self.client.force_login(self.bob)
        self.client.post(
            reverse("consolidation:ask", args=[self.response_a.pk]),
            {"email": "gil@example.org", "full_name": "Gil Moss", "department": "Housing",
             "job_role": "Contract manager", "scope": "all"},
        )  # fmt: skip
        first = Invitation.objects.get(email="gil@example.org")
        mail.outbox = []
        r = self.client.post(reverse("consolidation:remind", args=[self.response_a.pk]))
        self.assertEqual(r.status_code, 302)
        by_address = {m.to[0]: m for m in mail.outbox}
        self.assertEqual(set(by_address), {"alice@example.org", "gil@example.org"})
        self.assertIn("/invitations/", by_address["gil@example.org"].body)
        self.assertNotIn("/my-views/", by_address["gil@example.org"].body)
        self.assertIn("/my-views/", by_address["alice@example.org"].body)
        first.refresh_from_db()
        self.assertEqual(first.status, "revoked")
        newest = Invitation.objects.filter(email="gil@example.org").order_by("-pk").first()
        self.assertEqual(newest.status, "pending")
        self.assertEqual(Assignment.objects.get(email="gil@example.org").invitation, newest)

    def test_asking_again_someone_who_has_lost_their_role_invites_them(self):
        Membership.objects.filter(user=self.alice).delete()
        self.client.force_login(self.bob)
        r = self.client.post(
            reverse("consolidation:ask", args=[self.response_a.pk]),
            {"email": "alice@example.org", "full_name": "Alice Marsh",
             "department": "Adult Social Care", "job_role": "Commissioning manager",
             "scope": "all"},
            follow=True,
        )  # fmt: skip
        self.assertContains(r, "We emailed an invitation to alice@example.org")
        self.assertEqual([m.to for m in mail.outbox], [["alice@example.org"]])
        self.assertIn("/invitations/", mail.outbox[0].body)
        self.assertIsNone(Assignment.objects.get(pk=self.assignment_a.pk).user)


class FinishedSwitchTests(ConsolidationTestCase):
    def test_a_malformed_post_changes_nothing(self):
        self.client.force_login(self.alice)
        url = reverse("consolidation:finished", args=[self.response_a.pk])
        for data in ({}, {"finished": "maybe"}):
            with self.subTest(data=data):
                r = self.client.post(url, data)
                self.assertEqual(r.status_code, 400)
                self.assertIsNone(Assignment.objects.get(pk=self.assignment_a.pk).finished_at)
        self.assertEqual(self.client.post(url, {"finished": "1"}).status_code, 302)
        self.assertIsNotNone(Assignment.objects.get(pk=self.assignment_a.pk).finished_at)


class DueDateTests(ConsolidationTestCase):
    def test_a_due_date_after_the_round_closes_is_refused(self):
        import datetime as dt

        self.client.force_login(self.bob)
        late = self.round.closes_on + dt.timedelta(days=1)
        r = self.client.post(
            reverse("consolidation:ask", args=[self.response_a.pk]),
            {"email": "gil@example.org", "full_name": "Gil Moss", "department": "Housing",
             "job_role": "Contract manager", "scope": "all", "due_on": late.isoformat()},
        )  # fmt: skip
        self.assertContains(r, "choose a due date on or before it", status_code=400)
        self.assertContains(
            r, f"The round closes on {self.round.closes_on:%-d %B %Y}", status_code=400
        )
        self.assertFalse(Assignment.objects.filter(email="gil@example.org").exists())
        self.assertEqual(mail.outbox, [])


class InvitationEmailTests(ConsolidationTestCase):
    def test_a_new_person_is_told_what_they_are_asked_about_and_by_when(self):
        import datetime as dt

        from diagnostic.frameworks.models import KeyArea

        due = self.round.closes_on - dt.timedelta(days=3)
        ec = KeyArea.objects.get(version=self.framework, code="EC")
        self.client.force_login(self.bob)
        self.client.post(
            reverse("consolidation:ask", args=[self.response_a.pk]),
            {"email": "gil@example.org", "full_name": "Gil Moss", "department": "Housing",
             "job_role": "Contract manager", "scope": "areas", "key_areas": [ec.pk],
             "due_on": due.isoformat()},
        )  # fmt: skip
        (email,) = mail.outbox
        self.assertEqual(email.to, ["gil@example.org"])
        self.assertIn("Bob Hughes", email.body)
        self.assertIn(f"on these key areas: EC {ec.name}", email.body)
        self.assertIn(f"by {due:%-d %B %Y}", email.body)
        self.assertIn("/invitations/", email.body)
