"""The summaries always equal a fresh recomputation from the answers (ASVS 5.0 V2.3: business
logic data is kept consistent), after any sequence of submissions and reopenings through the
services; the figures read from them equal the figures aggregated from the answers; and the
rebuild command rebuilds them."""

from io import StringIO

from django.core.management import call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from diagnostic.accounts.models import Role
from diagnostic.analytics import queries, summaries
from diagnostic.analytics.models import CouncilCount, SummaryState
from diagnostic.assessments import services
from diagnostic.assessments.models import Answer, Response
from diagnostic.assessments.testing import create_open_round
from diagnostic.frameworks.loaders import NPS_2018, load_framework_file
from diagnostic.organisations.models import Organisation, Region
from diagnostic.testing import make_user
from diagnostic.twofactor.testing import VerifyingClient

N_COUNCILS = 6
steps = st.lists(
    st.tuples(
        st.sampled_from(["submit", "reopen"]),
        st.integers(0, N_COUNCILS - 1),
        st.integers(1, 5),  # a level
        st.booleans(),  # would welcome support
    ),
    max_size=12,
)


class Fixture(HypothesisTestCase):
    """Six councils in two regions, each with a lead ready to submit (details filled in)."""

    @classmethod
    def setUpTestData(cls):
        cls.framework = load_framework_file(NPS_2018).version
        cls.codes = list(cls.framework.valuecodes.order_by("position"))
        regions = [
            Region.objects.create(code="E12000002", name="North West", nation="England"),
            Region.objects.create(code="E12000008", name="South East", nation="England"),
        ]
        cls.orgs = [
            Organisation.objects.create(
                gss_code=f"E0710{i:04d}",
                name=f"Council {i}",
                short_name=f"C{i}",
                type=["unitary", "county"][i % 2],
                region=regions[i % 3 % 2],
                nation="England",
            )  # fmt: skip
            for i in range(N_COUNCILS)
        ]
        cls.round, cls.responses = create_open_round(cls.framework, cls.orgs)
        cls.admin = make_user("erin", "Erin Admin", Role.NATIONAL_ADMIN)
        cls.leads = [
            make_user(f"lead{i}", f"Lead {i}", Role.LEAD, organisation=o)
            for i, o in enumerate(cls.orgs)
        ]
        Response.objects.filter(round=cls.round).update(
            officer_name="O", signed_off_name="S", signed_off_role="R",
            signed_off_on=cls.round.opens_on,
        )  # fmt: skip

    def answer(self, response, level: int, want: bool) -> None:
        Answer.objects.filter(response=response).delete()
        Answer.objects.bulk_create([
            Answer(response=response, value_code=vc, version=1, priority="high" if i % 2 else "none",
                   current_level=(level + i) % 6, target_level=min(5, level + i % 3),
                   want_support=want and i % 4 == 0, could_share=i % 5 == 0)
            for i, vc in enumerate(self.codes)
        ])  # fmt: skip


class SummaryPropertyTests(Fixture):
    @settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(steps)
    def test_summaries_equal_a_recomputation_after_any_sequence(self, sequence):
        summaries.rebuild(self.round.pk)  # built before the sequence: kept up to date after
        for action, i, level, want in sequence:
            response = Response.objects.get(pk=self.responses[i].pk)
            if action == "submit" and not response.is_submitted:
                self.answer(response, level, want)
                services.do_submit(response=response, by=self.leads[i])
            elif action == "reopen" and response.is_submitted:
                services.do_reopen(response=response, by=self.admin, reason="A correction")
        got = summaries.snapshot(self.round.pk)
        self.assertEqual(got["stored"], got["fresh"])
        # …and nothing needs rebuilding on reading: the fingerprint kept up too.
        self.assertTrue(
            SummaryState.objects.filter(
                round=self.round, **summaries.fingerprint(self.round.pk)
            ).exists()
        )

    def test_figures_from_the_summaries_equal_figures_from_the_answers(self):
        for i, response in enumerate(self.responses[:5]):
            self.answer(response, i + 1, i % 2 == 0)
            services.do_submit(response=response, by=self.leads[i])
        region = Region.objects.get(code="E12000002")
        for scope in [
            queries.Scope(self.round.pk),
            queries.Scope(self.round.pk, region_id=region.pk),
            queries.Scope(self.round.pk, org_type="county"),
            queries.Scope(self.round.pk, enabler="digital"),
            queries.Scope(self.round.pk, region_id=region.pk, enabler="change"),
        ]:
            for by in ("theme", "key_area", "value_code"):
                with self.subTest(scope=scope, by=by):
                    self.assertEqual(
                        queries.levels_by(scope, by),
                        queries.levels_by(scope, by, from_answers=True),
                    )
            for rows in ("region", "type"):
                with self.subTest(scope=scope, rows=rows):
                    self.assertEqual(
                        queries.heatmap(scope, rows),
                        queries.heatmap(scope, rows, from_answers=True),
                    )

    def test_the_rebuild_command(self):
        for i, response in enumerate(self.responses[:3]):
            self.answer(response, i + 1, True)
            services.do_submit(response=response, by=self.leads[i])
        summaries.rebuild(self.round.pk)
        CouncilCount.objects.filter(round=self.round).delete()  # damaged
        out = StringIO()
        call_command("rebuild_summaries", "--round", str(self.round.pk), stdout=out)
        self.assertIn("[1/1] NPS 2026: ", out.getvalue())
        self.assertIn("Rebuilt the summaries of 1 round(s).", out.getvalue())
        got = summaries.snapshot(self.round.pk)
        self.assertEqual(got["stored"], got["fresh"])
        groups = self.framework.themes.count() + self.framework.keyareas.count()
        self.assertEqual(CouncilCount.objects.filter(round=self.round).count(), 3 * groups)


class SummaryQueryCountTests(Fixture):
    """The regional dashboard, the key-area drill-down and the public results read a fixed
    number of statements whatever the number of councils submitting (through the service)."""

    client_class = VerifyingClient

    def test_statements_do_not_grow_with_the_number_of_councils(self):
        from django.core.cache import cache
        from django.db import connection
        from django.test.utils import CaptureQueriesContext
        from django.urls import reverse

        from diagnostic.analytics.models import Publication

        region = Region.objects.get(code="E12000002")
        area = self.framework.keyareas.order_by("position").first()
        Publication.objects.create(round=self.round, published_by=self.admin)
        urls = [
            reverse("analytics:regional", args=[region.code]) + f"?round={self.round.pk}",
            reverse("analytics:key_area", args=[area.pk]) + f"?round={self.round.pk}",
            reverse("analytics:public_round", args=[self.round.pk]),
        ]
        self.client.force_login(self.admin)

        def counts():
            out = []
            for url in urls:
                cache.clear()
                with CaptureQueriesContext(connection) as ctx:
                    self.assertEqual(self.client.get(url).status_code, 200, url)
                out.append(len(ctx))
            return out

        self.answer(self.responses[0], 2, True)
        services.do_submit(response=self.responses[0], by=self.leads[0])
        counts()  # the first reading builds the round's summaries, and fills per-process caches
        before = counts()
        for i in range(1, N_COUNCILS):
            self.answer(self.responses[i], i, True)
            services.do_submit(response=self.responses[i], by=self.leads[i])
        self.assertEqual(counts(), before)
        self.assertTrue(
            SummaryState.objects.filter(round=self.round, submitted=N_COUNCILS).exists()
        )
