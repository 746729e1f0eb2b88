"""Which regions border each other (land borders), by ONS region code.

Geography, not framework: used only for the "neighbouring regions" part of practical fit
(docs/metrics.md). Northern Ireland borders none of them.
"""

from __future__ import annotations

_BORDERS = {
    "E12000001": {"E12000002", "E12000003", "S92000003"},  # North East
    "E12000002": {"E12000001", "E12000003", "E12000004", "E12000005", "W92000004", "S92000003"},
    "E12000003": {"E12000001", "E12000002", "E12000004"},  # Yorkshire and The Humber
    "E12000004": {"E12000002", "E12000003", "E12000005", "E12000006", "E12000008"},
    "E12000005": {"E12000002", "E12000004", "E12000008", "E12000009", "W92000004"},
    "E12000006": {"E12000004", "E12000007", "E12000008"},  # East of England
    "E12000007": {"E12000006", "E12000008"},  # London
    "E12000008": {"E12000004", "E12000005", "E12000006", "E12000007", "E12000009"},
    "E12000009": {"E12000005", "E12000008", "W92000004"},  # South West
    "W92000004": {"E12000002", "E12000005", "E12000009"},  # Wales
}


def neighbouring_codes() -> set[tuple[str, str]]:
    """Every bordering pair of region codes, both ways round."""
    pairs = set()
    for a, others in _BORDERS.items():
        for b in others:
            pairs.update({(a, b), (b, a)})
    return pairs


def neighbouring_ids(regions) -> frozenset[tuple[int, int]]:
    """The same pairs as region ids, for the regions given (objects with `pk` and `code`)."""
    by_code = {r.code: r.pk for r in regions}
    return frozenset(
        (by_code[a], by_code[b]) for a, b in neighbouring_codes() if a in by_code and b in by_code
    )
