"""A query compiled once gives what Django's own query gives, row for row and field for field."""

from unittest import mock, skipUnless

from django.db import DataError, connection, transaction
from django.db.models import Count
from django.test.utils import CaptureQueriesContext

from diagnostic.accounts.models import Membership
from diagnostic.assessments.models import Response
from diagnostic.assessments.testing import AssessmentTestCase
from diagnostic.lib.prepared import Prepared


def fields_of(obj):
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


class PreparedTests(AssessmentTestCase):
    def test_the_same_objects_as_django_with_their_related_objects(self):
        def build(pk):
            return Response.objects.select_related(
                "round__framework_version__framework", "organisation__region"
            ).filter(pk=pk)[:1]

        prepared = Prepared(build)
        for response in (self.response_a, self.response_b):
            for _ in range(2):  # compiled on the first call, reused on the second
                with self.subTest(response=response.pk):
                    [mine] = prepared(response.pk)
                    [theirs] = list(build(response.pk))
                    with CaptureQueriesContext(connection) as ctx:
                        for a, b in [
                            (mine, theirs),
                            (mine.round, theirs.round),
                            (mine.round.framework_version, theirs.round.framework_version),
                            (mine.round.framework_version.framework, theirs.round.framework_version.framework),
                            (mine.organisation, theirs.organisation),
                            (mine.organisation.region, theirs.organisation.region),
                        ]:  # fmt: skip
                            self.assertEqual(fields_of(a), fields_of(b))
                    self.assertEqual(ctx.captured_queries, [])  # all loaded by the one query
        self.assertEqual(prepared(10**9), [])

    def test_nullable_relations_and_order(self):
        def build(user_id):
            return (
                Membership.objects.filter(user_id=user_id)
                .select_related("user", "organisation", "region")
                .order_by("organisation__short_name", "region__name", "role")
            )

        prepared = Prepared(build)
        for user in (self.bob, self.dana, self.erin, self.zoe):
            with self.subTest(user=user.email):
                mine, theirs = prepared(user.pk), list(build(user.pk))
                self.assertEqual([m.pk for m in mine], [m.pk for m in theirs])
                for a, b in zip(mine, theirs, strict=True):
                    self.assertEqual(fields_of(a), fields_of(b))
                    self.assertEqual(a.organisation, b.organisation)  # None for regional roles
                    self.assertEqual(a.region, b.region)

    def test_anything_unexpected_runs_the_ordinary_way(self):
        prepared = Prepared(lambda pk: Response.objects.filter(pk=pk).annotate(n=Count("answers")))
        [r] = prepared(self.response_a.pk)
        self.assertEqual((r.pk, r.n), (self.response_a.pk, 0))


class PreparedPartsTests(AssessmentTestCase):
    def test_the_person_query_comes_apart_into_the_pieces_it_was_made_of(self):
        from diagnostic.accounts.backends import _memberships_with_person

        _db, _connection, compiled = _memberships_with_person.compiled()
        parts = compiled.parts
        self.assertIsNotNone(parts)
        self.assertEqual(
            compiled.sql,
            f"SELECT {parts.columns} FROM {parts.from_} WHERE {parts.parameter} = %s ORDER BY {parts.order_by}",
        )
        self.assertEqual(parts.table, '"accounts_membership"')
        self.assertEqual(parts.parameter, '"accounts_membership"."user_id"')
        self.assertIn('INNER JOIN "accounts_user"', parts.from_)
        # The same joins, all LEFT OUTER, for a caller that keeps its own row when there are none.
        self.assertNotIn("INNER", parts.outer_joins)
        self.assertEqual(parts.outer_joins.count("LEFT OUTER JOIN"), parts.from_.count("JOIN"))

    def test_a_sliced_query_has_no_parts(self):
        prepared = Prepared(lambda pk: Response.objects.filter(pk=pk)[:1])
        self.assertIsNone(prepared.compiled()[2].parts)


class PreparedInsertTests(AssessmentTestCase):
    def test_it_writes_the_row_django_writes_and_reads_back_the_id(self):
        from diagnostic.audit.models import AuditEvent
        from diagnostic.lib.prepared import PreparedInsert

        insert = PreparedInsert(AuditEvent)
        detail = {"level": 3, "text": "Ünïcode — 'quotes'", "nested": [1, None, True]}
        for _ in range(2):  # compiled on the first call, reused on the second
            # Not by Model.save (the ordinary way, which compiles the INSERT every time).
            with CaptureQueriesContext(connection) as ctx, mock.patch.object(AuditEvent, "save", side_effect=AssertionError):  # fmt: skip
                mine = insert(AuditEvent(action="test.mine", actor=self.bob, organisation_id=self.council_a.pk,
                                         object_type="x.y", object_id="7:EC1", detail=detail))  # fmt: skip
            self.assertEqual(len(ctx.captured_queries), 1)
            theirs = AuditEvent.objects.create(action="test.mine", actor=self.bob, organisation_id=self.council_a.pk,
                                               object_type="x.y", object_id="7:EC1", detail=detail)  # fmt: skip
            self.assertIsNotNone(mine.pk)
            self.assertFalse(mine._state.adding)
            a, b = AuditEvent.objects.get(pk=mine.pk), AuditEvent.objects.get(pk=theirs.pk)
            self.assertEqual(mine.at, a.at)
            fa, fb = fields_of(a), fields_of(b)
            for f in ("id", "at"):
                del fa[f], fb[f]
            self.assertEqual(fa, fb)
            self.assertLess(abs((a.at - b.at).total_seconds()), 5)

    def test_an_object_that_has_a_primary_key_is_saved_the_ordinary_way(self):
        from diagnostic.audit.models import AuditEvent
        from diagnostic.lib.prepared import PreparedInsert

        event = PreparedInsert(AuditEvent)(AuditEvent(id=987654, action="test.given"))
        self.assertEqual(AuditEvent.objects.get(pk=987654).action, event.action)


@skipUnless(connection.vendor == "postgresql", "insert_select is for PostgreSQL")
class InsertSelectTests(AssessmentTestCase):
    def insert(self, event):
        from diagnostic.lib.prepared import PreparedInsert

        sql, fields, returned = PreparedInsert(type(event)).insert_select("default")
        params = [
            f.get_db_prep_save(f.pre_save(event, True), connection=connection) for f in fields
        ]
        with connection.cursor() as cursor:
            cursor.execute(f"{sql} RETURNING {connection.ops.quote_name(returned.column)}", params)
            return cursor.fetchone()[0]

    def test_it_writes_the_row_django_writes(self):
        from diagnostic.audit.models import AuditEvent

        detail = {"level": 3, "text": "Ünïcode — 'quotes'", "nested": [1, None, True]}
        pk = self.insert(AuditEvent(action="test.select", actor=self.bob, organisation_id=self.council_a.pk,
                                    object_type="x.y", object_id="7:EC1", detail=detail))  # fmt: skip
        mine = AuditEvent.objects.get(pk=pk)
        theirs = AuditEvent.objects.create(action="test.select", actor=self.bob, organisation_id=self.council_a.pk,
                                           object_type="x.y", object_id="7:EC1", detail=detail)  # fmt: skip
        fa, fb = fields_of(mine), fields_of(theirs)
        for f in ("id", "at"):
            del fa[f], fb[f]
        self.assertEqual(fa, fb)

    def test_a_value_too_long_for_its_column_is_refused_not_cut_short(self):
        # A cast to varchar(40) would cut the value to 40 characters without a word; the
        # column refuses it, as an ordinary INSERT's does.
        from diagnostic.audit.models import AuditEvent

        too_long = "x" * (AuditEvent._meta.get_field("object_id").max_length + 1)
        with self.assertRaisesMessage(DataError, "value too long"), transaction.atomic():
            self.insert(AuditEvent(action="test.long", object_id=too_long))
        with self.assertRaisesMessage(DataError, "value too long"), transaction.atomic():
            AuditEvent.objects.create(action="test.long", object_id=too_long)
        self.assertFalse(AuditEvent.objects.filter(action="test.long").exists())
