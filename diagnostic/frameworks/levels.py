"""A framework version's maturity levels as one small value: the numbers, names and colours.

Nothing about levels is hard-wired anywhere else: the number of levels, their numbers and names
come from the framework version (docs/framework-format.md: levels are numbered 1, 2, 3, …
without gaps; 0 is kept for "not yet assessed"). Forms, services, figures, charts, templates
and spreadsheets all take the scale from here.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field

NOT_ASSESSED = 0


@dataclass(frozen=True)
class LevelScale:
    numbers: tuple[int, ...]
    names: dict[int, str] = field(default_factory=dict, compare=False)
    colours: dict[int, str] = field(default_factory=dict, compare=False)

    def __post_init__(self):
        if not self.numbers or list(self.numbers) != sorted(set(self.numbers)):
            raise ValueError("A level scale needs at least one level, in ascending order.")

    @classmethod
    def of(cls, levels: Iterable) -> LevelScale:
        """From Level rows (or anything with number, name and colour)."""
        ordered = sorted(levels, key=lambda lv: lv.number)
        return cls(
            numbers=tuple(lv.number for lv in ordered),
            names={lv.number: lv.name for lv in ordered},
            colours={lv.number: lv.colour for lv in ordered},
        )

    def __contains__(self, number) -> bool:
        return number in self.numbers

    def __iter__(self):
        return iter(self.numbers)

    def __len__(self) -> int:
        return len(self.numbers)

    @property
    def lowest(self) -> int:
        return self.numbers[0]

    @property
    def highest(self) -> int:
        return self.numbers[-1]

    def position(self, number: int | None) -> int | None:
        """0 for the lowest level, 1 for the next …; None for "not assessed" or unknown."""
        try:
            return self.numbers.index(number)
        except ValueError:
            return None

    @property
    def strong_position(self) -> int:
        """The position of the second-highest level ("Leader" in NPS 2018; the only level if
        there is one): where a council counts as strong (the broker, support targeting)."""
        return max(0, len(self.numbers) - 2)

    def name(self, number: int) -> str:
        """The level's name ("Leader"), or its number when it has none."""
        return self.names.get(number, str(number))

    def label(self, number: int) -> str:
        """'3 Mature'."""
        return f"{number} {self.names.get(number, '')}".strip()

    @property
    def labels(self) -> list[str]:
        return [self.label(n) for n in self.numbers]

    @property
    def span(self) -> str:
        """'1 to 5' (for messages)."""
        return f"{self.lowest} to {self.highest}"

    @property
    def span_named(self) -> str:
        """'1 (Minimum) to 5 (Innovator)'."""
        lo, hi = self.lowest, self.highest
        return f"{lo} ({self.names.get(lo, '')}) to {hi} ({self.names.get(hi, '')})"

    def top(self, k: int = 2) -> tuple[int, ...]:
        """The k highest levels (all of them when there are fewer)."""
        return self.numbers[-k:]

    def top_names(self, k: int = 2) -> str:
        """'Leader or Innovator'."""
        return " or ".join(self.names.get(n, str(n)) for n in self.top(k))

    def as_list(self) -> list[dict]:
        """For templates: [{number, name, colour, label}, …] in order."""
        return [
            {"number": n, "name": self.names.get(n, ""), "colour": self.colours.get(n, ""),
             "label": self.label(n)}
            for n in self.numbers
        ]  # fmt: skip


def scale_of(version) -> LevelScale:
    """The levels of a FrameworkVersion object. A published version never changes, so its
    scale is kept in memory, keyed by its id and content checksum (no query after the first)."""
    if version.published_at is None:
        return scale_for(version.pk)
    return _published_scale(version.pk, version.checksum)


@functools.lru_cache(maxsize=64)
def _published_scale(version_id: int, checksum: str) -> LevelScale:
    return scale_for(version_id)


def scale_for(version_id: int) -> LevelScale:
    """The levels of one framework version: one query."""
    from diagnostic.frameworks.models import Level

    return LevelScale.of(Level.objects.filter(version_id=version_id))


def scale_for_round(round_id: int) -> LevelScale:
    """The levels of a round's framework version: one query."""
    from diagnostic.frameworks.models import Level

    return LevelScale.of(Level.objects.filter(version__rounds__id=round_id))
