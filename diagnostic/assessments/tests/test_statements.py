"""The save's two UPDATEs, built once as fixed SQL, write exactly what Django's `.update()`
writes (assessments/statements.py, decision 0032)."""

import datetime as dt

from django.db import connection, transaction
from django.db.models import Count, F, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from diagnostic.assessments import statements
from diagnostic.assessments.models import Answer, Response
from diagnostic.assessments.testing import AssessmentTestCase


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
