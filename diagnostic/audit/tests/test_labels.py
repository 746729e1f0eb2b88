"""The audit trail says what happened in words, not internal codes: the page, its filter and
its CSV (which keeps the code in its own column), so a reader can tell what each event was
(v5.0.0-16.2.1 each entry says when, where, who and what; v5.0.0-16.2.4 logs can be read
and correlated by whoever processes them)."""

from __future__ import annotations

import csv
import io
import pathlib
import re

from django.urls import reverse

from diagnostic.audit.labels import LABELS, label_for
from diagnostic.audit.services import record
from diagnostic.audit.tests.test_trail import TRAIL, TrailTestCase

# Actions whose code is put together at run time: every value it can take.
MADE_UP = {
    "case_study.{action}": ["case_study." + a for a in ("created", "submitted", "in_review",
                                                        "published", "returned", "withdrawn")],
    "round.{...}": ["round.opened", "round.closed"],
    "sign_off.{fresh.decision}": ["sign_off.approved", "sign_off.declined"],
    "support.invitation_": ["support.invitation_accepted", "support.invitation_declined"],
}  # fmt: skip


def recorded_in_the_code() -> set[str]:
    """Every action string passed to `record(`, `audit.event(` (or the plans' `_audit(`) outside the
    tests."""
    root = pathlib.Path(__file__).resolve().parents[2]
    found = set()
    for path in root.rglob("*.py"):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        for code in re.findall(r'(?:record|_audit|audit\.event)\(\s*f?"([^"]+)"', path.read_text()):
            found.add(code)
    for pattern, codes in MADE_UP.items():
        made = {
            c
            for c in found
            if c.startswith(pattern.split("{")[0]) and ("{" in c or c.endswith("_"))
        }
        found -= made
        found |= set(codes) if made else set()
    return found


class LabelTests(TrailTestCase):
    def test_every_action_the_code_records_has_a_label(self):
        codes = recorded_in_the_code()
        self.assertIn("answer.saved", codes)
        self.assertGreater(len(codes), 70)
        self.assertEqual(sorted(codes - set(LABELS)), [])
        # Each label is words: a capital, no dots or underscores, and no two the same.
        for code, label in LABELS.items():
            with self.subTest(code):
                self.assertRegex(label, r"^[A-Z][^._]*$")
        self.assertEqual(len(set(LABELS.values())), len(LABELS))

    def test_an_unknown_code_is_made_readable(self):
        self.assertEqual(label_for("old_thing.was_done"), "Old thing was done")

    def test_the_trail_page_shows_words_not_codes(self):
        self.client.force_login(self.nina)
        r = self.client.get(TRAIL, {"action": "answer.saved"})
        self.assertContains(r, "<td>Answer saved</td>", count=3, html=False)
        self.assertNotContains(r, "<code>answer.saved</code>")
        # The filter names actions by their label too, and the search finds them by it.
        self.assertContains(r, '<option value="answer.saved" selected>Answer saved</option>')
        r = self.client.get(TRAIL, {"q": "answer saved"})
        self.assertEqual({e.action for e, _ in r.context["rows"]}, {"answer.saved"})

    def test_a_leads_history_shows_words(self):
        self.client.force_login(self.bob)
        r = self.client.get(reverse("audit:response_trail", args=[self.response_a.pk]))
        self.assertContains(r, "<td>Answer saved</td>", count=2, html=False)
        self.assertNotContains(r, "answer.saved")

    def test_the_csv_has_the_words_and_keeps_the_code(self):
        record("second_factor.reset", actor=self.erin, organisation=self.council_a)
        self.client.force_login(self.nina)
        r = self.client.get(reverse("audit:trail_csv"), {"organisation": self.council_a.pk})
        rows = list(csv.DictReader(io.StringIO(b"".join(r.streaming_content).decode("utf-8-sig"))))
        self.assertEqual(list(rows[0])[3:5], ["what", "action"])
        pairs = {(row["what"], row["action"]) for row in rows}
        self.assertEqual(pairs, {("Answer saved", "answer.saved"),
                                 ("Second factor reset by a national admin", "second_factor.reset")})  # fmt: skip
