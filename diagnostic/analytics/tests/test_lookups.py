"""Issue 13: the analytics views reach rounds, key areas and value codes through
accounts/access.py, like every other app (404 for missing and not-yours alike)."""

from __future__ import annotations

import re
from pathlib import Path

from django.test import SimpleTestCase
from django.urls import reverse

from diagnostic.assessments.testing import AssessmentTestCase
from diagnostic.frameworks.loaders import load_framework_file

VIEWS = Path(__file__).resolve().parents[1]
FOUR = VIEWS.parent / "frameworks" / "tests" / "data" / "four-levels.yaml"


class NoDirectLookupsTests(SimpleTestCase):
    def test_the_views_do_not_query_rounds_key_areas_or_value_codes_themselves(self):
        pattern = re.compile(r"\b(Round|KeyArea|ValueCode|Publication)\.objects\b")
        found = []
        for name in ("views.py", "council_views.py"):
            for n, line in enumerate((VIEWS / name).read_text().splitlines(), 1):
                if pattern.search(line):
                    found.append(f"{name}:{n}: {line.strip()}")
        self.assertEqual(found, [])


class LookupTests(AssessmentTestCase):
    def test_another_versions_key_area_or_value_code_is_404(self):
        other = load_framework_file(FOUR).version
        self.client.force_login(self.nina)
        for name, pk in [
            ("analytics:key_area", other.keyareas.first().pk),
            ("analytics:value_code", other.valuecodes.first().pk),
            ("analytics:key_area", 999999),
        ]:
            with self.subTest(name=name, pk=pk):
                r = self.client.get(reverse(name, args=[pk]), {"round": self.round.pk})
                self.assertEqual(r.status_code, 404)
        ok = reverse("analytics:key_area", args=[self.framework.keyareas.first().pk])
        self.assertEqual(self.client.get(ok, {"round": self.round.pk}).status_code, 200)

    def test_rounds_are_looked_up_for_the_person(self):
        self.client.force_login(self.bob)  # a council lead: no dashboards
        self.assertEqual(self.client.get(reverse("analytics:national")).status_code, 403)
        self.assertEqual(
            self.client.get(reverse("analytics:export_csv", args=[self.round.pk])).status_code,
            403,
        )
        self.client.force_login(self.nina)
        self.assertEqual(
            self.client.get(reverse("analytics:export_csv", args=[999999])).status_code, 404
        )
        self.client.logout()  # not published: 404 like a round that does not exist
        for pk in (self.round.pk, 999999):
            r = self.client.get(reverse("analytics:public_round", args=[pk]))
            self.assertEqual(r.status_code, 404)
