"""Suggested actions from a council's answers: pure functions, no database.

A value code has a gap when the council gave a current level (a level of the framework
version, not 'not yet assessed') and a target above it. Its
score is the gap weighted by the council's priority (high 3, medium 2, low 1, not a priority
0). Value codes of one key area with the same priority become one suggestion, since the work
to move them usually goes together; the others stand alone. Suggestions are ranked by score
(the sum over their value codes), then priority, then the largest single gap, then the
framework's order, so the same answers always give the same list.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

WEIGHTS = {"high": 3, "medium": 2, "low": 1, "none": 0}
# A council that set a target but has not chosen a priority yet still wants to improve: its
# gap counts as low priority rather than vanishing from the plan.
UNCHOSEN_WEIGHT = 1
PRIORITY_WORDS = {
    "high": "high priority",
    "medium": "medium priority",
    "low": "low priority",
    "": "priority not chosen yet",
}
TITLE_MAX = 200
COMMENT_QUOTE_MAX = 600
DEFAULT_MONTHS = 12


@dataclass(frozen=True)
class AnswerFacts:
    """What the rules need to know about one answer and its value code."""

    code: str
    title: str
    position: int
    key_area_code: str
    key_area_name: str
    current: int | None
    target: int | None
    priority: str = ""
    comment: str = ""
    target_date: dt.date | None = None
    want_support: bool = False


@dataclass(frozen=True)
class Gap:
    facts: AnswerFacts
    size: int
    weight: int

    @property
    def score(self) -> int:
        return self.size * self.weight


@dataclass(frozen=True)
class Suggestion:
    """A suggested action: what the lead sees and what accepting it stores."""

    key: str
    title: str
    description: str
    codes: tuple[str, ...]
    key_area_name: str
    priority: str
    score: int
    largest_gap: int
    due_date: dt.date
    want_support: bool

    @property
    def priority_label(self) -> str:
        return {"high": "High priority", "medium": "Medium priority", "low": "Low priority"}.get(
            self.priority, "Priority not chosen"
        )


def weight(priority: str) -> int:
    return WEIGHTS.get(priority or "", UNCHOSEN_WEIGHT)


def gap_of(facts: AnswerFacts) -> Gap | None:
    """The answer's weighted gap, or None when there is nothing to suggest.

    No gap without a current level (unanswered and 'not yet assessed' are skipped), a
    target, a target above the current level, and a priority other than 'not a priority'.
    """
    if not facts.current or facts.target is None or facts.target <= facts.current:
        return None
    w = weight(facts.priority)
    if w == 0:
        return None
    return Gap(facts=facts, size=facts.target - facts.current, weight=w)


def suggestion_key(codes: Iterable[str]) -> str:
    """The same value codes always give the same key, whatever their levels."""
    return "+".join(codes)


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later, or the month's last day when it is shorter (29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def level_name(number: int, names: Mapping[int, str]) -> str:
    return names.get(number, f"level {number}")


def _quote(comment: str) -> str:
    text = " ".join(comment.split())
    if len(text) > COMMENT_QUOTE_MAX:
        text = text[: COMMENT_QUOTE_MAX - 1].rstrip() + "…"
    return text


def describe_gap(gap: Gap, names: Mapping[int, str]) -> str:
    f = gap.facts
    lines = [
        f"{f.code} {f.title}: from {f.current} {level_name(f.current, names)} to "
        f"{f.target} {level_name(f.target, names)}, {PRIORITY_WORDS.get(f.priority, f.priority)}."
    ]
    if f.comment.strip():
        lines.append(f"Your notes: “{_quote(f.comment)}”")
    if f.want_support:
        lines.append("You said you would welcome support here.")
    return "\n".join(lines)


def _fit(text: str, limit: int = TITLE_MAX) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def title_for(gaps: list[Gap], names: Mapping[int, str]) -> str:
    return _fit(_title(gaps, names))


def _title(gaps: list[Gap], names: Mapping[int, str]) -> str:
    if len(gaps) == 1:
        f = gaps[0].facts
        return (
            f"Move '{f.title}' from {level_name(f.current, names)} to {level_name(f.target, names)}"
        )
    area = gaps[0].facts.key_area_name
    targets = {g.facts.target for g in gaps}
    if len(targets) == 1:
        return f"Move {len(gaps)} value codes in '{area}' to {level_name(targets.pop(), names)}"
    return f"Move {len(gaps)} value codes in '{area}' up to their targets"


def group_gaps(gaps: Iterable[Gap]) -> list[list[Gap]]:
    """Gaps of one key area with the same priority together, each group in framework order."""
    groups: dict[tuple[str, str], list[Gap]] = {}
    for g in sorted(gaps, key=lambda g: g.facts.position):
        groups.setdefault((g.facts.key_area_code, g.facts.priority or ""), []).append(g)
    return list(groups.values())


def suggest(
    answers: Iterable[AnswerFacts],
    *,
    close_date: dt.date,
    level_names: Mapping[int, str],
    exclude_codes: Collection[str] = (),
    handled_keys: Collection[str] = (),
) -> list[Suggestion]:
    """Ranked suggestions from a response's answers.

    `exclude_codes`: value codes an open action already serves (they are not suggested again,
    and do not join a group). `handled_keys`: suggestions already accepted or dismissed.
    A suggestion is due by the earliest target date among its answers, or 12 months after
    the round closes when none has one.
    """
    exclude, handled = set(exclude_codes), set(handled_keys)
    gaps = [g for a in answers if a.code not in exclude and (g := gap_of(a)) is not None]
    ranked: list[tuple[tuple, Suggestion]] = []
    for group in group_gaps(gaps):
        codes = tuple(g.facts.code for g in group)
        key = suggestion_key(codes)
        if key in handled:
            continue
        dates = [g.facts.target_date for g in group if g.facts.target_date]
        suggestion = Suggestion(
            key=key,
            title=title_for(group, level_names),
            description="\n\n".join(describe_gap(g, level_names) for g in group),
            codes=codes,
            key_area_name=group[0].facts.key_area_name,
            priority=group[0].facts.priority or "",
            score=sum(g.score for g in group),
            largest_gap=max(g.size for g in group),
            due_date=min(dates) if dates else add_months(close_date, DEFAULT_MONTHS),
            want_support=any(g.facts.want_support for g in group),
        )
        rank = (-suggestion.score, -weight(suggestion.priority), -suggestion.largest_gap,
                group[0].facts.position)  # fmt: skip
        ranked.append((rank, suggestion))
    return [s for _, s in sorted(ranked, key=lambda pair: pair[0])]
