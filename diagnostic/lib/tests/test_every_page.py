"""Every page, as every persona, shows no template syntax as text (a multi-line `{# #}`
comment is not a comment in Django: it reaches the page as text)."""

from __future__ import annotations

import re

from django.test import SimpleTestCase

from diagnostic.consolidation.testing import ConsolidationTestCase, make_view
from diagnostic.lib.tests.every_page import PERSONAS, page_urls, unlisted_routes

TEMPLATE_SYNTAX = re.compile(r"\{[#%]|[#%]\}")


class EveryPageTests(ConsolidationTestCase):
    def setUp(self):
        super().setUp()
        make_view(self.assignment_a, "EC1", 2)

    def test_every_route_is_listed(self):
        self.assertEqual(unlisted_routes(), set(), "add these routes to lib/tests/every_page.py")

    def test_no_page_shows_template_syntax(self):
        checked = 0
        for key in PERSONAS:
            if key is None:
                self.client.logout()
            else:
                self.client.force_login(getattr(self, key))
            for name, path in page_urls(self):
                with self.subTest(persona=key, route=name):
                    r = self.client.get(path, follow=True)
                    self.assertNotEqual(r.status_code, 405, "POST only: list it in NOT_A_PAGE")
                    if not r["Content-Type"].startswith("text/html"):
                        continue
                    text = r.content.decode()
                    found = TEMPLATE_SYNTAX.search(text)
                    context = text[max(0, found.start() - 80) : found.end() + 80] if found else ""
                    self.assertIsNone(found, f"{path} shows template syntax: …{context}…")
                    checked += 1
        # The walk really looked at pages: every persona at least the public ones.
        self.assertGreater(checked, 8 * 20)


class TemplateCommentTests(SimpleTestCase):
    def test_no_template_has_a_comment_spanning_lines(self):
        from pathlib import Path

        root = Path(__file__).resolve().parents[2]
        multi_line = re.compile(r"\{#(?:(?!#\}).)*\n", re.S)
        offenders = [
            f"{path.relative_to(root)}:{text[: m.start()].count(chr(10)) + 1}"
            for path in root.rglob("templates/**/*.*")
            for text in [path.read_text(encoding="utf-8")]
            for m in multi_line.finditer(text)
        ]
        self.assertEqual(offenders, [], "use {% comment %} for comments over several lines")
