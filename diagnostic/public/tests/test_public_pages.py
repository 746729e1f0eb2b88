"""Pages anyone can read, and the health check."""

from pathlib import Path
from unittest import mock

from django.db.utils import OperationalError
from django.test import TestCase
from django.urls import reverse
from django.utils.html import escape

from diagnostic.frameworks.loaders import NPS_2018, load_framework_file


class PublicPagesTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.version = load_framework_file(NPS_2018).version

    def test_the_home_page_explains_the_aims_and_what_each_user_gets(self):
        r = self.client.get(reverse("public:home"))
        self.assertContains(r, "What the assessment is for")
        for audience in ["Heads of procurement", "Regional bodies", "The LGA programme team"]:
            self.assertContains(r, audience)
        self.assertContains(r, "59 value codes")
        self.assertContains(r, 'href="/sign-in/"')
        self.assertContains(r, 'class="skip-link"')

    def test_the_privacy_accessibility_and_data_pages_have_their_content(self):
        cases = [
            ("public:privacy", "Privacy notice", "Your rights"),
            ("public:accessibility", "Accessibility statement", "WCAG"),
            (
                "public:about_data",
                "About the data",
                "mySociety's UK Local Authority Names and Codes (CC BY 4.0)",
            ),
        ]
        for name, heading, text in cases:
            r = self.client.get(reverse(name))
            self.assertContains(r, f"<h1>{heading}</h1>", html=True)
            self.assertContains(r, text)

    def test_the_about_data_page_gives_every_required_attribution(self):
        r = self.client.get(reverse("public:about_data"))
        self.assertContains(r, "Open Government Licence v3.0")
        self.assertContains(r, "Contains Ordnance Survey, Office for National Statistics and LPS")
        self.assertContains(r, "Martin Chorley")

    def test_the_framework_index_lists_the_published_version(self):
        r = self.client.get(reverse("public:framework_index"))
        self.assertContains(r, "NPS 2018")
        self.assertContains(r, '<td class="num">59</td>', html=True)

    def test_the_framework_version_page_lists_themes_key_areas_levels_and_enablers(self):
        r = self.client.get(reverse("public:framework_version", args=["nps", "2018"]))
        for text in [
            "Showing leadership",
            "Enabling VCSE engagement",
            "Innovator",
            "Embedding change",
        ]:
            self.assertContains(r, text)
        self.assertContains(r, reverse("public:key_area", args=["nps", "2018", "MCR"]))

    def test_the_key_area_page_shows_every_value_code_with_its_descriptors(self):
        r = self.client.get(reverse("public:key_area", args=["nps", "2018", "OSV"]))
        self.assertEqual(len(r.context["value_codes"]), 6)
        self.assertContains(r, "What each level looks like", count=6)
        self.assertContains(r, "5 Innovator", count=6)

    def test_the_value_code_page_shows_descriptors_guidance_and_enablers(self):
        vc = self.version.valuecodes.get(code="MCR3")
        r = self.client.get(reverse("public:value_code", args=["nps", "2018", "MCR3"]))
        self.assertContains(r, vc.title)
        for d in vc.descriptors.all():
            self.assertContains(r, escape(d.text))
        self.assertContains(r, "Guidance")

    def test_unknown_framework_parts_are_404(self):
        for url in [
            reverse("public:framework_version", args=["nps", "2099"]),
            reverse("public:framework_version", args=["nope", "2018"]),
            reverse("public:framework_version", args=["nps", "2018-r7"]),
            reverse("public:key_area", args=["nps", "2018", "ZZZ"]),
            reverse("public:value_code", args=["nps", "2018", "EC99"]),
        ]:
            self.assertEqual(self.client.get(url).status_code, 404, url)

    def test_the_404_page_is_ours(self):
        r = self.client.get("/no-such-page/")
        self.assertContains(r, "Page not found", status_code=404)


class HealthCheckTests(TestCase):
    def test_it_answers_200_when_the_database_is_reachable(self):
        r = self.client.get("/healthz")
        self.assertEqual(r.status_code, 200)
        self.assertEqual(r.json(), {"status": "ok", "database": "ok"})
        self.assertIn("no-cache", r.headers["Cache-Control"])

    def test_it_answers_503_when_the_database_is_not(self):
        with mock.patch("diagnostic.public.views.connection.cursor", side_effect=OperationalError):
            r = self.client.get("/healthz")
        self.assertEqual(r.status_code, 503)
        self.assertEqual(r.json()["status"], "unavailable")
        self.assertEqual(r.json()["database"], "unreachable")

    def test_it_refuses_post(self):
        self.assertEqual(self.client.post("/healthz").status_code, 405)


class HomePageDescribesTheCurrentFrameworkTests(TestCase):
    """Issue 13: the home page described NPS 2018 in fixed words ("three themes … ten key areas
    … four enablers … five levels") whatever was loaded, using the last loaded version."""

    FOUR = (
        Path(__file__).resolve().parents[2] / "frameworks" / "tests" / "data" / "four-levels.yaml"
    )

    def test_it_describes_the_current_rounds_framework_from_its_data(self):
        from diagnostic.assessments.testing import create_open_round

        four = load_framework_file(self.FOUR).version
        load_framework_file(NPS_2018)  # loaded last, but not the current round's
        create_open_round(four, [], name="CMCR 2026")
        r = self.client.get(reverse("public:home"))
        text = " ".join(r.content.decode().split())
        self.assertIn(
            "CMCR 2026 uses CMCR 2024. The Contract Management Capability Review framework has 2 "
            "themes – governance and delivery – split into 3 key areas and 7 value codes. A "
            "council rates itself on each value code at one of 4 levels, from <em>Basic</em> to "
            "<em>Exemplary</em>, and 3 enablers – using contract data, skilled contract managers "
            "and shared tooling – run through them all.",
            text,
        )
        for fixed in ("three themes", "ten key areas", "four enablers", "Innovator"):
            self.assertNotIn(fixed, text)
        self.assertContains(r, 'href="/framework/contract-capability/2024/"')

    def test_with_no_round_it_describes_the_newest_published_version(self):
        load_framework_file(NPS_2018)
        text = " ".join(self.client.get(reverse("public:home")).content.decode().split())
        self.assertIn(
            "has 3 themes – showing leadership, behaving commercially and achieving community "
            "benefits – split into 10 key areas and 59 value codes. A council rates itself on "
            "each value code at one of 5 levels, from <em>Minimum</em> to <em>Innovator</em>, "
            "and 4 enablers",
            text,
        )


class FaviconTests(TestCase):
    def test_it_serves_the_site_icon_at_the_usual_address(self):
        r = self.client.get("/favicon.ico")
        self.assertEqual(r.status_code, 200)
        self.assertEqual(r["Content-Type"], "image/vnd.microsoft.icon")
        self.assertEqual(r.content[:4], b"\x00\x00\x01\x00")  # an ICO file's header
        self.assertIn("max-age=86400", r["Cache-Control"])

    def test_every_page_links_to_it(self):
        self.assertContains(self.client.get("/"), 'rel="icon" href="/static/img/favicon.ico"')

    def test_it_refuses_post(self):
        self.assertEqual(self.client.post("/favicon.ico").status_code, 405)
