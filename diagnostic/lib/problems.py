"""A shared shape for "this file is wrong, and here is everything wrong with it".

Loaders and uploads validate a whole file before storing anything; they collect every
problem they find and raise `InvalidFile` once, so a person can fix the file in one go.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    where: str  # "row 12, column region_code" or "themes[0].key_areas[1].code"
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


class InvalidFile(Exception):
    """The file was rejected whole; nothing from it was stored."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems = list(problems)
        super().__init__(f"{len(self.problems)} problem(s) found; nothing was stored.")

    def report(self) -> str:
        return "\n".join(f"- {p}" for p in self.problems)


def read_csv_text(text: str, *, required: Iterable[str]) -> list[dict[str, str]]:
    """Parse CSV text with a header row; raise InvalidFile if required columns are missing.

    A UTF-8 byte-order mark (Excel adds one) is ignored and cells are stripped.
    """
    text = text.removeprefix("\ufeff")
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in required if c not in header]
    if missing:
        raise InvalidFile([Problem("header", f"missing column(s): {', '.join(missing)}")])
    rows = []
    for raw in reader:
        rows.append({(k or "").strip(): (v or "").strip() for k, v in raw.items() if k})
    return rows
