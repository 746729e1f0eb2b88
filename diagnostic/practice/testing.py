"""Fixtures for good-practice tests: complete case studies in any state."""

from __future__ import annotations

from django.utils import timezone

from diagnostic.accounts.models import User
from diagnostic.assessments.testing import AssessmentTestCase
from diagnostic.frameworks.models import FrameworkVersion
from diagnostic.organisations.models import Organisation
from diagnostic.practice.models import CaseStudy, State, Visibility


def make_case_study(
    organisation: Organisation,
    version: FrameworkVersion,
    *,
    by: User | None = None,
    title: str = "One contract register for the whole council",
    codes: tuple[str, ...] = ("EC1",),
    level_rank: int = -1,
    state: str = State.PUBLISHED,
    visibility: str = Visibility.PUBLIC,
    named: bool = True,
    body: str = "We brought every department's contracts into one register.",
) -> CaseStudy:
    """A complete case study written straight to the database (no service, no audit).

    `level_rank` indexes the version's levels in order (-1 the highest, -2 the one below), so
    tests never name a level number."""
    levels = list(version.levels.order_by("number"))
    vcs = list(version.valuecodes.filter(code__in=codes).select_related("key_area"))
    now = timezone.now()
    cs = CaseStudy.objects.create(
        organisation=organisation,
        framework_version=version,
        state=state,
        title=title,
        summary=f"Summary: {title}.",
        what_was_done=body,
        results="Spend under contract rose from 61% to 88% in a year.",
        differently="Start with the largest departments.",
        contact_role="Head of procurement",
        level=levels[level_rank],
        key_area=vcs[0].key_area if vcs else None,
        visibility=visibility,
        named=named,
        created_by=by,
        submitted_at=now if state != State.DRAFT else None,
        published_at=now if state == State.PUBLISHED else None,
        withdrawn_at=now if state == State.WITHDRAWN else None,
    )
    cs.value_codes.set(vcs)
    return cs


class PracticeTestCase(AssessmentTestCase):
    """Council A (North West) and Council B (South East) in an open round, with the framework."""
