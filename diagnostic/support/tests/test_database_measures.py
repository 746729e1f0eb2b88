"""The database's demand and supply counts equal the pure definition (`measures.py`), checked
on a generated round of 24 councils in three regions with random answers and two clusters."""

import random

from django.utils import timezone

from diagnostic.assessments.models import Answer, Response
from diagnostic.assessments.testing import AssessmentTestCase
from diagnostic.organisations.models import Cluster, Organisation, Region
from diagnostic.support import measures, queries

FIELDS = ("organisations", "demand", "wanting", "weighted_gap", "peers")


class DatabaseMeasuresTests(AssessmentTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        rng = random.Random(12)
        yorkshire = Region.objects.create(code="E12000003", name="Yorkshire", nation="England")
        orgs = []
        for n in range(24):
            region = [cls.north_west, cls.south_east, yorkshire][n % 3]
            org = Organisation.objects.create(
                gss_code=f"E0720{n:04d}", name=f"Generated {n}", short_name=f"G{n}",
                type=["unitary", "non_metropolitan_district", "county"][n % 4 % 3],
                region=region, nation="England",
            )  # fmt: skip
            orgs.append(org)
            resp = Response.objects.create(round=cls.round, organisation=org)
            Answer.objects.bulk_create([
                Answer(response=resp, value_code=vc, version=1,
                       current_level=rng.choice([None, 0, 1, 2, 3, 3, 4, 5]),
                       target_level=rng.choice([None, 2, 3, 4, 5]),
                       priority=rng.choice(["high", "medium", "low", "none", ""]),
                       want_support=rng.random() < 0.2, could_share=rng.random() < 0.3)
                for vc in cls.codes
            ])  # fmt: skip
            if n % 5:  # every fifth council is still a draft: it must never count
                Response.objects.filter(pk=resp.pk).update(
                    status="submitted", submitted_at=timezone.now()
                )
        cls.cluster = Cluster.objects.create(name="One", region=cls.north_west)
        cls.cluster.organisations.set(orgs[0:12:3])
        Cluster.objects.create(name="Two", region=None).organisations.set(orgs[0:6])
        cls.expert = queries.expert_levels_of(cls.round.pk)

    def pure(self, by, include=None):
        facts = queries.answer_facts(self.round.pk)
        return measures.cells(facts, [], by=by, expert=self.expert, include=include)

    def assert_same(self, db, pure):
        self.assertEqual(set(db), set(pure))
        for k in pure:
            self.assertEqual([getattr(db[k], f) for f in FIELDS],
                             [getattr(pure[k], f) for f in FIELDS], k)  # fmt: skip
        self.assertGreater(sum(c.demand for c in pure.values()), 0)
        self.assertGreater(sum(c.peers for c in pure.values()), 0)

    def test_key_area_and_value_code_cells_match(self):
        for by in ("key_area", "value_code"):
            with self.subTest(by=by):
                scope = queries.SupportScope(self.round.pk, by=by)
                self.assert_same(queries.cell_counts(scope, by, self.expert), self.pure(by))

    def test_filtered_cells_match(self):
        scope = queries.SupportScope(self.round.pk, org_type="unitary")
        self.assert_same(queries.cell_counts(scope, "key_area", self.expert),
                         self.pure("key_area", lambda f: f.org_type == "unitary"))  # fmt: skip
        scope = queries.SupportScope(self.round.pk, cluster_id=self.cluster.pk)
        self.assert_same(queries.cell_counts(scope, "key_area", self.expert),
                         self.pure("key_area", lambda f: self.cluster.pk in f.cluster_ids))  # fmt: skip

    def test_groups_match(self):
        facts = queries.answer_facts(self.round.pk)
        scope = queries.SupportScope(self.round.pk)
        self.assertEqual(queries.groups_by(scope, "type"),
                         measures.by_group(facts, lambda f: [f.org_type]))  # fmt: skip
        self.assertEqual(queries.groups_by(scope, "cluster"),
                         measures.by_group(facts, lambda f: f.cluster_ids))  # fmt: skip
