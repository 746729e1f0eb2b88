"""The audit trail people can read: the national team searches, filters, pages through and
downloads it (who, what, which council, when, before → after); a council's lead reads their own
response's history; nothing changes or deletes an event (v5.0.0-16.2.1 who/what/when/where,
v5.0.0-16.4.2 logs cannot be modified, v5.0.0-8.2.2 a lead sees only their own)."""

from __future__ import annotations

import csv
import io

from django.contrib.admin.sites import site
from django.test import RequestFactory
from django.urls import reverse

from diagnostic.assessments.services import do_save_answer
from diagnostic.audit.models import AppendOnly, AuditEvent
from diagnostic.audit.services import record
from diagnostic.consolidation.testing import ConsolidationTestCase

TRAIL = reverse("audit:trail")


class TrailTestCase(ConsolidationTestCase):
    def setUp(self):
        super().setUp()
        self.vc = {v.code: v for v in self.codes}
        a1 = do_save_answer(response=self.response_a, value_code=self.vc["EC1"], by=self.bob,
                            expected_version=0, current_level=2, comment="first").answer  # fmt: skip
        do_save_answer(response=self.response_a, value_code=self.vc["EC1"], by=self.bob,
                       expected_version=a1.version, current_level=3, target_level=4, comment="second")  # fmt: skip
        do_save_answer(response=self.response_b, value_code=self.vc["EC1"], by=self.charlie,
                       expected_version=0, current_level=5)  # fmt: skip


class NationalTrailTests(TrailTestCase):
    def test_who_what_which_council_when_and_before_after(self):
        self.client.force_login(self.nina)
        r = self.client.get(TRAIL, {"organisation": self.council_a.pk, "action": "answer.saved"})
        self.assertEqual(r.status_code, 200)
        rows = r.context["rows"]
        self.assertEqual(len(rows), 2)
        newest, changes = rows[0]
        self.assertEqual((newest.actor, newest.organisation), (self.bob, self.council_a))
        by_field = {c.field: (c.before, c.after) for c in changes}
        self.assertEqual(by_field["current_level"], (2, 3))
        self.assertEqual(by_field["target_level"], (None, 4))
        self.assertNotIn("version", by_field)
        self.assertContains(r, "Bob Hughes")
        self.assertContains(r, "current_level: 2 → 3")
        self.assertNotContains(r, "Charlie Dunn")  # Council B filtered out

    def test_search_finds_by_person_council_action_or_value(self):
        self.client.force_login(self.erin)
        for q, expected in [("charlie", {self.charlie}), ("Council B", {self.charlie}),
                            ("bob@example", {self.bob})]:  # fmt: skip
            with self.subTest(q):
                r = self.client.get(TRAIL, {"q": q, "action": "answer.saved"})
                self.assertEqual({e.actor for e, _ in r.context["rows"]}, expected)

    def test_dates_filter_and_bad_dates_are_a_form_error(self):
        self.client.force_login(self.erin)
        r = self.client.get(TRAIL, {"since": "2001-01-01", "until": "2001-01-02"})
        self.assertEqual(r.context["rows"], [])
        r = self.client.get(TRAIL, {"since": "2030-01-02", "until": "2030-01-01"})
        self.assertContains(r, "The end date must be on or after the start date", status_code=400)
        r = self.client.get(TRAIL, {"since": "not a date"})
        self.assertEqual(r.status_code, 400)

    def test_pages_of_fifty(self):
        for i in range(120):
            record("test.event", actor=self.erin, object_type="x", object_id=str(i), n=i)
        self.client.force_login(self.erin)
        r = self.client.get(TRAIL, {"action": "test.event", "page": "3"})
        self.assertEqual(len(r.context["rows"]), 20)
        self.assertContains(r, "Page 3 of 3")
        self.assertContains(r, "action=test.event&amp;page=2")

    def test_the_csv_has_one_row_per_change_neutralised(self):
        do_save_answer(response=self.response_a, value_code=self.vc["EC2"], by=self.bob,
                       expected_version=0, current_level=1, priority="high")  # fmt: skip
        record("test.evil", actor=self.erin, note='=HYPERLINK("http://x")')
        self.client.force_login(self.nina)
        r = self.client.get(reverse("audit:trail_csv"), {"organisation": self.council_a.pk})
        rows = list(csv.DictReader(io.StringIO(b"".join(r.streaming_content).decode("utf-8-sig"))))
        ec1 = [
            row
            for row in rows
            if row["object_id"].endswith(":EC1") and row["field"] == "current_level"
        ]
        self.assertEqual([(row["before"], row["after"]) for row in ec1], [("2", "3"), ("", "2")])
        self.assertEqual({row["who"] for row in rows}, {"Bob Hughes"})
        r = self.client.get(reverse("audit:trail_csv"), {"action": "test.evil"})
        text = b"".join(r.streaming_content).decode("utf-8-sig")
        self.assertIn("'=HYPERLINK", text)
        self.assertTrue(
            AuditEvent.objects.filter(action="audit_trail.exported", actor=self.nina).exists()
        )

    def test_only_the_national_team(self):
        for user in (self.bob, self.alice, self.victor, self.dana, self.zoe):
            self.client.force_login(user)
            with self.subTest(user.email):
                self.assertEqual(self.client.get(TRAIL).status_code, 403)
                self.assertEqual(self.client.get(reverse("audit:trail_csv")).status_code, 403)


class LeadsOwnTrailTests(TrailTestCase):
    def test_the_lead_reads_their_responses_history_only(self):
        self.client.force_login(self.bob)
        r = self.client.get(reverse("audit:response_trail", args=[self.response_a.pk]))
        self.assertEqual(r.status_code, 200)
        actions = [e.action for e, _ in r.context["rows"]]
        self.assertEqual(actions.count("answer.saved"), 2)
        self.assertEqual({e.organisation_id for e, _ in r.context["rows"]}, {self.council_a.pk})
        self.assertContains(r, "current_level: 2 → 3")
        self.assertEqual(
            self.client.get(reverse("audit:response_trail", args=[self.response_b.pk])).status_code,
            404,
        )

    def test_others_in_the_council_and_outsiders_cannot(self):
        url = reverse("audit:response_trail", args=[self.response_a.pk])
        for user, status in [(self.alice, 403), (self.victor, 403), (self.charlie, 404), (self.dana, 404),
                             (self.zoe, 404)]:  # fmt: skip
            self.client.force_login(user)
            with self.subTest(user.email):
                self.assertEqual(self.client.get(url).status_code, status)


class AppendOnlyTests(TrailTestCase):
    def snapshot(self):
        return list(
            AuditEvent.objects.order_by("pk").values_list(
                "pk", "at", "action", "actor_id", "detail"
            )
        )

    def test_the_model_refuses_changes_and_deletions(self):
        event = AuditEvent.objects.first()
        event.action = "tampered"
        with self.assertRaises(AppendOnly):
            event.save()
        with self.assertRaises(AppendOnly):
            event.delete()
        with self.assertRaises(AppendOnly):
            AuditEvent.objects.filter(pk=event.pk).update(action="tampered")
        with self.assertRaises(AppendOnly):
            AuditEvent.objects.all().delete()
        with self.assertRaises(AppendOnly):
            AuditEvent.objects.bulk_update([event], ["action"])
        self.assertFalse(AuditEvent.objects.filter(action="tampered").exists())

    def test_the_admin_site_offers_no_add_change_or_delete(self):
        admin = site._registry[AuditEvent]
        request = RequestFactory().get("/")
        self.erin.is_staff = self.erin.is_superuser = True
        request.user = self.erin
        self.assertFalse(admin.has_add_permission(request))
        self.assertFalse(admin.has_change_permission(request))
        self.assertFalse(admin.has_delete_permission(request))
        self.assertEqual(admin.get_actions(request), {})

    def test_no_route_or_method_changes_an_existing_event(self):
        """Every route, every method, as a national admin and as the lead: events are only
        ever added."""
        from diagnostic.lib.tests.test_methods_and_caching import _sample_paths

        before = self.snapshot()
        paths = _sample_paths({"response_id": self.response_a.pk, "round_id": self.round.pk})
        for user in (self.erin, self.bob):
            self.client.force_login(user)
            for _name, path in paths:
                for method in ("get", "post"):
                    getattr(self.client, method)(path)
        after = self.snapshot()
        self.assertEqual(after[: len(before)], before)
