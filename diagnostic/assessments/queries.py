"""Reads for the questionnaire and the organisation's home page, in a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q

from diagnostic.accounts.models import User
from diagnostic.assessments.models import Answer, Response, Round
from diagnostic.frameworks.models import KeyArea, Level, LevelDescriptor, Theme, ValueCode


@dataclass
class Item:
    """One value code as the questionnaire shows it, with the council's answer (if any)."""

    value_code: ValueCode
    answer: Answer | None
    descriptors: list[LevelDescriptor]

    @property
    def version(self) -> int:
        return self.answer.version if self.answer else 0


def framework_outline(version_id: int) -> list[Theme]:
    """Themes with their key areas (for navigation), two queries."""
    return list(
        Theme.objects.filter(version_id=version_id)
        .prefetch_related(Prefetch("key_areas", queryset=KeyArea.objects.order_by("position")))
        .order_by("position")
    )


def levels_of(version_id: int) -> list[Level]:
    return list(Level.objects.filter(version_id=version_id).order_by("number"))


def items_for(response: Response, *, key_area: KeyArea | None = None) -> list[Item]:
    """The value codes (of one key area, or all) with descriptors and answers: three queries."""
    codes = ValueCode.objects.filter(version_id=response.round.framework_version_id)
    if key_area is not None:
        codes = codes.filter(key_area=key_area)
    codes = (
        codes.select_related("key_area__theme")
        .prefetch_related(
            Prefetch(
                "descriptors",
                queryset=LevelDescriptor.objects.select_related("level").order_by("level__number"),
            ),
        )
        .order_by("position")
    )
    codes = list(codes)
    answers = {
        a.value_code_id: a for a in Answer.objects.filter(response=response, value_code__in=codes)
    }
    return [Item(vc, answers.get(vc.pk), list(vc.descriptors.all())) for vc in codes]


def progress_by_key_area(response: Response) -> list[KeyArea]:
    """Key areas annotated with `total` and `answered` for this response, one query."""
    return list(
        KeyArea.objects.filter(version_id=response.round.framework_version_id)
        .select_related("theme")
        .annotate(
            total=Count("value_codes", distinct=True),
            answered=Count(
                "value_codes__answers",
                filter=Q(
                    value_codes__answers__response=response,
                    value_codes__answers__current_level__isnull=False,
                ),
                distinct=True,
            ),
        )
        .order_by("position")
    )


def next_unanswered(response: Response, *, after_position: int = 0) -> ValueCode | None:
    """The first value code without a current level, after a position (wrapping round)."""
    answered = Answer.objects.filter(response=response, current_level__isnull=False).values(
        "value_code"
    )
    remaining = ValueCode.objects.filter(version_id=response.round.framework_version_id).exclude(
        pk__in=answered
    )
    return (
        remaining.filter(position__gt=after_position)
        .select_related("key_area")
        .order_by("position")
        .first()
        or remaining.select_related("key_area").order_by("position").first()
    )


def contributors(response: Response) -> list[User]:
    """People who have saved answers in this response, most active first."""
    return list(
        User.objects.filter(pk__in=Answer.objects.filter(response=response).values("updated_by"))
        .annotate(saves=Count("pk"))
        .order_by("full_name")
    )


def current_response_for(organisation_id: int) -> Response | None:
    """The organisation's response in the most recent round that has opened (or will)."""
    return (
        Response.objects.select_related("round__framework_version")
        .filter(organisation_id=organisation_id)
        .exclude(round__status=Round.Status.DRAFT)
        .order_by("-round__opens_on")
        .first()
    )
