"""Personal data rights: a person downloads everything held about them (JSON and a readable
page); a national admin erases a person, keeping the council's work attributed to "a former
colleague"; a retention command deletes what is kept no longer; the privacy page says so
(v5.0.0-14.1.1, 14.2.4 retention, 7.4.2 sessions of a removed account end, 8.2.1)."""

from __future__ import annotations

import datetime as dt
import io
import json

from axes.models import AccessAttempt, AccessLog
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from diagnostic.accounts.models import Invitation, Membership, Session, User
from diagnostic.accounts.services import FORMER_COLLEAGUE
from diagnostic.assessments.models import Answer
from diagnostic.assessments.services import do_save_answer
from diagnostic.audit.models import AuditEvent
from diagnostic.consolidation.models import Assignment
from diagnostic.consolidation.testing import ConsolidationTestCase, make_view
from diagnostic.testing import PASSWORD
from diagnostic.twofactor.testing import enrol


class PersonalDataTestCase(ConsolidationTestCase):
    def setUp(self):
        super().setUp()
        self.vc = {v.code: v for v in self.codes}
        do_save_answer(response=self.response_a, value_code=self.vc["EC1"], by=self.bob,
                       expected_version=0, current_level=3, comment="Bob's own words")  # fmt: skip
        make_view(self.assignment_a, "EC2", 2, comment="Alice thinks two")
        AccessLog.objects.create(
            username="alice@example.org", ip_address="203.0.113.9", user_agent="Firefox"
        )


class DownloadTests(PersonalDataTestCase):
    def test_the_json_holds_every_section_with_their_own_values(self):
        self.client.force_login(self.alice)
        r = self.client.get(reverse("accounts:my_data_json"))
        self.assertEqual(r["Content-Type"], "application/json; charset=utf-8")
        self.assertIn("attachment", r["Content-Disposition"])
        data = json.loads(r.content)
        self.assertEqual(data["account"]["email"], "alice@example.org")
        self.assertEqual(data["account"]["full_name"], "Alice Marsh")
        self.assertEqual([x["role"] for x in data["roles"]], ["Contributor"])
        self.assertIn(
            ("203.0.113.9", "Firefox"), [(x["address"], x["browser"]) for x in data["sign_ins"]]
        )
        self.assertEqual(data["views_asked_of_you"][0]["department"], "Adult Social Care")
        self.assertEqual([(v["value_code"], v["comment"]) for v in data["your_views"]],
                         [("EC2", "Alice thinks two")])  # fmt: skip
        self.assertEqual(data["agreed_answers_you_saved_last"], [])
        self.assertNotIn("Bob's own words", r.content.decode())
        self.assertTrue(
            AuditEvent.objects.filter(action="personal_data.downloaded", actor=self.alice).exists()
        )

    def test_the_leads_download_holds_the_answers_they_saved(self):
        self.client.force_login(self.bob)
        data = json.loads(self.client.get(reverse("accounts:my_data_json")).content)
        self.assertEqual([(a["value_code"], a["comment"]) for a in data["agreed_answers_you_saved_last"]],
                         [("EC1", "Bob's own words")])  # fmt: skip
        self.assertIn("answer.saved", [e["action"] for e in data["what_you_did"]])

    def test_the_readable_page_shows_the_same(self):
        self.client.force_login(self.alice)
        r = self.client.get(reverse("accounts:my_data"))
        self.assertContains(r, "Everything we hold about you")
        self.assertContains(r, "alice@example.org")
        self.assertContains(r, "Alice thinks two")
        self.assertContains(r, "203.0.113.9")
        self.assertContains(r, "Adult Social Care")

    def test_everyone_signed_in_gets_their_own_and_nobody_elses(self):
        for user in self.personas.values():
            self.client.force_login(user)
            data = json.loads(self.client.get(reverse("accounts:my_data_json")).content)
            self.assertEqual(data["account"]["email"], user.email)
        self.client.logout()
        self.assertEqual(self.client.get(reverse("accounts:my_data_json")).status_code, 302)


class ErasureTests(PersonalDataTestCase):
    def erase(self, person, by=None, confirm="erase"):
        self.client.force_login(by or self.erin)
        return self.client.post(
            reverse("accounts:erase_person", args=[person.pk]), {"confirm": confirm}
        )

    def test_a_national_admin_erases_a_person_and_their_work_stays_as_a_former_colleagues(self):
        alice_browser = Client()
        alice_browser.force_login(self.alice)
        enrol(self.alice)
        Invitation.objects.create(email="alice@example.org", role="viewer", organisation=self.council_b,
                                  token_hash="a" * 64, expires_at=timezone.now() + dt.timedelta(days=3))  # fmt: skip
        self.assertTrue(Invitation.objects.filter(email="alice@example.org").exists())
        r = self.erase(self.alice)
        self.assertRedirects(r, reverse("accounts:manage_people"))
        alice = User.objects.get(pk=self.alice.pk)
        self.assertEqual(alice.full_name, FORMER_COLLEAGUE)
        self.assertNotIn("alice", alice.email.lower())
        self.assertFalse(alice.is_active)
        self.assertFalse(alice.has_usable_password())
        self.assertFalse(Membership.objects.filter(user=alice).exists())
        self.assertFalse(Invitation.objects.filter(email__iexact="alice@example.org").exists())
        self.assertFalse(AccessLog.objects.filter(username="alice@example.org").exists())
        self.assertFalse(
            Session.objects.filter(session_key=alice_browser.session.session_key).exists()
        )
        # Her views are kept, attributed to a former colleague.
        a = Assignment.objects.get(pk=self.assignment_a.pk)
        self.assertEqual((a.full_name, a.user_id), (FORMER_COLLEAGUE, alice.pk))
        self.assertEqual(a.answers.get().comment, "Alice thinks two")
        self.assertNotIn("Alice Marsh", json.dumps(list(Assignment.objects.values()), default=str))
        event = AuditEvent.objects.get(action="person.erased")
        self.assertEqual((event.actor, event.object_id), (self.erin, str(alice.pk)))
        self.assertNotIn("alice", json.dumps(event.detail))
        # She can no longer sign in.
        r = Client().post(
            reverse("accounts:sign_in"), {"username": "alice@example.org", "password": PASSWORD}
        )
        self.assertEqual(r.status_code, 200)

    def test_answers_a_lead_saved_are_shown_as_a_former_colleagues(self):
        self.erase(self.bob)
        self.assertEqual(Answer.objects.get(response=self.response_a).comment, "Bob's own words")
        self.client.force_login(self.nina)
        r = self.client.get(reverse("assessments:response", args=[self.response_a.pk]))
        self.assertContains(r, FORMER_COLLEAGUE)
        self.assertNotContains(r, "Bob Hughes")

    def test_it_needs_confirming_and_a_national_admin(self):
        r = self.erase(self.alice, confirm="")
        self.assertContains(r, "Tick the box", status_code=400)
        for user in (self.nina, self.bob, self.dana, self.zoe):
            with self.subTest(user.email):
                self.assertEqual(self.erase(self.alice, by=user).status_code, 403)
        self.assertEqual(User.objects.get(pk=self.alice.pk).full_name, "Alice Marsh")
        r = self.erase(self.erin)
        self.assertContains(r, "You cannot erase yourself", status_code=400)
        self.client.force_login(self.erin)
        self.assertEqual(
            self.client.get(reverse("accounts:erase_person", args=[987654])).status_code, 404
        )


class RetentionTests(PersonalDataTestCase):
    def test_the_command_deletes_what_is_kept_no_longer_and_keeps_the_rest(self):
        now = timezone.now()
        old, recent = now - dt.timedelta(days=91), now - dt.timedelta(days=10)
        for i, (expires, accepted) in enumerate([(old, None), (recent, None), (now + dt.timedelta(days=3), None),
                                                 (now + dt.timedelta(days=3), old)]):  # fmt: skip
            Invitation.objects.create(email=f"p{i}@example.org", role="viewer", organisation=self.council_a,
                                      token_hash=f"{i:064d}", expires_at=expires, accepted_at=accepted)  # fmt: skip
        AccessAttempt.objects.create(username="x@example.org", ip_address="1.2.3.4", user_agent="",
                                     failures_since_start=1)  # fmt: skip
        AccessAttempt.objects.update(attempt_time=old)
        AccessLog.objects.filter(username="alice@example.org").update(attempt_time=old)
        AccessLog.objects.create(
            username="bob@example.org", ip_address="1.2.3.4", user_agent="", attempt_time=recent
        )
        live = Client()
        live.force_login(self.bob)
        Session.objects.create(
            session_key="x" * 32, session_data="", expire_date=now - dt.timedelta(minutes=1)
        )
        events_before = AuditEvent.objects.count()
        call_command("apply_retention", stdout=io.StringIO())
        self.assertEqual(sorted(Invitation.objects.filter(email__startswith="p").values_list("email", flat=True)),
                         ["p1@example.org", "p2@example.org"])  # fmt: skip
        self.assertFalse(AccessAttempt.objects.exists())
        self.assertEqual(
            set(AccessLog.objects.values_list("username", flat=True)), {"bob@example.org"}
        )
        self.assertFalse(Session.objects.filter(session_key="x" * 32).exists())
        self.assertTrue(Session.objects.filter(session_key=live.session.session_key).exists())
        self.assertEqual(AuditEvent.objects.count(), events_before + 1)
        self.assertEqual(
            AuditEvent.objects.get(action="retention.applied").detail["invitations"], 2
        )


class PrivacyPageTests(PersonalDataTestCase):
    def test_the_privacy_page_says_exactly_what_the_service_does(self):
        r = self.client.get(reverse("public:privacy"))
        for text in [
            "Invitations are deleted 90 days after they expire, are used or are withdrawn.",
            "Sign-in records (successful and failed) are deleted after 90 days.",
            "A sign-in lasts at most 12 hours, or 60 minutes without activity",
            "“Everything we hold about you”",
            "download it as JSON",
            "their name and email are replaced, and they can no longer sign in",
            "shown as written by “a former colleague”",
            "their roles, invitations to them, second factor, API tokens and sign-in records are removed, and every session of theirs ends",
        ]:
            with self.subTest(text):
                self.assertContains(r, text, html=False)
        with self.settings(RETENTION_INVITATION_DAYS=30):
            self.assertContains(
                self.client.get(reverse("public:privacy")), "Invitations are deleted 30 days"
            )
