"""How far a plan of introductions has got: the stages `queries.plan_for` reports through one
callback, `progress(stage, done, total)`, shared by the `broker_plan` command's bar and the
background job's progress on the plan run's page (`services.do_work_out_plan`)."""

from __future__ import annotations

from typing import NamedTuple


class Stage(NamedTuple):
    key: str
    label: str
    weight: float  # its share of the whole, roughly as the time goes at national scale


STAGES = (
    Stage("answers", "Reading the answers", 0.2),
    Stage("scoring", "Scoring councils", 0.5),
    Stage("solving", "Finding the best plan", 0.3),
)
BY_KEY = {s.key: s for s in STAGES}


def overall(stage: str, done: int, total: int) -> float:
    """The fraction of the whole plan done when `stage` is at done/total (0 to 1)."""
    before = 0.0
    for s in STAGES:
        if s.key == stage:
            part = done / total if total else 1.0
            return min(1.0, before + s.weight * max(0.0, min(1.0, part)))
        before += s.weight
    raise ValueError(f"No stage {stage!r}.")


class ProgressBar:
    """A one-line bar per stage redrawn in place (`write` gets text without a newline)."""

    def __init__(self, write, width: int = 40):
        self.write, self.width = write, width

    def __call__(self, stage: str, done: int, total: int) -> None:
        if total == 0:
            return
        filled = self.width * done // total
        end = "\n" if done == total else ""
        self.write(
            f"\r{BY_KEY[stage].label} [{'#' * filled}{'.' * (self.width - filled)}] "
            f"{done}/{total}{end}"
        )
