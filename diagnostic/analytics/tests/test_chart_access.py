"""A chart's URL works only for the person whose page it was put on: a signed-in person with
no role, or anyone else, cannot fetch it, even with the figures' hash (v5.0.0-8.2.2 data-level
access, v5.0.0-8.2.1)."""

import hashlib
import json
import re

from django.urls import reverse

from diagnostic.analytics import charts
from diagnostic.analytics.tests.test_figures import GeneratedRoundTestCase

SRC = re.compile(r'src="(/charts/[^"]+\.svg)"')


class ChartAccessTests(GeneratedRoundTestCase):
    def chart_urls(self, user, url):
        self.client.force_login(user)
        r = self.client.get(url)
        self.assertEqual(r.status_code, 200)
        found = SRC.findall(r.content.decode())
        self.assertTrue(found)
        return found

    def test_the_viewer_gets_their_charts_and_nobody_else_does(self):
        urls = self.chart_urls(self.nina, reverse("analytics:national"))
        for u in urls:
            r = self.client.get(u)
            self.assertEqual(r.status_code, 200)
            self.assertEqual(r["Content-Type"], "image/svg+xml")
            self.assertIn(b"<svg", r.content)
        for other in [self.zoe, self.bob, self.dana, self.erin]:
            self.client.force_login(other)
            for u in urls:
                with self.subTest(user=other.email, url=u):
                    self.assertEqual(self.client.get(u).status_code, 404)
        self.client.logout()
        self.assertEqual(self.client.get(urls[0]).status_code, 302)  # to sign in

    def test_the_bare_hash_of_the_figures_is_not_enough(self):
        urls = self.chart_urls(self.nina, reverse("analytics:national"))
        digest = urls[0].removeprefix("/charts/").split("-")[0]
        self.client.force_login(self.zoe)
        for key in [digest, f"{digest}-", f"{digest}-{'0' * 32}", f"{digest}-{urls[0][-36:-4]}x"]:
            with self.subTest(key):
                self.assertEqual(
                    self.client.get(reverse("analytics:chart", args=[key])).status_code, 404
                )

    def test_a_regional_lead_cannot_fetch_the_national_charts_by_rebuilding_a_spec(self):
        """Even the spec itself (say, read off a shared screen) gives no URL for another person."""
        spec = {"mark": "bar", "data": {"values": [{"a": 1}]}}
        charts.render_svg(spec)
        digest = hashlib.sha256(json.dumps(spec, sort_keys=True, default=str).encode()).hexdigest()
        self.client.force_login(self.dana)
        self.assertEqual(self.client.get(f"/charts/{digest}.svg").status_code, 404)
        token = charts.chart_viewer.set(self.dana.pk)
        try:
            own = charts.url_for(spec)
        finally:
            charts.chart_viewer.reset(token)
        self.assertEqual(self.client.get(own).status_code, 200)
