"""No page scrolls sideways on a phone (390 px), as any persona; a wide table scrolls inside a
named, focusable region instead, with a visible cue that there is more.

The pages are every route of `lib/tests/every_page.py` (the URL patterns walked), with Council A
part-answered and a colleague's views in.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from diagnostic.assessments.testing import create_open_round
from diagnostic.browser_tests.base import BrowserTestCase
from diagnostic.consolidation.testing import make_assignment, make_view
from diagnostic.frameworks.loaders import NPS_2018, load_framework_file
from diagnostic.lib.tests.every_page import PERSONAS, page_urls
from diagnostic.plans.testing import give_answers

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
# Elements that stick out past the right edge of the page and are not inside something that
# scrolls or clips them; and wide tables not inside a named, focusable scrolling region; and captions cut by their table's region.
OVERFLOW_JS = """() => {
  const width = document.documentElement.clientWidth, out = [];
  const clipped = (el) => {
    for (let p = el.parentElement; p; p = p.parentElement) {
      const o = getComputedStyle(p).overflowX;
      if (o === "auto" || o === "scroll" || o === "hidden") return p;
    }
    return null;
  };
  for (const el of document.querySelectorAll("body *")) {
    const r = el.getBoundingClientRect();
    if (r.width > 0 && r.right > width + 1 && !clipped(el)) {
      out.push(`${el.tagName.toLowerCase()}.${el.className}#${el.id} is ${Math.round(r.width)}px wide`);
    }
  }
  for (const table of document.querySelectorAll("main table")) {
    const wrap = clipped(table);
    if (wrap && wrap.scrollWidth > wrap.clientWidth + 1) {
      const named = wrap.getAttribute("aria-label") || wrap.getAttribute("aria-labelledby");
      if (wrap.getAttribute("role") !== "region" || !named || wrap.tabIndex < 0) {
        out.push(`a table scrolls in ${wrap.tagName.toLowerCase()}.${wrap.className}, not a named focusable region`);
      }
    }
  }
  // A wide table's caption is read before its columns are scrolled: its text must fit the
  // visible width of the region, not run off with the columns (the support ranking's did).
  for (const caption of document.querySelectorAll("main .table-wrap caption:not(.visually-hidden)")) {
    const wrap = caption.closest(".table-wrap"), range = document.createRange();
    range.selectNodeContents(caption);
    const text = range.getBoundingClientRect(), box = wrap.getBoundingClientRect();
    if (text.width > 0 && text.right > box.right + 1) {
      out.push(`the caption "${caption.innerText.slice(0, 40)}" is cut at ${Math.round(box.right)}px`);
    }
  }
  return out.slice(0, 5);
}"""


class PhoneWidthTests(BrowserTestCase):
    viewport = PHONE

    def setUp(self):
        super().setUp()
        self.framework = load_framework_file(NPS_2018).version
        self.round, (self.response_a, self.response_b) = create_open_round(
            self.framework, [self.council_a, self.council_b]
        )
        codes = list(self.framework.valuecodes.order_by("position"))
        give_answers(
            self.response_a,
            {
                vc.code: (3, 4, "high", "A long comment about the contract register " * 3,
                          True, None)
                for vc in codes[:20]
            },
            codes,
        )  # fmt: skip
        self.assignment_a = make_assignment(
            self.response_a, self.alice, department="Adult Social Care and Health Partnerships",
            job_role="Senior commissioning and contracts manager", by=self.bob,
        )  # fmt: skip
        for vc in codes[:10]:
            make_view(self.assignment_a, vc.code, 2, comment="We think it is lower than that.")

    def sign_in_as(self, user) -> None:
        self.context.clear_cookies()
        if user is None:
            return
        client = Client()
        client.force_login(user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        self.context.add_cookies(
            [{"name": cookie.key, "value": cookie.value, "url": self.live_server_url}]
        )

    def test_no_page_scrolls_sideways_on_a_phone(self):
        page = self.page
        problems, looked_at = [], 0
        for key in PERSONAS:
            self.sign_in_as(getattr(self, key) if key else None)
            for name, path in page_urls(self):
                response = page.goto(path)
                if not response.headers.get("content-type", "").startswith("text/html"):
                    continue
                looked_at += 1
                scroll_width = page.evaluate("document.documentElement.scrollWidth")
                found = page.evaluate(OVERFLOW_JS)
                if scroll_width > PHONE["width"] or found:
                    problems.append(f"{key} {path} ({name}): {scroll_width}px; " + "; ".join(found))
        self.assertGreater(looked_at, 100)
        self.assertEqual(problems, [], "\n" + "\n".join(problems))
