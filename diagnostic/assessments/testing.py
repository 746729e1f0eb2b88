"""Fixtures for assessment tests: the shipped framework and an open round for the personas."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from diagnostic.assessments.models import Response, Round
from diagnostic.frameworks.loaders import NPS_2018, load_framework_file
from diagnostic.frameworks.models import FrameworkVersion
from diagnostic.organisations.models import Organisation
from diagnostic.testing import BaseTestCase


def create_open_round(
    framework: FrameworkVersion, organisations: list[Organisation], *, name: str = "NPS 2026"
) -> tuple[Round, list[Response]]:
    """An open round on this framework (opened 20 days ago, closing in 20) and a draft
    response for each organisation, in the order given."""
    today = timezone.localdate()
    rnd = Round.objects.create(
        name=name,
        framework_version=framework,
        opens_on=today - dt.timedelta(days=20),
        closes_on=today + dt.timedelta(days=20),
        eligibility_date=today - dt.timedelta(days=20),
        nations=["England", "Wales"],
        status=Round.Status.OPEN,
    )
    responses = [Response.objects.create(round=rnd, organisation=o) for o in organisations]
    return rnd, responses


class AssessmentTestCase(BaseTestCase):
    """Council A and Council B each have a draft response in an open round."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.framework = load_framework_file(NPS_2018).version
        cls.round, (cls.response_a, cls.response_b) = create_open_round(
            cls.framework, [cls.council_a, cls.council_b]
        )
        cls.codes = list(cls.framework.valuecodes.order_by("position"))

    def answer_payload(
        self, code: str, *, version: int = 0, request_id: str = "", **fields
    ) -> dict:
        data = {
            "current_level": "3",
            "target_level": "4",
            "target_date": "",
            "priority": "high",
            "comment": "Contract register covers most spend.",
            "version": str(version),
            "request_id": request_id,
        }
        data.update({k: ("" if v is None else str(v)) for k, v in fields.items()})
        payload = {f"{code}-{k}": v for k, v in data.items()}
        for flag in ("could_share", "want_support"):
            if data.get(flag) in ("True", "on", "1"):
                payload[f"{code}-{flag}"] = "on"
            else:
                payload.pop(f"{code}-{flag}", None)
        return payload
