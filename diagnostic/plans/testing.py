"""Fixtures for action plan tests: answers with gaps for Council A, and actions."""

from __future__ import annotations

import datetime as dt

from diagnostic.assessments.models import Answer, Response
from diagnostic.assessments.testing import AssessmentTestCase
from diagnostic.plans.models import Action, Origin, Status

# code: (current, target, priority, comment, want_support, target_date)
GAP_ANSWERS = {
    "EC1": (2, 4, "high", "Ward members are not asked before local tenders.", True,
            dt.date(2030, 3, 31)),
    "EC2": (1, 3, "medium", "", False, None),
    "EC3": (2, 3, "high", "", False, None),
    "ESM1": (3, 4, "low", "", False, None),
    "ESM2": (0, 3, "high", "", False, None),  # not yet assessed
    "ESM3": (2, None, "high", "", False, None),  # no target
    "WP1": (2, 4, "none", "", False, None),  # not a priority
    "WP2": (1, 4, "medium", "Frameworks chosen case by case.", False, None),
    "ESS1": (3, 3, "high", "", False, None),  # already there
    "ESS2": (2, 3, "", "", False, None),  # priority not chosen yet
}  # fmt: skip
# EC1+EC3 high (6+3), WP2 medium (3×2), EC2 medium (2×2), ESM1 low (1), ESS2 unchosen (1):
# ESM1 and ESS2 tie on everything but their place in the framework.
EXPECTED_ORDER = ["EC1+EC3", "WP2", "EC2", "ESM1", "ESS2"]


def give_answers(response: Response, answers: dict, codes) -> None:
    by_code = {vc.code: vc for vc in codes}
    Answer.objects.bulk_create(
        [
            Answer(response=response, value_code=by_code[code], current_level=current,
                   target_level=target, priority=priority, comment=comment,
                   want_support=support, target_date=target_date, version=1)
            for code, (current, target, priority, comment, support, target_date) in answers.items()
        ]
    )  # fmt: skip


def make_action(response: Response, title: str = "Refresh the contract register", *,
                codes=(), **fields) -> Action:  # fmt: skip
    """An action straight into the database (for reading tests), with value codes by code."""
    fields.setdefault("origin", Origin.OWN)
    fields.setdefault("status", Status.NOT_STARTED)
    top = Action.objects.filter(response=response).count()
    action = Action.objects.create(response=response, title=title, position=top + 1, **fields)
    if codes:
        from diagnostic.frameworks.models import ValueCode

        action.value_codes.set(
            ValueCode.objects.filter(version_id=response.round.framework_version_id, code__in=codes)
        )
    return action


class PlanTestCase(AssessmentTestCase):
    """Council A has answers with gaps (GAP_ANSWERS); Council B has one action of its own."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        give_answers(cls.response_a, GAP_ANSWERS, cls.codes)
        cls.action_b = make_action(cls.response_b, "Council B's own action", codes=["EC1"])

    def plan_url(self, name: str = "plans:plan", *args, response=None) -> str:
        from django.urls import reverse

        return reverse(name, args=[(response or self.response_a).pk, *args])
