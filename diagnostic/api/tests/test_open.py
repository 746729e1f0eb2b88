"""The open endpoints: no sign-in, the same figures as the public pages and downloads."""

import csv
import datetime as dt
import io

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from diagnostic.analytics.models import Publication
from diagnostic.analytics.tests.test_figures import GeneratedRoundTestCase
from diagnostic.assessments.models import Answer, Response, Round
from diagnostic.frameworks.models import FrameworkVersion, LevelDescriptor, ValueCode
from diagnostic.organisations.models import Organisation

V1 = "/api/v1"


def all_items(client, url):
    """Every item of a paged list, following `next`."""
    items, pages = [], 0
    while url:
        r = client.get(url)
        assert r.status_code == 200, (url, r.content)
        body = r.json()
        items += body["items"]
        url = body["next"]
        pages += 1
    return items, pages


class OpenApiTestCase(GeneratedRoundTestCase):
    """The generated round published, and a second, small round (3 councils submitted) published
    too, so that every row of its figures is suppressed."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        Publication.objects.create(round=cls.round, published_by=cls.erin)
        today = timezone.localdate()
        cls.small = Round.objects.create(
            name="NPS small", framework_version=cls.framework, status=Round.Status.CLOSED,
            opens_on=today - dt.timedelta(days=400), closes_on=today - dt.timedelta(days=300),
            eligibility_date=today - dt.timedelta(days=400), nations=["England"],
        )  # fmt: skip
        for org in Organisation.objects.order_by("gss_code")[:3]:
            resp = Response.objects.create(
                round=cls.small, organisation=org, status="submitted", submitted_at=timezone.now()
            )
            Answer.objects.bulk_create(
                [
                    Answer(response=resp, value_code=vc, current_level=3, version=1)
                    for vc in cls.codes
                ]
            )
        Publication.objects.create(round=cls.small, published_by=cls.erin)
        # A round in progress: never in the open API.
        cls.unpublished = Round.objects.create(
            name="NPS unpublished", framework_version=cls.framework, status=Round.Status.CLOSED,
            opens_on=today - dt.timedelta(days=800), closes_on=today - dt.timedelta(days=700),
            eligibility_date=today - dt.timedelta(days=800), nations=["England"],
        )  # fmt: skip


class FrameworkTests(OpenApiTestCase):
    def test_frameworks_list_their_published_versions(self):
        r = self.client.get(f"{V1}/frameworks")
        self.assertEqual(r.status_code, 200)
        body = r.json()
        self.assertEqual(body["count"], 1)
        [fw] = body["items"]
        self.assertEqual(fw["code"], self.framework.framework.code)
        self.assertEqual([v["slug"] for v in fw["versions"]], [self.framework.slug])

    def test_an_unpublished_version_is_not_listed_and_is_404(self):
        FrameworkVersion.objects.filter(pk=self.framework.pk).update(published_at=None)
        fw = self.client.get(f"{V1}/frameworks").json()["items"][0]
        self.assertEqual(fw["versions"], [])
        code = self.framework.framework.code
        r = self.client.get(f"{V1}/frameworks/{code}/versions/{self.framework.slug}")
        self.assertEqual(r.status_code, 404)
        self.assertEqual(r["Content-Type"], "application/problem+json")

    def test_a_version_has_every_level_theme_key_area_and_enabler(self):
        fv = self.framework
        r = self.client.get(f"{V1}/frameworks/{fv.framework.code}/versions/{fv.slug}")
        self.assertEqual(r.status_code, 200)
        body = r.json()
        self.assertEqual(
            [(lv["number"], lv["name"]) for lv in body["levels"]],
            list(fv.levels.order_by("number").values_list("number", "name")),
        )
        self.assertEqual(
            [t["code"] for t in body["themes"]],
            list(fv.themes.order_by("position").values_list("code", flat=True)),
        )
        self.assertEqual(
            [a["code"] for t in body["themes"] for a in t["key_areas"]],
            list(
                fv.keyareas.order_by("theme__position", "position").values_list("code", flat=True)
            ),
        )
        self.assertEqual(
            [e["code"] for e in body["enablers"]],
            list(fv.enablers.order_by("position").values_list("code", flat=True)),
        )

    def test_every_value_code_comes_with_every_descriptor(self):
        fv = self.framework
        url = f"{V1}/frameworks/{fv.framework.code}/versions/{fv.slug}/value-codes?page_size=7"
        items, pages = all_items(self.client, url)
        self.assertEqual(pages, -(-len(self.codes) // 7))
        self.assertEqual([i["code"] for i in items], [vc.code for vc in self.codes])
        ec1 = next(i for i in items if i["code"] == "EC1")
        vc = ValueCode.objects.get(version=fv, code="EC1")
        self.assertEqual(ec1["title"], vc.title)
        self.assertEqual(ec1["key_area"], vc.key_area.code)
        self.assertEqual(ec1["theme"], vc.key_area.theme.code)
        self.assertEqual(sorted(ec1["enablers"]), sorted(e.code for e in vc.enablers.all()))
        self.assertEqual(
            [(d["level"], d["text"]) for d in ec1["descriptors"]],
            [(d.level.number, d.text) for d in LevelDescriptor.objects.filter(value_code=vc).order_by("level__number")],
        )  # fmt: skip
        total = sum(len(i["descriptors"]) for i in items)
        self.assertEqual(total, LevelDescriptor.objects.filter(value_code__version=fv).count())

    def test_value_codes_filtered_by_key_area(self):
        fv = self.framework
        url = f"{V1}/frameworks/{fv.framework.code}/versions/{fv.slug}/value-codes?key_area=EC"
        codes = [i["code"] for i in self.client.get(url).json()["items"]]
        self.assertEqual(
            codes, list(ValueCode.objects.filter(version=fv, key_area__code="EC").order_by("position").values_list("code", flat=True))
        )  # fmt: skip


class RegisterTests(OpenApiTestCase):
    def test_the_register_lists_every_organisation_with_its_dates(self):
        Organisation.objects.filter(pk=self.council_b.pk).update(end_date=dt.date(2023, 3, 31))
        items, _ = all_items(self.client, f"{V1}/organisations?page_size=5")
        self.assertEqual(
            [i["gss_code"] for i in items],
            list(
                Organisation.objects.order_by("name", "gss_code").values_list("gss_code", flat=True)
            ),
        )
        b = next(i for i in items if i["gss_code"] == self.council_b.gss_code)
        self.assertEqual(b["end_date"], "2023-03-31")
        self.assertEqual(b["region"]["code"], self.south_east.code)

    def test_on_a_date_leaves_out_organisations_that_had_ended(self):
        Organisation.objects.filter(pk=self.council_b.pk).update(end_date=dt.date(2023, 3, 31))
        codes = {
            i["gss_code"] for i in all_items(self.client, f"{V1}/organisations?on=2024-01-01")[0]
        }
        self.assertNotIn(self.council_b.gss_code, codes)
        codes = {
            i["gss_code"] for i in all_items(self.client, f"{V1}/organisations?on=2023-03-31")[0]
        }
        self.assertIn(self.council_b.gss_code, codes)

    def test_one_organisation_by_code(self):
        r = self.client.get(f"{V1}/organisations/{self.council_a.gss_code}")
        self.assertEqual(r.json()["name"], self.council_a.name)
        self.assertEqual(self.client.get(f"{V1}/organisations/X99999999").status_code, 404)

    def test_bad_filters_are_field_errors(self):
        r = self.client.get(f"{V1}/organisations?on=2024-13-01&type=castle&page=0")
        self.assertEqual(r.status_code, 422)
        self.assertEqual(r["Content-Type"], "application/problem+json")
        fields = {(e["location"], e["field"]) for e in r.json()["errors"]}
        self.assertEqual(fields, {("query", "on"), ("query", "type"), ("query", "page")})


class PublishedFiguresTests(OpenApiTestCase):
    def test_only_published_rounds_are_listed(self):
        items, _ = all_items(self.client, f"{V1}/rounds")
        self.assertEqual([i["id"] for i in items], [self.round.pk, self.small.pk])
        self.assertEqual(self.client.get(f"{V1}/rounds/{self.unpublished.pk}").status_code, 404)
        self.assertEqual(
            self.client.get(f"{V1}/rounds/{self.unpublished.pk}/figures").status_code, 404
        )

    def test_participation_of_a_round(self):
        body = self.client.get(f"{V1}/rounds/{self.round.pk}").json()
        self.assertEqual(body["participation"]["eligible"], 19)
        self.assertEqual(body["participation"]["submitted"], 13)

    def test_api_figures_equal_the_public_csv_for_every_published_round(self):
        """The same figures, suppression included, as the public download (ASVS 14.2.6)."""
        for rnd in Round.objects.filter(publication__isnull=False):
            with self.subTest(round=rnd.name):
                r = self.client.get(reverse("analytics:public_csv", args=[rnd.pk]))
                rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8"))))
                items, _ = all_items(self.client, f"{V1}/rounds/{rnd.pk}/figures?page_size=4")
                self.assertEqual(len(items), len(rows))
                self.assertGreater(len(rows), 0)
                for row, item in zip(rows, items, strict=True):
                    self.assertEqual(row["section"], item["section"].replace("_", " "))
                    self.assertEqual(row["group"], item["name"])
                    if row["organisations"] == "fewer than 5":
                        self.assertTrue(item["suppressed"])
                        self.assertEqual(
                            [item[k] for k in ("organisations", "answers", "levels", "median", "mean", "eligible", "in_progress", "not_started")],
                            [None] * 8,
                        )  # fmt: skip
                        continue
                    self.assertFalse(item["suppressed"])
                    self.assertEqual(int(row["organisations"]), item["organisations"])
                    if item["section"] == "participation":
                        for column in ("eligible", "submitted", "in_progress", "not_started"):
                            want = item["organisations" if column == "submitted" else column]
                            self.assertEqual(int(row[column]), want)
                        continue
                    self.assertEqual(int(row["answers"]), item["answers"])
                    for lv in item["levels"]:
                        self.assertEqual(int(row[f"level_{lv['level']}"]), lv["count"])
                    self.assertEqual(int(row["not_yet_assessed"]), item["not_yet_assessed"])
                    self.assertEqual(
                        row["median"], "" if item["median"] is None else str(item["median"])
                    )
                    self.assertEqual(row["mean"], "" if item["mean"] is None else str(item["mean"]))

    def test_the_small_round_shows_no_figure_and_the_big_one_hides_small_regions(self):
        small, _ = all_items(self.client, f"{V1}/rounds/{self.small.pk}/figures?page_size=200")
        self.assertTrue(all(i["suppressed"] for i in small))
        big, _ = all_items(self.client, f"{V1}/rounds/{self.round.pk}/figures?page_size=200")
        regions = {i["name"]: i for i in big if i["section"] == "participation"}
        self.assertTrue(regions["Yorkshire and The Humber"]["suppressed"])
        self.assertEqual(regions["North West"]["organisations"], 7)
        self.assertFalse(any(i["suppressed"] for i in big if i["section"] != "participation"))


class PaginationTests(OpenApiTestCase):
    def test_queries_per_page_do_not_grow_with_page_size(self):
        fv = self.framework
        urls = [
            f"{V1}/frameworks?page_size={{n}}",
            f"{V1}/frameworks/{fv.framework.code}/versions/{fv.slug}/value-codes?page_size={{n}}",
            f"{V1}/organisations?page_size={{n}}",
            f"{V1}/rounds?page_size={{n}}",
            f"{V1}/rounds/{self.round.pk}/figures?page_size={{n}}",
        ]
        for url in urls:
            with self.subTest(url=url):
                counts = []
                for n in (1, 50):
                    self.client.get(url.format(n=n))  # warm the figures cache
                    with CaptureQueriesContext(connection) as ctx:
                        self.assertEqual(self.client.get(url.format(n=n)).status_code, 200)
                    counts.append(len(ctx))
                self.assertEqual(counts[0], counts[1])
                self.assertLessEqual(counts[1], 10)

    def test_a_page_past_the_end_is_empty(self):
        body = self.client.get(f"{V1}/organisations?page=999").json()
        self.assertEqual(body["items"], [])
        self.assertIsNone(body["next"])
        self.assertIsNotNone(body["previous"])

    def test_page_size_is_bounded(self):
        r = self.client.get(f"{V1}/organisations?page_size=201")
        self.assertEqual(r.status_code, 422)
        self.assertEqual(r.json()["errors"][0]["field"], "page_size")


class ProblemShapeTests(OpenApiTestCase):
    def test_an_unknown_path_is_a_problem_not_a_page(self):
        for url in ["/api/v1/nothing", "/api/v2/rounds", f"{V1}/rounds/1/nothing"]:
            r = self.client.get(url)
            self.assertEqual(r.status_code, 404, url)
            self.assertEqual(r["Content-Type"], "application/problem+json")
            body = r.json()
            self.assertEqual(set(body), {"type", "title", "status", "detail", "instance", "errors"})
            self.assertEqual(body["status"], 404)
            self.assertEqual(body["instance"], url)

    def test_a_bad_id_is_a_field_error_in_the_path(self):
        for bad in ["abc", "0", "99999999999999999999"]:
            r = self.client.get(f"{V1}/rounds/{bad}/figures")
            self.assertEqual(r.status_code, 422, bad)
            self.assertEqual(r.json()["errors"][0]["location"], "path")
            self.assertEqual(r.json()["errors"][0]["field"], "round_id")

    def test_an_unsupported_method_is_a_problem_with_allow(self):
        for method, url in [("delete", f"{V1}/frameworks"), ("post", f"{V1}/rounds/1"),
                            ("patch", f"{V1}/responses/1/answers/EC1")]:  # fmt: skip
            r = getattr(self.client, method)(url)
            self.assertEqual(r.status_code, 405, url)
            self.assertEqual(r["Content-Type"], "application/problem+json")
            self.assertIn("GET" if "answers" not in url else "PUT", r["Allow"])
            self.assertEqual(r.json()["status"], 405)
