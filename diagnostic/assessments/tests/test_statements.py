"""The save's writes, built once as fixed SQL, write exactly what Django's `.update()` and
`audit.services.record` write (assessments/statements.py, decisions 0032 and 0037)."""

import datetime as dt

from django.db import connection, transaction
from django.db.models import Count, F, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from diagnostic.assessments import statements
from diagnostic.assessments.models import Answer, Response
from diagnostic.assessments.testing import AssessmentTestCase
from diagnostic.audit import services as audit
from diagnostic.audit.models import AuditEvent


def row(obj):
    obj.refresh_from_db()
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


class StatementsTests(AssessmentTestCase):
    def setUp(self):
        super().setUp()
        # The same answer in two responses: one written by Django, one by the fixed SQL.
        self.vc = self.codes[0]
        self.mine = Answer.objects.create(
            response=self.response_a, value_code=self.vc, version=3, current_level=1
        )
        self.theirs = Answer.objects.create(response=self.response_b, value_code=self.vc, version=3, current_level=1)  # fmt: skip

    def changes(self, **over):
        now = timezone.now()
        return {
            "current_level": 4, "target_level": 5, "priority": "high", "comment": "Ünïcode — and 'quotes'",
            "could_share": True, "want_support": False, "target_date": dt.date(2027, 3, 31),
            "carried_forward": False, "updated_at": now, "updated_by": self.bob,
            "last_request_id": "r" * 64, **over,
        }  # fmt: skip

    def test_the_answer_update_writes_what_django_writes(self):
        for changes in (
            self.changes(),
            self.changes(current_level=None, target_level=None, target_date=None, priority="", comment=""),
            self.changes(current_level=0, updated_by=None),
            {"comment": "only a comment", "updated_at": timezone.now(), "updated_by": self.bob},
        ):  # fmt: skip
            with self.subTest(changes=changes), transaction.atomic():
                version = self.mine.version
                n = statements.update_answer(
                    response_id=self.response_a.pk, value_code_id=self.vc.pk,
                    expected_version=version, changes=changes,
                )  # fmt: skip
                m = Answer.objects.filter(
                    response=self.response_b, value_code=self.vc, version=version
                ).update(version=F("version") + 1, **changes)
                self.assertEqual((n, m), (1, 1))
                mine, theirs = row(self.mine), row(self.theirs)
                self.assertEqual(mine.pop("response_id"), self.response_a.pk)
                self.assertEqual(theirs.pop("response_id"), self.response_b.pk)
                del mine["id"], theirs["id"]
                self.assertEqual(mine, theirs)
                self.assertEqual(mine["version"], version + 1)

    def test_a_stale_or_missing_answer_changes_nothing(self):
        before = row(self.mine)
        with transaction.atomic():
            stale = statements.update_answer(
                response_id=self.response_a.pk,
                value_code_id=self.vc.pk,
                expected_version=2,
                changes=self.changes(),
            )
            missing = statements.update_answer(
                response_id=self.response_a.pk,
                value_code_id=self.codes[1].pk,
                expected_version=1,
                changes=self.changes(),
            )
        self.assertEqual((stale, missing), (0, 0))
        self.assertEqual(row(self.mine), before)

    def test_the_progress_update_writes_what_django_writes(self):
        Answer.objects.create(
            response=self.response_a, value_code=self.codes[1], current_level=None, version=1
        )
        Answer.objects.create(
            response=self.response_b, value_code=self.codes[1], current_level=None, version=1
        )
        Answer.objects.create(
            response=self.response_a, value_code=self.codes[2], current_level=0, version=1
        )
        Answer.objects.create(response=self.response_b, value_code=self.codes[2], current_level=0, version=1)  # fmt: skip
        first, later = timezone.now() - dt.timedelta(hours=1), timezone.now()
        for now in (first, later):
            with transaction.atomic():
                statements.update_progress(response_id=self.response_a.pk, now=now)
                answered = Answer.objects.filter(
                    response=OuterRef("pk"), current_level__isnull=False
                )
                Response.objects.filter(pk=self.response_b.pk).update(
                    answered_count=Coalesce(
                        Subquery(
                            answered.values("response").annotate(n=Count("pk")).values("n")[:1]
                        ),
                        Value(0),
                    ),
                    last_activity_at=now,
                    started_at=Coalesce(F("started_at"), Value(now)),
                )
            a, b = row(self.response_a), row(self.response_b)
            for field in ("answered_count", "last_activity_at", "started_at"):
                self.assertEqual(a[field], b[field], field)
            self.assertEqual(
                (a["answered_count"], a["started_at"], a["last_activity_at"]), (2, first, now)
            )

    def test_no_answer_with_a_level_counts_zero(self):
        Answer.objects.filter(pk=self.mine.pk).update(current_level=None)
        Response.objects.filter(pk=self.response_a.pk).update(answered_count=7)
        statements.update_progress(response_id=self.response_a.pk, now=timezone.now())
        self.assertEqual(row(self.response_a)["answered_count"], 0)

    def test_each_is_one_statement(self):
        with CaptureQueriesContext(connection) as ctx, transaction.atomic():
            statements.update_answer(response_id=self.response_a.pk, value_code_id=self.vc.pk,
                                     expected_version=3, changes=self.changes())  # fmt: skip
            statements.update_progress(response_id=self.response_a.pk, now=timezone.now())
        work = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith("UPDATE")]
        self.assertEqual(len(work), 2)


class SaveAnswerTests(AssessmentTestCase):
    """`statements.save_answer`: the answer's change, then the progress and the audit event,
    only when the answer changed; one statement on PostgreSQL, three elsewhere. Checked against
    the same writes made one by one (`update_answer`, `update_progress`, `record`) on another
    response, and against a count made afresh."""

    def setUp(self):
        super().setUp()
        # Three answers in each response: one with a level (EC1), one without (EC2), one "not
        # yet assessed" (level 0, EC3), so every change of level moves the count differently.
        for response in (self.response_a, self.response_b):
            for code, level in zip(self.codes[:3], (2, None, 0), strict=True):
                Answer.objects.create(
                    response=response, value_code=code, version=1, current_level=level
                )
        Response.objects.filter(pk__in=[self.response_a.pk, self.response_b.pk]).update(
            answered_count=2
        )

    def event(self, response, code, **detail):
        return audit.event(
            "answer.saved", actor=self.bob, object_type="assessments.answer",
            object_id=f"{response.pk}:{code.code}", organisation_id=response.organisation_id,
            value_code=code.code, **detail,
        )  # fmt: skip

    def save_both(self, code, version, changes, now):
        """The same change to `code` in response A by save_answer, in B one write at a time."""
        event = self.event(
            self.response_a, code, version=version + 1, level=changes.get("current_level")
        )
        saved = statements.save_answer(
            response_id=self.response_a.pk, value_code_id=code.pk, expected_version=version,
            changes=changes, now=now, event=event,
        )  # fmt: skip
        if statements.update_answer(
            response_id=self.response_b.pk, value_code_id=code.pk,
            expected_version=version, changes=changes,
        ):  # fmt: skip
            statements.update_progress(response_id=self.response_b.pk, now=now)
            audit.write(
                self.event(
                    self.response_b, code, version=version + 1, level=changes.get("current_level")
                )
            )
        return saved, event

    def answered(self, response) -> int:
        return Answer.objects.filter(response=response, current_level__isnull=False).count()

    def test_it_writes_what_the_writes_one_by_one_write(self):
        now = timezone.now()
        cases = [
            (self.codes[0], {"current_level": None}),  # a level taken away: one fewer
            (self.codes[1], {"current_level": 3}),  # a level given: one more
            (self.codes[2], {"current_level": 5}),  # "not yet assessed" to a level: the same
            (self.codes[0], {"current_level": 0}),  # nothing to "not yet assessed": one more
            (self.codes[1], {"comment": "only a comment"}),  # no level in the change
            (self.codes[2], {"current_level": None, "target_level": 4, "priority": "high"}),
        ]
        versions = {code.pk: 1 for code, _ in cases}
        for code, change in cases:
            now += dt.timedelta(minutes=1)
            changes = {**change, "updated_at": now, "updated_by": self.bob, "last_request_id": "x"}
            with self.subTest(code=code.code, change=change), transaction.atomic():
                saved, event = self.save_both(code, versions[code.pk], changes, now)
                versions[code.pk] += 1
                self.assertTrue(saved)
                mine = row(Answer.objects.get(response=self.response_a, value_code=code))
                theirs = row(Answer.objects.get(response=self.response_b, value_code=code))
                for r in (mine, theirs):
                    del r["id"], r["response_id"]
                self.assertEqual(mine, theirs)
                self.assertEqual(mine["version"], versions[code.pk])
                a, b = row(self.response_a), row(self.response_b)
                for field in ("answered_count", "last_activity_at", "started_at"):
                    self.assertEqual(a[field], b[field], field)
                self.assertEqual(a["answered_count"], self.answered(self.response_a))
                self.assertEqual(a["last_activity_at"], now)
                stored = AuditEvent.objects.get(pk=event.pk)
                other = AuditEvent.objects.filter(
                    object_id=f"{self.response_b.pk}:{code.code}"
                ).latest("pk")
                for field in ("action", "actor_id", "object_type", "detail"):
                    self.assertEqual(getattr(stored, field), getattr(other, field), field)
                self.assertEqual(
                    (stored.object_id, stored.organisation_id),
                    (f"{self.response_a.pk}:{code.code}", self.response_a.organisation_id),
                )
                self.assertLessEqual(abs(stored.at - other.at), dt.timedelta(seconds=5))
                self.assertEqual(
                    stored.detail,
                    {
                        "value_code": code.code,
                        "version": versions[code.pk],
                        "level": change.get("current_level"),
                    },
                )
                self.assertFalse(event._state.adding)

    def test_a_stale_or_missing_answer_writes_nothing_at_all(self):
        before = (
            row(Answer.objects.get(response=self.response_a, value_code=self.codes[0])),
            row(self.response_a),
        )
        events = AuditEvent.objects.count()
        now = timezone.now()
        changes = {"current_level": None, "updated_at": now, "updated_by": self.bob}
        with transaction.atomic():
            stale = statements.save_answer(
                response_id=self.response_a.pk, value_code_id=self.codes[0].pk, expected_version=7,
                changes=changes, now=now, event=self.event(self.response_a, self.codes[0]),
            )  # fmt: skip
            missing = statements.save_answer(
                response_id=self.response_a.pk, value_code_id=self.codes[5].pk, expected_version=1,
                changes=changes, now=now, event=self.event(self.response_a, self.codes[5]),
            )  # fmt: skip
        self.assertEqual((stale, missing), (False, False))
        after = (
            row(Answer.objects.get(response=self.response_a, value_code=self.codes[0])),
            row(self.response_a),
        )
        self.assertEqual(after, before)
        self.assertEqual(AuditEvent.objects.count(), events)

    def test_it_is_one_statement_on_postgresql_and_three_elsewhere(self):
        now = timezone.now()
        with CaptureQueriesContext(connection) as ctx, transaction.atomic():
            statements.save_answer(
                response_id=self.response_a.pk, value_code_id=self.codes[0].pk, expected_version=1,
                changes={"current_level": 4, "updated_at": now}, now=now,
                event=self.event(self.response_a, self.codes[0]),
            )  # fmt: skip
        work = [
            q["sql"]
            for q in ctx.captured_queries
            if q["sql"].startswith(("UPDATE", "INSERT", "WITH"))
        ]
        self.assertEqual(len(work), 1 if connection.vendor == "postgresql" else 3, work)

    def test_an_audit_event_listened_to_is_written_the_ordinary_way(self):
        """A `post_save` receiver on AuditEvent must see the event: then the writes are made one
        by one (lib/prepared.py), on every database."""
        from django.db.models.signals import post_save

        heard = []

        def receiver(sender, instance, created, **kwargs):
            heard.append((instance.pk, created))

        post_save.connect(receiver, sender=AuditEvent)
        self.addCleanup(post_save.disconnect, receiver, sender=AuditEvent)
        now = timezone.now()
        event = self.event(self.response_a, self.codes[0], version=2)
        with CaptureQueriesContext(connection) as ctx, transaction.atomic():
            saved = statements.save_answer(
                response_id=self.response_a.pk, value_code_id=self.codes[0].pk, expected_version=1,
                changes={"current_level": 4, "updated_at": now}, now=now, event=event,
            )  # fmt: skip
        self.assertTrue(saved)
        self.assertEqual(heard, [(event.pk, True)])
        self.assertFalse(any(q["sql"].startswith("WITH") for q in ctx.captured_queries))
        self.assertEqual(row(self.response_a)["answered_count"], 2)
