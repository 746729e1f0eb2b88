"""Round progress and the flat export for the national team and regional leads."""

import csv
import io

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from diagnostic.analytics.tests.test_figures import GeneratedRoundTestCase
from diagnostic.api.testing import V1, TokenClient, make_token
from diagnostic.assessments.models import Response
from diagnostic.audit.models import AuditEvent


def all_items(client, url):
    items = []
    while url:
        body = client.get(url).json()
        items += body["items"]
        url = body["next"]
    return items


class SectorApiTests(GeneratedRoundTestCase):
    def setUp(self):
        super().setUp()
        self.as_ = {key: TokenClient(make_token(user)) for key, user in self.personas.items()}
        self.progress = f"{V1}/sector/rounds/{self.round.pk}/progress"
        self.export = f"{V1}/sector/rounds/{self.round.pk}/export"

    def test_the_national_team_sees_every_councils_progress(self):
        for who in ["nina", "erin"]:
            body = self.as_[who].get(self.progress).json()
            self.assertEqual(
                body,
                {
                    "scope": "national",
                    "eligible": 19,
                    "not_started": 1,
                    "in_progress": 5,
                    "submitted": 13,
                },
            )
            rows = all_items(self.as_[who], f"{self.progress}/councils?page_size=6")
            self.assertEqual(len(rows), 19)
            a = next(r for r in rows if r["organisation"]["gss_code"] == self.council_a.gss_code)
            self.assertEqual((a["stage"], a["region"]), ("submitted", "North West"))

    def test_a_regional_lead_sees_their_region_and_names_only_consenting_councils(self):
        body = self.as_["dana"].get(self.progress).json()
        nw = Response.objects.filter(round=self.round, organisation__region=self.north_west)
        self.assertEqual(body["scope"], "region")
        self.assertEqual(body["eligible"], nw.count())
        self.assertEqual(body["submitted"], nw.filter(status="submitted").count())
        rows = all_items(self.as_["dana"], f"{self.progress}/councils")
        consenting = set(
            nw.filter(consent_regional_sharing=True).values_list(
                "organisation__gss_code", flat=True
            )
        )
        self.assertTrue(consenting)
        self.assertEqual({r["organisation"]["gss_code"] for r in rows}, consenting)

    def test_council_roles_are_refused(self):
        for who in ["alice", "bob", "victor", "charlie", "zoe"]:
            for url in [self.progress, f"{self.progress}/councils", self.export]:
                with self.subTest(who=who, url=url):
                    self.assertEqual(self.as_[who].get(url).status_code, 403)

    def test_the_export_pages_are_the_csv_download(self):
        self.client.force_login(self.nina)
        r = self.client.get(reverse("analytics:export_csv", args=[self.round.pk]))
        rows = list(csv.DictReader(io.StringIO(b"".join(r.streaming_content).decode("utf-8-sig"))))
        items = all_items(self.as_["nina"], f"{self.export}?page_size=200")
        self.assertEqual(len(items), len(rows))
        self.assertEqual(len(rows), 13 * len(self.codes))
        for row, item in zip(rows, items, strict=True):
            self.assertEqual(row, {k: str(v) for k, v in item.items()})
        self.assertEqual(
            AuditEvent.objects.filter(action="responses.exported", detail__format="api").count(), 1
        )

    def test_a_regional_lead_exports_consenting_councils_of_their_region_only(self):
        items = all_items(self.as_["dana"], f"{self.export}?page_size=200")
        expected = set(
            Response.objects.filter(
                round=self.round, status="submitted", organisation__region=self.north_west,
                consent_regional_sharing=True,
            ).values_list("organisation__gss_code", flat=True)
        )  # fmt: skip
        self.assertTrue(expected)
        self.assertEqual({i["organisation_code"] for i in items}, expected)

    def test_queries_per_page_are_constant(self):
        for url in [
            f"{self.progress}/councils?page_size={{n}}",
            f"{self.export}?page=2&page_size={{n}}",
        ]:
            with self.subTest(url=url):
                counts = []
                self.as_["nina"].get(url.format(n=1))  # the export's page spans are cached
                for n in (1, 100):
                    with CaptureQueriesContext(connection) as ctx:
                        self.assertEqual(self.as_["nina"].get(url.format(n=n)).status_code, 200)
                    counts.append(len(ctx))
                self.assertEqual(counts[0], counts[1])
                self.assertLessEqual(counts[1], 10)

    def test_a_missing_round_is_404(self):
        self.assertEqual(
            self.as_["nina"].get(f"{V1}/sector/rounds/987654/progress").status_code, 404
        )

    def test_the_export_follows_a_reopening(self):
        """The cached page spans are recomputed when the round's submissions change."""
        from diagnostic.analytics.cache import bump

        before = all_items(self.as_["nina"], f"{self.export}?page_size=200")
        Response.objects.filter(pk=self.response_a.pk).update(status="draft")
        bump(self.round.pk)
        after = all_items(self.as_["nina"], f"{self.export}?page_size=200")
        self.assertEqual(len(after), len(before) - len(self.codes))
        self.assertNotIn(self.council_a.gss_code, {i["organisation_code"] for i in after})
