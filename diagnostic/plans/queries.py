"""Reads for the action plan: the plan as the screen and the exports show it, and the
suggestions still open to the lead. Each in a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Prefetch, Q
from django.utils import timezone

from diagnostic.assessments.models import Answer, Response
from diagnostic.frameworks.models import Level, ValueCode
from diagnostic.plans import rules
from diagnostic.plans.models import Action, DismissedSuggestion, Status

STATUS_ORDER = {s: i for i, s in enumerate(Status.values)}


@dataclass
class StatusGroup:
    status: str
    label: str
    actions: list[Action]


@dataclass
class Plan:
    """A response's actions in the order every view of the plan uses: by status (not started,
    in progress, done, dropped), then by position."""

    response: Response
    actions: list[Action]
    groups: list[StatusGroup] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    overdue: int = 0

    @property
    def total(self) -> int:
        return len(self.actions)

    @property
    def summary(self) -> list[tuple[str, int]]:
        """(status label, count) for every status, in order, zeros included."""
        return [(label, self.counts.get(value, 0)) for value, label in Status.choices]


def actions_of(response: Response) -> list[Action]:
    """The response's actions with their value codes, in plan order: two queries."""
    actions = list(
        Action.objects.filter(response=response)
        .select_related("updated_by")
        .prefetch_related(
            Prefetch(
                "value_codes",
                queryset=ValueCode.objects.select_related("key_area").order_by("position"),
            )
        )
    )
    for a in actions:
        a.response = response
    actions.sort(key=lambda a: (STATUS_ORDER.get(a.status, 99), a.position, a.pk))
    for number, a in enumerate(actions, start=1):
        a.number = number  # how the page, the exports and the committee paper refer to it
    return actions


def plan_for(response: Response, *, today=None) -> Plan:
    """The whole plan of one response, grouped by status."""
    today = today or timezone.localdate()
    actions = actions_of(response)
    plan = Plan(response=response, actions=actions)
    for value, label in Status.choices:
        in_group = [a for a in actions if a.status == value]
        plan.counts[value] = len(in_group)
        plan.groups.append(StatusGroup(value, label, in_group))
    plan.overdue = sum(1 for a in actions if a.is_overdue(today))
    return plan


def level_names(version_id: int) -> dict[int, str]:
    return dict(Level.objects.filter(version_id=version_id).values_list("number", "name"))


def answer_facts(response: Response) -> list[rules.AnswerFacts]:
    """The response's answers as the pure rules take them: one query."""
    answers = (
        Answer.objects.filter(response=response)
        .select_related("value_code__key_area")
        .order_by("value_code__position")
    )
    return [
        rules.AnswerFacts(
            code=a.value_code.code,
            title=a.value_code.title,
            position=a.value_code.position,
            key_area_code=a.value_code.key_area.code,
            key_area_name=a.value_code.key_area.name,
            current=a.current_level,
            target=a.target_level,
            priority=a.priority,
            comment=a.comment,
            target_date=a.target_date,
            want_support=a.want_support,
        )
        for a in answers
    ]


def dismissed_of(response: Response) -> list[DismissedSuggestion]:
    return list(
        DismissedSuggestion.objects.filter(response=response).select_related("dismissed_by")
    )


def suggestions_for(
    response: Response,
    *,
    actions: list[Action] | None = None,
    dismissed: list[DismissedSuggestion] | None = None,
) -> list[rules.Suggestion]:
    """Suggestions not yet accepted or dismissed, leaving out value codes an open action
    already serves. Pass the plan's actions and dismissals when already loaded."""
    actions = actions_of(response) if actions is None else actions
    dismissed = dismissed_of(response) if dismissed is None else dismissed
    handled = {a.suggestion_key for a in actions if a.suggestion_key} | {d.key for d in dismissed}
    covered = {vc.code for a in actions if a.is_open for vc in a.value_codes.all()}
    return rules.suggest(
        answer_facts(response),
        close_date=response.round.closes_on,
        level_names=level_names(response.round.framework_version_id),
        exclude_codes=covered,
        handled_keys=handled,
    )


def previous_response(response: Response) -> Response | None:
    """The same organisation's response to the round this one follows, if any."""
    previous_round_id = response.round.previous_round_id
    if previous_round_id is None:
        return None
    return (
        Response.objects.select_related("round")
        .filter(round_id=previous_round_id, organisation_id=response.organisation_id)
        .first()
    )


def carryable_actions(from_response: Response, to_response: Response):
    """The previous plan's actions that carrying forward would copy: every one not dropped
    and not already carried into `to_response`."""
    already = Action.objects.filter(response=to_response, carried_from__isnull=False).values(
        "carried_from"
    )
    return (
        Action.objects.filter(response=from_response)
        .exclude(status=Status.DROPPED)
        .exclude(pk__in=already)
    )


@dataclass
class CarryOffer:
    previous: Response
    count: int


def carry_forward_offer(response: Response) -> CarryOffer | None:
    """What the plan page offers to bring forward from the previous round, if anything: one
    query (the previous response, counting its carryable actions)."""
    previous_round_id = response.round.previous_round_id
    if previous_round_id is None:
        return None
    already = Action.objects.filter(response=response, carried_from__isnull=False).values(
        "carried_from"
    )
    previous = (
        Response.objects.select_related("round")
        .filter(round_id=previous_round_id, organisation_id=response.organisation_id)
        .annotate(
            carryable=Count(
                "actions",
                filter=~Q(actions__status=Status.DROPPED) & ~Q(actions__pk__in=already),
            )
        )
        .first()
    )
    if previous is None or not previous.carryable:
        return None
    return CarryOffer(previous, previous.carryable)
