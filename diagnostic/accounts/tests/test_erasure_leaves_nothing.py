"""Erasing a person leaves their email and name nowhere in the database: not in the audit
trail's details, not in invitations, sign-off requests, a council's officer, an action's owner,
a colleague's assignment, a comment, an adviser, a broker note or the admin's log. The audit
trail stays append-only except through one narrow, audited path for this
(v5.0.0-14.2.4 retention and deletion of personal data, v5.0.0-16.4.2 logs cannot be modified;
UK GDPR Article 17)."""

from __future__ import annotations

import datetime as dt
import pathlib
import re

from django.db import connection
from django.urls import reverse
from django.utils import timezone

from diagnostic.accounts.models import Membership, Role
from diagnostic.accounts.services import (
    FORMER_COLLEAGUE,
    do_change_role,
    do_invite,
    erased_email,
)
from diagnostic.api.services import do_create_token
from diagnostic.assessments.services import do_save_answer
from diagnostic.audit.models import AppendOnly, AuditEvent
from diagnostic.audit.services import record
from diagnostic.consolidation.services import do_remind_contributors, do_request_sign_off
from diagnostic.consolidation.testing import ConsolidationTestCase, make_view
from diagnostic.plans.testing import make_action
from diagnostic.testing import PASSWORD
from diagnostic.twofactor.testing import enrol

EMAIL = "alice@example.org"
NAME = "Alice Marsh"


def database_dump() -> str:
    """Every row of every table, every column, as one lower-case text."""
    out = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            for row in cursor.fetchall():
                for value in row:
                    if isinstance(value, bytes | memoryview):
                        value = bytes(value).decode("utf-8", "ignore")
                    out.append(f"{table}\t{value}")
    return "\n".join(out).lower()


class ErasureLeavesNothingTests(ConsolidationTestCase):
    def touch_alice_everywhere(self):
        """Events and records of every kind that name Alice."""
        vc = {v.code: v for v in self.codes}
        # Signing in: a failure and a success (axes' records), and a second factor.
        self.client.post(reverse("accounts:sign_in"), {"username": EMAIL, "password": "wrong"})
        self.client.post(reverse("accounts:sign_in"), {"username": EMAIL, "password": PASSWORD})
        self.client.logout()
        enrol(self.alice)
        # Invitations and membership changes (their events carry her email).
        do_invite(by=self.charlie, email=EMAIL, full_name=NAME, role=Role.VIEWER,
                  organisation=self.council_b)  # fmt: skip
        membership = Membership.objects.get(user=self.alice, organisation=self.council_a)
        do_change_role(by=self.bob, membership=membership, role=Role.LEAD)
        record("role.granted", actor=self.erin, obj=membership, user=EMAIL, role="lead",
               note=f"for {NAME}", people=[{"name": NAME, "email": EMAIL.upper()}])  # fmt: skip
        # Colleagues' views: reminded (the event lists her email), her own comment.
        do_remind_contributors(by=self.bob, response=self.response_a)
        make_view(self.assignment_a, "EC2", 2, comment=f"{NAME} thinks two")
        # A sign-off request naming her, and her as the council's officer.
        do_request_sign_off(by=self.bob, response=self.response_a, officer_name=NAME,
                            officer_email=EMAIL, officer_role="Director")  # fmt: skip
        type(self.response_a).objects.filter(pk=self.response_a.pk).update(
            officer_name=NAME, officer_email=EMAIL
        )
        # Bob's answer and an action mention her.
        do_save_answer(response=self.response_a, value_code=vc["EC1"], by=self.bob,
                       expected_version=0, current_level=3, comment=f"Ask {NAME} ({EMAIL})")  # fmt: skip
        make_action(self.response_a, f"Train the team with {NAME}", owner=NAME)
        # A broker introduction's notes and a case study's contact.
        from diagnostic.accounts.tests.test_tenant_isolation import make_introduction_b
        from diagnostic.practice.testing import make_case_study

        intro = make_introduction_b(self)
        type(intro).objects.filter(pk=intro.pk).update(first_note=f"Call {NAME} on {EMAIL}")
        case_study = make_case_study(self.council_a, self.framework)
        type(case_study).objects.filter(pk=case_study.pk).update(
            contact_role=f"{NAME}, category manager"
        )
        # She is also an adviser on the register, and was invited to support.
        from diagnostic.support.models import Adviser

        Adviser.objects.create(name=NAME, email=EMAIL, kind="lga", days_per_quarter=2)
        # Her own API token, and the admin's log of a change to her account.
        do_create_token(by=self.alice, name=f"{NAME}'s laptop", scopes=["read"],
                        expires_on=timezone.localdate() + dt.timedelta(days=30))  # fmt: skip
        from django.contrib.admin.models import CHANGE, LogEntry
        from django.contrib.contenttypes.models import ContentType

        LogEntry.objects.create(
            user=self.erin, content_type=ContentType.objects.get_for_model(self.alice),
            object_id=str(self.alice.pk), object_repr=EMAIL, action_flag=CHANGE,
            change_message=f"Changed {NAME}",
        )  # fmt: skip

    def erase(self):
        self.client.force_login(self.erin)
        r = self.client.post(
            reverse("accounts:erase_person", args=[self.alice.pk]), {"confirm": "erase"}
        )
        self.assertEqual(r.status_code, 302)

    def test_nothing_in_any_table_names_her_after_erasure(self):
        self.touch_alice_everywhere()
        before = database_dump()
        # The control: before erasure she is in the audit trail and every kind of record.
        for table in ("audit_auditevent", "accounts_invitation", "consolidation_signoffrequest",
                      "assessments_response", "assessments_answer", "plans_action",
                      "broker_introduction", "practice_casestudy", "support_adviser",
                      "django_admin_log", "axes_accesslog"):  # fmt: skip
            with self.subTest(table):
                self.assertRegex(before, rf"{table}\t[^\n]*({EMAIL}|{NAME.lower()})")
        events_before = AuditEvent.objects.count()

        self.erase()

        after = database_dump()
        for needle in (EMAIL, NAME.lower(), "alice.marsh"):
            leftovers = [line[:160] for line in after.splitlines() if needle in line]
            self.assertEqual(leftovers, [], needle)
        # What she did stays, attributed to a former colleague; nothing was deleted from the trail.
        self.assertGreaterEqual(AuditEvent.objects.count(), events_before + 2)
        self.assertIn(f"ask {FORMER_COLLEAGUE} ({erased_email(self.alice)})", after)
        self.assertIn(f"{FORMER_COLLEAGUE} thinks two", after)
        scrubbed = AuditEvent.objects.get(action="audit.person_scrubbed")
        self.assertGreaterEqual(scrubbed.detail["events"], 4)
        self.assertEqual(scrubbed.actor, None)
        granted = AuditEvent.objects.filter(action="role.granted").get(detail__note__isnull=False)
        self.assertEqual(granted.detail["note"], f"for {FORMER_COLLEAGUE}")
        self.assertEqual(granted.detail["people"],
                         [{"name": FORMER_COLLEAGUE, "email": erased_email(self.alice)}])  # fmt: skip
        # Everything else about the event is as it was.
        self.assertEqual((granted.action, granted.actor, granted.detail["role"]),
                         ("role.granted", self.erin, "lead"))  # fmt: skip

    def test_other_people_are_left_alone(self):
        self.touch_alice_everywhere()
        do_invite(by=self.charlie, email="marsha@example.org", full_name="Marsha Alicea",
                  role=Role.VIEWER, organisation=self.council_b)  # fmt: skip
        record("test.note", actor=self.bob, note="Write to bob.alice@example.org or "
               "alice@example.org.uk, not alice@example.org.")  # fmt: skip
        self.erase()
        after = database_dump()
        self.assertIn(f"write to bob.alice@example.org or alice@example.org.uk, not "
                      f"{erased_email(self.alice)}.", after)  # fmt: skip
        self.assertIn("marsha@example.org", after)
        self.assertIn("marsha alicea", after)
        self.assertIn("bob@example.org", after)
        self.assertIn("beth rowe", after)


class OneNarrowPathTests(ConsolidationTestCase):
    def test_the_trail_still_refuses_every_other_change(self):
        event = record("test.event", actor=self.bob, note=NAME)
        with self.assertRaises(AppendOnly):
            AuditEvent.objects.filter(pk=event.pk).update(detail={})
        with self.assertRaises(AppendOnly):
            AuditEvent.objects.all().delete()
        event.detail = {}
        with self.assertRaises(AppendOnly):
            event.save()

    def test_only_the_erasure_service_uses_the_path(self):
        """`_erase_from_details` is called from one place in the code: audit.services'
        scrub_person, which the erasure calls."""
        root = pathlib.Path(__file__).resolve().parents[2]
        callers = sorted(
            str(path.relative_to(root))
            for path in root.rglob("*.py")
            if "tests" not in path.parts and re.search(r"\b_erase_from_details\(", path.read_text())
        )
        # The definition (models.py) and its single call (services.py).
        self.assertEqual(callers, ["audit/models.py", "audit/services.py"])
        services = (root / "audit" / "services.py").read_text()
        self.assertEqual(len(re.findall(r"\b_erase_from_details\(", services)), 1)
        self.assertEqual(
            sorted(
                str(p.relative_to(root))
                for p in root.rglob("*.py")
                if "tests" not in p.parts and re.search(r"\bscrub_person\(", p.read_text())
            ),
            ["accounts/services.py", "audit/services.py"],
        )

    def test_the_path_changes_only_the_details_and_records_itself(self):
        from diagnostic.audit.services import scrub_person

        event = record("test.event", actor=self.bob, organisation=self.council_a,
                       note=f"{NAME} said", other="Bob Hughes")  # fmt: skip
        untouched = record("test.other", actor=self.bob, note="nothing about her")
        self.assertEqual(scrub_person(replacements={NAME: FORMER_COLLEAGUE}), 1)
        event.refresh_from_db()
        self.assertEqual(event.detail, {"note": f"{FORMER_COLLEAGUE} said", "other": "Bob Hughes"})
        self.assertEqual((event.action, event.actor, event.organisation),
                         ("test.event", self.bob, self.council_a))  # fmt: skip
        untouched.refresh_from_db()
        self.assertEqual(untouched.detail, {"note": "nothing about her"})
        self.assertEqual(
            AuditEvent.objects.filter(action="audit.person_scrubbed").get().detail, {"events": 1}
        )


class PrivacyPageTests(ConsolidationTestCase):
    def test_the_privacy_page_says_what_erasure_replaces(self):
        r = self.client.get(reverse("public:privacy"))
        self.assertContains(r, "in the audit trail's records")
        self.assertContains(r, "nothing we keep names them any more")
        self.assertContains(r, "the only change ever made to the trail")
