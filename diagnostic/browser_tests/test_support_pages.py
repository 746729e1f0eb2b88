"""Support targeting's pages pass axe-core (WCAG 2.2 AA) with real figures: the ranking, the
offer form and an offer, the adviser register, an invitation and "whether it helped".

The round is support/testing.py's hand-made one (North West: 6 councils, EC's unmet demand 2).
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from diagnostic.accounts.models import Role
from diagnostic.assessments.models import Response
from diagnostic.assessments.testing import create_open_round
from diagnostic.browser_tests.base import BrowserTestCase
from diagnostic.frameworks.loaders import NPS_2018, load_framework_file
from diagnostic.organisations.models import Organisation
from diagnostic.support import services
from diagnostic.support.models import Adviser, Invitation
from diagnostic.support.testing import OVERRIDES, submit_answers
from diagnostic.testing import make_user

pytestmark = pytest.mark.browser

IMAGES_SETTLED_JS = """() => Promise.all([...document.querySelectorAll("main img")].map((img) =>
  img.complete ? null : new Promise((done) => {
    img.addEventListener("load", done); img.addEventListener("error", done);
  })))"""


class SupportPagesTests(BrowserTestCase):
    def setUp(self):
        super().setUp()
        self.framework = load_framework_file(NPS_2018).version
        codes = list(self.framework.valuecodes.order_by("position"))
        self.round, (ra, rb) = create_open_round(self.framework, [self.council_a, self.council_b])
        responses = {"A": ra, "B": rb}
        self.councils = {"A": self.council_a, "B": self.council_b}
        for i, key in enumerate(["N1", "N2", "N3", "N4", "N5"]):
            org = Organisation.objects.create(
                gss_code=f"E0700{i:04d}", name=f"{key} District Council", short_name=key,
                type="non_metropolitan_district", region=self.north_west, nation="England",
            )  # fmt: skip
            self.councils[key] = org
            responses[key] = Response.objects.create(
                round=self.round, organisation=org, consent_regional_sharing=True
            )
        # Every North West council consents to regional sharing, so Dana sees them named.
        Response.objects.filter(pk=ra.pk).update(consent_regional_sharing=True)
        for key, response in responses.items():
            submit_answers(response, codes, OVERRIDES.get(key, {}))
        self.ec = self.framework.keyareas.get(code="EC")
        self.ada = Adviser.objects.create(name="Ada Lowe", kind="lga", days_per_quarter=6)
        self.ada.regions.set([self.north_west])
        self.ada.key_areas.set([self.ec])
        self.lead_n1 = make_user("lead-n1", "Nell One", Role.LEAD, organisation=self.councils["N1"])

    def settle(self, page):
        page.evaluate(IMAGES_SETTLED_JS)

    def test_the_ranking_its_drill_down_and_planning_an_offer_from_it(self):
        page = self.page
        self.sign_in(page, self.dana)
        self.visit(page, "/support/")
        ranking = page.get_by_role("table", name="Where to focus, ranked by unmet demand")
        first = ranking.locator("tbody tr").first
        # EC in the North West: 3 need support, 1 peer, Ada's 6 days: unmet 0; the other
        # key areas have none, so EC still ranks first on its weighted gap.
        expect(first.locator("th")).to_have_text(re.compile("Engaging councillors"))
        expect(first.locator("td").nth(1)).to_have_text("6")
        self.settle(page)
        for name in ("Grid of unmet demand", "Map of the regions"):
            img = page.get_by_role("img", name=re.compile(name))
            self.assertGreater(img.evaluate("img => img.naturalWidth"), 0, name)
        self.assert_accessible(page, "Where to focus")

        first.get_by_role("link", name=re.compile("^Councils")).click()
        page.wait_for_url(re.compile(r"/support/items/\d+/"))
        expect(page.get_by_role("table").locator("caption")).to_have_text(
            "Councils needing support or able to share (4)"
        )
        self.assert_accessible(page, "Councils behind a figure")

        page.get_by_role("link", name=re.compile("^Plan support on")).click()
        page.wait_for_url(re.compile(r"/support/items/\d+/offer/"))
        self.assert_accessible(page, "Planning an offer")
        # Submitting with errors shows them accessibly.
        page.get_by_role("button", name="Plan the offer").click()
        expect(page.locator(".error-summary")).to_be_visible()
        self.assert_accessible(page, "Planning an offer, with errors")
        soon = (timezone.localdate() + dt.timedelta(days=7)).isoformat()
        page.get_by_label("Starts on").fill(soon)
        page.get_by_label("Ends on").fill(soon)
        page.locator("#id_adviser").select_option(label="Ada Lowe")
        page.get_by_label("Adviser days it books").fill("2")
        page.get_by_role("button", name="Plan the offer").click()
        page.wait_for_url(re.compile(r"/support/offers/\d+/$"))
        expect(page.get_by_role("table").locator("caption")).to_have_text("Councils chosen (3)")
        page.get_by_role("button", name="Send invitations").click()
        expect(page.get_by_role("status")).to_contain_text(
            "Invited 2 councils (2 emails to their leads)"
        )
        self.assert_accessible(page, "An offer with invitations sent")

    def test_the_adviser_register_an_invitation_and_whether_it_helped(self):
        offer = services.do_create_offer(
            by=self.erin, round=self.round, region=self.north_west, kind="workshop",
            title="Working with councillors", starts_on=timezone.localdate() + dt.timedelta(days=7),
            ends_on=timezone.localdate() + dt.timedelta(days=7), capacity=3, key_area=self.ec,
            organisations=[self.councils["N1"], self.councils["N2"]], adviser=self.ada,
            adviser_days=2,
        )  # fmt: skip
        services.do_send_invitations(by=self.erin, offer=offer)
        page = self.page
        self.sign_in(page, self.dana)
        self.visit(page, "/support/advisers/")
        row = page.get_by_role("table", name=re.compile("Adviser register")).locator("tbody tr")
        expect(row).to_have_count(1)
        expect(row.locator("td").nth(4)).to_have_text("4")  # 6 − 2 booked this quarter
        self.assert_accessible(page, "Adviser register")
        self.visit(page, "/support/advisers/new/")
        self.assert_accessible(page, "Adding an adviser")
        Invitation.objects.filter(offer=offer).update(attended=True)
        self.visit(page, "/support/effect/")
        expect(page.get_by_text("No later round yet (2 councils attended).")).to_be_visible()
        self.assert_accessible(page, "Whether it helped")

        self.sign_out_everywhere()
        invitation = Invitation.objects.get(organisation=self.councils["N1"])
        self.sign_in(page, self.lead_n1)
        self.visit(page, f"/support/invitations/{invitation.pk}/")
        self.assert_accessible(page, "An invitation to support")
        page.get_by_role("button", name="Accept").click()
        expect(page.get_by_role("status")).to_contain_text("your reply is recorded")
        invitation.refresh_from_db()
        self.assertEqual(invitation.status, "accepted")
        page.get_by_role("link", name="Support offered").first.click()
        self.wait_for_path(page, "/support/invitations/")
        expect(page.get_by_role("table").locator("tbody tr")).to_have_count(1)
        self.assert_accessible(page, "Support offered to a council")
