"""No link leads to a page its reader may not open (issue 15's screenshot review): on the demo's
data, a regional lead's pages linked councils outside her region (the register), advisers she may
not edit, and a council's action plan, each answering 404. Every internal link on the pages a
person reaches is followed once per URL pattern and must not answer 403 or 404."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

from django.test import TestCase

from diagnostic.accounts.models import User
from diagnostic.assessments.models import Response, Round
from diagnostic.demo.seed import PEOPLE, STEPS, DemoContext
from diagnostic.twofactor.testing import VerifyingClient

DOWNLOADS = re.compile(r"\.(pdf|xlsx|csv|json|atom)$|/feed/")


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        href = dict(attrs).get("href") if tag == "a" else None
        if href and href.startswith("/") and not href.startswith("//"):
            self.hrefs.append(href)


def links_on(html: str) -> list[str]:
    parser = _Links()
    parser.feed(html)
    return parser.hrefs


class LinksLeadSomewhereTests(TestCase):
    client_class = VerifyingClient  # staff sign in with their second factor

    @classmethod
    def setUpTestData(cls):
        cls.ctx = DemoContext(log=lambda line: None)
        for step in STEPS:
            step(cls.ctx)
        cls.current = Round.objects.get(status=Round.Status.OPEN)

    def person(self, key: str) -> User:
        return User.objects.get(email=next(p.email for p in PEOPLE if p.key == key))

    def broken_links(self, user: User, start: list[str]) -> list[str]:
        self.client.force_login(user)
        seen, broken = set(), []
        for page in start:
            r = self.client.get(page)
            self.assertEqual(r.status_code, 200, page)
            for href in links_on(r.content.decode()):
                path = urlsplit(href).path
                pattern = re.sub(r"\d+", "N", path)
                if pattern in seen or DOWNLOADS.search(path) or path == "/sign-out/":
                    continue
                seen.add(pattern)
                status = self.client.get(href).status_code
                if status in (403, 404):
                    broken.append(f"{page} links {href}: {status}")
        self.assertGreater(len(seen), 15)  # the walk found links to follow
        return broken

    def test_a_regional_leads_links_open(self):
        north_west = (
            Response.objects.filter(
                round=self.current,
                organisation__region__name="North West",
                consent_regional_sharing=True,
            )
            .exclude(answered_count=0)
            .first()
        )
        start = ["/organisations/", "/support/advisers/", f"/responses/{north_west.pk}/"]
        self.assertEqual(self.broken_links(self.person("dana"), start), [])

    def test_a_contributors_links_open(self):
        wigan = Response.objects.get(round=self.current, organisation__gss_code="E08000010")
        start = [f"/responses/{wigan.pk}/my-views/", "/good-practice/", "/account/"]
        self.assertEqual(self.broken_links(self.person("alice"), start), [])
