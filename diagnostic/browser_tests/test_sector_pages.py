"""The national team's and regional leads' pages pass axe-core (WCAG 2.2 AA) with real figures.

Every test builds a realistic sector: the shipped NPS 2018 framework, an open round of 16
councils in three regions (North West 5 of 7 submitted, South East 5 of 6, Wales 2 of 3, so
Wales's cells are suppressed outside the national team), an earlier closed round to compare
with, and a publication of that closed round's results.
"""

from __future__ import annotations

import datetime as dt
import random
import re

import pytest
from django.core import mail
from django.core.cache import cache
from django.utils import timezone
from playwright.sync_api import expect

from diagnostic.accounts.models import Role
from diagnostic.analytics.models import Publication
from diagnostic.assessments.models import Answer, Response, Round
from diagnostic.browser_tests.base import MOBILE, BrowserTestCase
from diagnostic.frameworks.loaders import NPS_2018, load_framework_file
from diagnostic.organisations.models import Cluster, Organisation
from diagnostic.testing import make_user

pytestmark = pytest.mark.browser

CHART_SRC = re.compile(r"^/charts/[0-9a-f]{64}-[0-9a-f]{32}\.svg$")

# Each chart in <main>: its image (alt text, whether it loaded) and the caption of the table
# that follows it (the table itself, or the first table inside the next element).
CHARTS_JS = """() => [...document.querySelectorAll("main figure.chart")].map((fig) => {
  const img = fig.querySelector("img");
  const next = fig.nextElementSibling;
  const table = next && (next.matches("table") ? next : next.querySelector("table"));
  const caption = table && table.querySelector(":scope > caption");
  return {
    src: img ? img.getAttribute("src") : null,
    alt: img ? (img.getAttribute("alt") || "").trim() : "",
    loaded: Boolean(img && img.complete && img.naturalWidth > 0),
    caption: caption ? caption.textContent.trim() : "",
  };
})"""
# Resolves once every image in <main> has loaded or failed.
IMAGES_SETTLED_JS = """() => Promise.all([...document.querySelectorAll("main img")].map((img) =>
  img.complete ? null : new Promise((done) => {
    img.addEventListener("load", done); img.addEventListener("error", done);
  })))"""
PAGE_WIDTH_JS = "document.documentElement.scrollWidth"

# (region attribute, councils: (name, type, stage)); stage is submitted, in_progress or
# not_started. Council A (North West, submitted) and Council B (South East, in progress) are
# the personas' councils and come first.
COUNCILS = {
    "north_west": [
        ("Ashworth Metropolitan Borough Council", "metropolitan_borough", "submitted"),
        ("Bramley Borough Council", "non_metropolitan_district", "submitted"),
        ("Calder Vale Council", "unitary", "submitted"),
        ("Dunmere District Council", "non_metropolitan_district", "submitted"),
        ("Eskdale Council", "unitary", "in_progress"),
        ("Fellside District Council", "non_metropolitan_district", "not_started"),
    ],
    "south_east": [
        ("Greywell District Council", "non_metropolitan_district", "submitted"),
        ("Hartsbourne Council", "unitary", "submitted"),
        ("Ivymead Borough Council", "non_metropolitan_district", "submitted"),
        ("Juniper Downs District Council", "non_metropolitan_district", "submitted"),
        ("Kingsmere Council", "unitary", "submitted"),
    ],
    "wales": [
        ("Llanfor County Council", "welsh_principal_area", "submitted"),
        ("Maesglas County Borough Council", "welsh_principal_area", "submitted"),
        ("Nantcoed County Council", "welsh_principal_area", "not_started"),
    ],
}
# The earlier round: North West 5 submitted, South East 5, Wales 1 (withheld in public).
EARLIER_SUBMITTED = {"north_west": 5, "south_east": 5, "wales": 1}
COMMENTS = [
    "Contract register covers most spend; category plans are next.",
    "Social value is scored in every tender over £100k.",
    "We share a procurement team with two neighbouring councils.",
    "",
]


class SectorTestCase(BrowserTestCase):
    """The personas plus the sector described in the module docstring."""

    def setUp(self):
        super().setUp()
        # Cached figures are keyed by round ids, which repeat from test to test.
        cache.clear()
        self.addCleanup(cache.clear)
        self.build_sector()

    def build_sector(self) -> None:
        rng = random.Random(2018)
        self.framework = load_framework_file(NPS_2018).version
        self.codes = list(self.framework.valuecodes.order_by("position"))
        today = timezone.localdate()
        self.round = Round.objects.create(
            name="NPS 2026", framework_version=self.framework,
            opens_on=today - dt.timedelta(days=20), closes_on=today + dt.timedelta(days=20),
            eligibility_date=today - dt.timedelta(days=20), nations=["England", "Wales"],
            status=Round.Status.OPEN,
        )  # fmt: skip
        self.earlier = Round.objects.create(
            name="NPS 2024", framework_version=self.framework,
            opens_on=dt.date(2024, 7, 1), closes_on=dt.date(2024, 10, 31),
            eligibility_date=dt.date(2024, 7, 1), nations=["England", "Wales"],
            status=Round.Status.CLOSED,
        )  # fmt: skip
        self.councils: dict[str, list[tuple[Organisation, str]]] = {
            "north_west": [(self.council_a, "submitted")],
            "south_east": [(self.council_b, "in_progress")],
            "wales": [],
        }
        n = 0
        for region_key, rows in COUNCILS.items():
            region = getattr(self, region_key)
            for name, org_type, stage in rows:
                n += 1
                org = Organisation.objects.create(
                    gss_code=f"{'W' if region_key == 'wales' else 'E'}0{n:07d}", name=name,
                    short_name=name.split()[0], type=org_type, region=region,
                    nation=region.nation,
                )  # fmt: skip
                self.councils[region_key].append((org, stage))
        answers = []
        for region_key, orgs in self.councils.items():
            for i, (org, stage) in enumerate(orgs):
                answers += self._response(self.round, org, stage, rng, consent=i % 2 == 0)
                earlier_stage = "submitted" if i < EARLIER_SUBMITTED[region_key] else "not_started"
                answers += self._response(self.earlier, org, earlier_stage, rng, consent=False)
        Answer.objects.bulk_create(answers)
        Publication.objects.create(round=self.earlier, published_by=self.erin)
        # Leads: Bob (Council A, submitted), Charlie (Council B, in progress) and Eskdale's
        # lead; Fellside (North West, not started) has none, so a reminder skips it.
        self.eskdale = Organisation.objects.get(short_name="Eskdale")
        self.eskdale_lead = make_user("priya", "Priya Shah", Role.LEAD, organisation=self.eskdale)
        cluster = Cluster.objects.create(
            name="Lancashire and Cumbria buyers", region=self.north_west,
            description="Joint category plans for highways and social care.",
            created_by=self.dana,
        )  # fmt: skip
        cluster.organisations.set(
            [self.council_a, *[o for o, _ in self.councils["north_west"][1:3]]]
        )

    def _response(self, rnd, org, stage, rng, *, consent) -> list[Answer]:
        now = timezone.now()
        started = stage != "not_started"
        count = {"submitted": len(self.codes), "in_progress": 20}.get(stage, 0)
        response = Response.objects.create(
            round=rnd, organisation=org,
            status=Response.Status.SUBMITTED if stage == "submitted" else Response.Status.DRAFT,
            consent_regional_sharing=consent, answered_count=count,
            started_at=now - dt.timedelta(days=10) if started else None,
            last_activity_at=now - dt.timedelta(days=rng.randint(1, 9)) if started else None,
            submitted_at=now - dt.timedelta(days=1) if stage == "submitted" else None,
        )  # fmt: skip
        return [
            Answer(response=response, value_code=vc, version=1,
                   current_level=rng.choice([0, 1, 2, 2, 3, 3, 3, 4, 5]),
                   target_level=rng.choice([None, 3, 4, 5]),
                   priority=rng.choice(["high", "medium", "low", "none", ""]),
                   want_support=rng.random() < 0.3, could_share=rng.random() < 0.2,
                   comment=rng.choice(COMMENTS))
            for vc in self.codes[:count]
        ]  # fmt: skip

    # --- Checks -----------------------------------------------------------------------------
    def assert_charts(self, page, count: int, *, inline: bool = False) -> None:
        """Every chart has alternative text and loaded, and a captioned table follows it."""
        page.evaluate(IMAGES_SETTLED_JS)
        charts = page.evaluate(CHARTS_JS)
        self.assertEqual(len(charts), count, charts)
        for c in charts:
            self.assertTrue(c["alt"], f"A chart has no alternative text: {c['src'][:80]}")
            self.assertTrue(c["loaded"], f"The chart '{c['alt']}' did not load")
            self.assertTrue(c["caption"], f"No captioned table follows the chart '{c['alt']}'")
            if inline:
                self.assertTrue(c["src"].startswith("data:image/svg+xml;base64,"), c["src"][:40])
            else:
                self.assertRegex(c["src"], CHART_SRC)
        missing_alt = page.locator("main img:not([alt]), main img[alt='']")
        self.assertEqual(missing_alt.count(), 0, "An image in <main> has no alternative text")

    def assert_fits(self, page, name: str) -> None:
        width = page.evaluate(PAGE_WIDTH_JS)
        self.assertLessEqual(width, MOBILE["width"], f"{name} scrolls sideways on a phone")

    def lede(self, page):
        return page.locator("#panel .lede")


class NationalDashboardTests(SectorTestCase):
    def test_the_dashboard_filtered_by_region_compared_with_an_earlier_round_and_on_a_phone(
        self,
    ):
        page = self.page
        self.sign_in(page, self.erin)
        self.visit(page, "/dashboards/national/")
        expect(self.lede(page)).to_contain_text("12 of 16 eligible councils have submitted")
        self.assert_charts(page, 5)
        chart_map = page.get_by_role("img", name=re.compile(r"^Map of the regions"))
        self.assertGreater(chart_map.evaluate("img => img.naturalWidth"), 0)
        src = chart_map.get_attribute("src")
        served = page.request.get(src)
        self.assertEqual(served.status, 200)
        self.assertEqual(served.headers["content-type"], "image/svg+xml")
        self.assert_accessible(page, "National dashboard")

        # The filters redraw the panel in place (htmx) and keep the address in step.
        page.get_by_role("combobox", name="Region").select_option(label="South East")
        expect(self.lede(page)).to_contain_text("5 of 6 eligible councils have submitted")
        # Screen readers hear a short status, not the whole redrawn panel.
        expect(page.locator("#dashboard-status")).to_have_text(
            "Dashboard updated. NPS 2026: 5 of 6 eligible councils have submitted."
        )
        self.assertEqual(page.locator("main [aria-live]").count(), 0)
        self.assertIn(f"region={self.south_east.pk}", page.url)
        self.assert_charts(page, 5)
        self.assert_accessible(page, "National dashboard for the South East")

        page.get_by_role("combobox", name="Region").select_option(label="All regions")
        expect(self.lede(page)).to_contain_text("12 of 16")
        page.get_by_role("combobox", name="Compare with").select_option(label="NPS 2024")
        change = page.get_by_role("heading", name="Change since NPS 2024")
        expect(change).to_be_visible()
        self.assertEqual(page.locator("#panel table").last.locator("caption").inner_text(),
                         "Median and mean current level by key area, NPS 2024 and NPS 2026")  # fmt: skip
        self.assert_charts(page, 5)
        self.assert_accessible(page, "National dashboard compared with NPS 2024")

        # The pushed address, loaded afresh (without htmx) on a phone: nothing but the
        # tables' own regions scrolls sideways.
        page.set_viewport_size(MOBILE)
        self.visit(page, page.url)
        expect(change).to_be_visible()
        self.assert_charts(page, 5)
        self.assert_fits(page, "The national dashboard")
        self.assert_accessible(page, "National dashboard compared with NPS 2024 on a phone")

    def test_the_drill_down_from_a_key_area_to_a_value_code(self):
        page = self.page
        self.sign_in(page, self.erin)
        self.visit(page, f"/dashboards/key-areas/{self.codes[0].key_area_id}/")
        self.assert_charts(page, 1)
        self.assert_accessible(page, "Key area drill-down")
        page.get_by_role("table", name=re.compile(r"^Current levels by value code")).get_by_role(
            "link"
        ).first.click()
        page.wait_for_url(re.compile(r"/dashboards/value-codes/\d+/"))
        # The national team sees every submitted council behind the value code.
        expect(page.get_by_role("table").locator("caption")).to_have_text("Councils' answers (12)")
        self.assert_accessible(page, "Value code drill-down")


class RegionalPagesTests(SectorTestCase):
    def test_the_regional_dashboard_with_small_cells_not_shown(self):
        page = self.page
        self.sign_in(page, self.dana)
        page.get_by_role("link", name="Regional dashboard").click()
        self.wait_for_path(page, f"/dashboards/regions/{self.north_west.code}/")
        expect(page.get_by_role("heading", level=1)).to_have_text("North West")
        expect(self.lede(page)).to_contain_text("5 of 7 eligible councils have submitted")
        expect(self.lede(page)).to_contain_text("fewer than 5 councils are not shown")
        # Every type of council in the North West has fewer than 5 submissions.
        heat_type = page.get_by_role("table", name=re.compile(r"by type of council and key"))
        expect(heat_type).to_contain_text("Fewer than 5 councils: not shown")
        # Four charts: the region's own councils on the map (not the regions), and no one-row
        # region heat map (issue 15).
        self.assert_charts(page, 4)
        expect(
            page.get_by_role("img", name=re.compile(r"^Map of the region's councils"))
        ).to_be_visible()
        self.assert_accessible(page, "Regional dashboard")

        page.get_by_role("combobox", name="Type").select_option(label="Unitary authority")
        # One unitary submitted: the filtered page shows no count at all (issue 13: it said
        # "1 of 2", a figure from fewer than 5 councils).
        expect(self.lede(page)).to_contain_text("this selection's figures are not shown")
        expect(self.lede(page)).not_to_contain_text("1 of 2")
        areas = page.get_by_role("table", name=re.compile(r"^Current levels by key area"))
        expect(
            areas.get_by_role("cell", name="Fewer than 5 councils: not shown").first
        ).to_be_visible()
        self.assert_charts(page, 4)
        self.assert_accessible(page, "Regional dashboard with every figure withheld")

    def test_the_drill_down_pages_for_a_regional_lead(self):
        page = self.page
        self.sign_in(page, self.dana)
        self.visit(page, f"/dashboards/key-areas/{self.codes[0].key_area_id}/")
        expect(
            page.get_by_role("navigation", name="Breadcrumb").get_by_role("link")
        ).to_have_attribute("href", re.compile(r"^/dashboards/region/"))
        self.assert_charts(page, 1)
        self.assert_accessible(page, "Key area drill-down for a regional lead")
        page.get_by_role("table", name=re.compile(r"^Current levels by value code")).get_by_role(
            "link"
        ).first.click()
        page.wait_for_url(re.compile(r"/dashboards/value-codes/\d+/"))
        # Only the submitted North West councils that agreed to share are named.
        councils = page.get_by_role("table")
        expect(councils.locator("caption")).to_have_text("Councils' answers (3)")
        expect(councils).to_contain_text(self.council_a.name)
        expect(councils).not_to_contain_text("Greywell")
        self.assert_accessible(page, "Value code drill-down for a regional lead")

    def test_the_clusters_and_the_cluster_form(self):
        page = self.page
        self.sign_in(page, self.dana)
        self.visit(page, "/clusters/")
        expect(page.get_by_role("table")).to_contain_text("Lancashire and Cumbria buyers")
        self.assert_accessible(page, "Clusters")
        page.get_by_role("link", name="Form a cluster").click()
        self.wait_for_path(page, "/clusters/new/")
        self.assert_accessible(page, "Form a cluster")
        page.get_by_role("button", name="Save the cluster").click()
        summary = page.locator(".error-summary")
        summary.wait_for()
        self.assert_accessible(page, "Form a cluster with errors")
        # Each error in the summary leads to its field.
        for link in summary.get_by_role("link").all():
            target = link.get_attribute("href")
            self.assertRegex(target, r"^#.+")
            self.assertEqual(page.locator(target).count(), 1, target)
        councils = page.get_by_role("group", name="Councils")
        expect(councils).to_have_accessible_description(re.compile("Choose at least two"))
        expect(councils).to_have_accessible_description(re.compile("Error:"))


class PublicResultsTests(SectorTestCase):
    def test_the_published_results_on_a_computer_and_a_phone_then_none_published(self):
        page = self.page
        self.visit(page, "/results/")
        expect(page.get_by_role("heading", level=1)).to_have_text("National results")
        expect(page.locator("main")).to_contain_text("NPS 2024")
        expect(page.locator("main")).to_contain_text("11 of 16 eligible councils submitted")
        participation = page.get_by_role("table", name="Participation by region")
        expect(participation.get_by_role("row", name=re.compile("^Wales"))).to_contain_text(
            "Fewer than 5 councils: not shown"
        )
        self.assert_charts(page, 1, inline=True)
        for name, kind in [
            ("Download as CSV", "text/csv"),
            ("Download as a spreadsheet (XLSX) with definitions", "spreadsheetml"),
        ]:
            link = page.get_by_role("link", name=name)
            href = link.get_attribute("href")
            self.assertRegex(href, rf"^/results/{self.earlier.pk}/results\.(csv|xlsx)$")
            download = page.request.get(href)
            self.assertEqual(download.status, 200, href)
            self.assertIn(kind, download.headers["content-type"])
        self.assert_accessible(page, "National results")

        page.set_viewport_size(MOBILE)
        self.visit(page, "/results/")
        self.assert_charts(page, 1, inline=True)
        self.assert_fits(page, "The national results")
        self.assert_accessible(page, "National results on a phone")

        Publication.objects.all().delete()
        self.visit(page, "/results/")
        expect(page.locator("main")).to_contain_text("No results have been published yet")
        self.assertEqual(page.get_by_role("link", name="Download as CSV").count(), 0)
        self.assert_accessible(page, "National results with none published")


class RoundPagesTests(SectorTestCase):
    def test_following_a_round_and_reminding_the_councils_that_have_not_submitted(self):
        page = self.page
        self.sign_in(page, self.erin)
        page.get_by_role("link", name="Rounds").click()
        self.wait_for_path(page, "/rounds/")
        rounds = page.get_by_role("table", name="Rounds")
        expect(rounds.get_by_role("row", name=re.compile("^NPS 2024"))).to_contain_text("Published")
        self.assert_accessible(page, "Rounds")

        rounds.get_by_role("link", name="NPS 2026", exact=True).click()
        self.wait_for_path(page, f"/rounds/{self.round.pk}/")
        tracking = page.locator("#tracking")
        expect(tracking).to_contain_text("16 organisations match")
        self.assert_accessible(page, "Round page")

        page.get_by_role("combobox", name="Region").select_option(label="North West")
        expect(tracking).to_contain_text("7 organisations match")
        page.get_by_role("combobox", name="Stage").select_option(label="Not started or in progress")
        expect(tracking).to_contain_text("2 organisations match")
        expect(page.locator("#tracking-status")).to_have_text(
            "2 organisations match these filters."
        )
        expect(tracking.get_by_role("row", name=re.compile("^Fellside"))).to_contain_text("No lead")
        self.assert_accessible(page, "Round page filtered")

        page.get_by_role("link", name="Send a reminder").click()
        self.wait_for_path(page, f"/rounds/{self.round.pk}/reminders/new/")
        expect(page.get_by_role("heading", name="1 council has no lead")).to_be_visible()
        expect(
            page.get_by_role("heading", name=f"As Priya Shah at {self.eskdale.name} will see it")
        ).to_be_visible()
        self.assert_accessible(page, "Reminder preview")

        page.get_by_role("button", name="Send 1 email").click()
        self.wait_for_path(page, f"/rounds/{self.round.pk}/")
        expect(page.locator(".notices").get_by_role("status")).to_contain_text(
            "Reminder sent to 1 lead at 1 council."
        )
        self.assertEqual([m.to for m in mail.outbox], [[self.eskdale_lead.email]])
        # Back on the round page with the same filters.
        expect(tracking).to_contain_text("2 organisations match")
        self.assert_accessible(page, "Round page after sending a reminder")

        page.get_by_role("link", name="1 reminder sent").click()
        self.wait_for_path(page, f"/rounds/{self.round.pk}/reminders/")
        self.assert_accessible(page, "Reminders sent")
        page.get_by_role("table").get_by_role("link").first.click()
        page.wait_for_url(re.compile(rf"/rounds/{self.round.pk}/reminders/\d+/$"))
        expect(page.get_by_role("table")).to_contain_text(self.eskdale_lead.email)
        self.assert_accessible(page, "Reminder")

    def test_withdrawing_and_publishing_results_through_the_confirmation_page(self):
        """Issue 13: publishing is a confirmation page, for closed rounds only."""
        page = self.page
        self.sign_in(page, self.erin)
        self.visit(page, "/rounds/")
        rounds = page.get_by_role("table", name="Rounds")
        expect(rounds.get_by_role("row", name=re.compile("^NPS 2026"))).to_contain_text(
            "results can be published once the round is closed"
        )
        rounds.get_by_role("link", name="Withdraw the results of NPS 2024").click()
        self.wait_for_path(page, f"/rounds/{self.earlier.pk}/publish/")
        self.assert_accessible(page, "Withdraw the results")
        page.get_by_role("button", name="Withdraw the results").click()
        self.wait_for_path(page, "/rounds/")
        page.get_by_role("link", name="Publish national results of NPS 2024").click()
        self.wait_for_path(page, f"/rounds/{self.earlier.pk}/publish/")
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "Publish the national results of NPS 2024"
        )
        self.assert_accessible(page, "Publish the results")
        page.get_by_role("button", name="Publish the results").click()
        self.wait_for_path(page, "/rounds/")
        expect(page.locator(".notices").get_by_role("status")).to_contain_text("are now public")
        self.visit(page, f"/rounds/{self.round.pk}/publish/")
        expect(page.get_by_role("heading", level=1)).to_contain_text("cannot be published yet")
        self.assertEqual(page.get_by_role("button", name="Publish the results").count(), 0)
        self.assert_accessible(page, "An open round's results cannot be published")

    def test_the_round_page_and_the_rounds_list_for_a_national_analyst(self):
        page = self.page
        self.sign_in(page, self.nina)
        self.visit(page, f"/rounds/{self.round.pk}/?stage=submitted&nation=Wales")
        expect(page.locator("#tracking")).to_contain_text("2 organisations match")
        self.assertEqual(page.get_by_role("heading", name="Change the dates").count(), 0)
        self.assertEqual(page.get_by_role("link", name="Send a reminder").count(), 0)
        self.assert_accessible(page, "Round page for a national analyst")

        # The rounds list, read-only, on a phone: its table scrolls in its own region.
        page.set_viewport_size(MOBILE)
        self.visit(page, "/rounds/")
        self.assertEqual(page.get_by_role("button", name=re.compile("Publish|Withdraw")).count(), 0)
        self.assert_fits(page, "The rounds list")
        self.assert_accessible(page, "Rounds on a phone")


class CouncilResultsPageTests(SectorTestCase):
    def test_a_councils_results_page_on_a_computer_and_a_phone(self):
        page = self.page
        self.sign_in(page, self.bob)
        response = Response.objects.get(round=self.round, organisation=self.council_a)
        self.visit(page, f"/responses/{response.pk}/results/")
        self.assertEqual(page.locator("h1").inner_text(), "Your results: NPS 2026")
        self.assert_charts(page, 3)
        self.assertGreater(page.get_by_text("Too few to compare").count(), 0)
        self.assert_accessible(page, "council results")
        page.set_viewport_size(MOBILE)
        self.visit(page, f"/responses/{response.pk}/results/")
        self.assert_accessible(page, "council results on a phone")
        self.assert_fits(page, "council results")
