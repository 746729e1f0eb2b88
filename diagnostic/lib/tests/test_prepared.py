"""A query compiled once gives what Django's own query gives, row for row and field for field."""

from django.db import connection
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
