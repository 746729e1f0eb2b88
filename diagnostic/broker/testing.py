"""Fixtures for broker tests.

On top of `AssessmentTestCase`: Council C (South East, lead Cleo) and Council D (North West,
lead Dev) join the round; every council's response is submitted with answers that make
A↔B, A↔C, B↔D and C↔D mutually beneficial (A strong in MCR2, B in OSV1 …), and every council
chose to be suggested by name unless a test changes it.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from diagnostic.accounts.models import Role
from diagnostic.assessments.models import Answer, Response
from diagnostic.assessments.testing import AssessmentTestCase
from diagnostic.broker.models import Disclosure, Visibility
from diagnostic.organisations.models import Organisation
from diagnostic.testing import make_user

STRONG = {"level": 4, "could_share": True}


def need(level=2, target=4, priority="high", support=False) -> dict:
    return {"level": level, "target": target, "priority": priority, "support": support}


def submit_with(response: Response, answers: dict[str, dict], codes) -> None:
    """Store `answers` ({code: {level, target, priority, could_share, support}}) and submit."""
    by_code = {vc.code: vc for vc in codes}
    # In one transaction, and with a new version and submission time, as the service does.
    with transaction.atomic():
        Answer.objects.filter(response=response).delete()
        Answer.objects.bulk_create(
            Answer(
                response=response, value_code=by_code[code], current_level=a.get("level"),
                target_level=a.get("target"), priority=a.get("priority", ""),
                could_share=a.get("could_share", False), want_support=a.get("support", False),
            )
            for code, a in answers.items()
        )  # fmt: skip
        Response.objects.filter(pk=response.pk).update(
            status=Response.Status.SUBMITTED, answered_count=len(answers),
            version=F("version") + 1, submitted_at=timezone.now(),
        )  # fmt: skip


def choose(rnd, organisation, visibility=Visibility.NAMED, show_levels=False) -> None:
    Disclosure.objects.update_or_create(
        round=rnd,
        organisation=organisation,
        defaults={"visibility": visibility, "show_levels": show_levels},
    )


class BrokerTestCase(AssessmentTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.council_c = Organisation.objects.create(
            gss_code="E07000105", name="Council C District Council", short_name="Council C",
            type="non_metropolitan_district", region=cls.south_east, nation="England",
        )  # fmt: skip
        cls.council_d = Organisation.objects.create(
            gss_code="E08000001", name="Council D Metropolitan Borough Council", short_name="Council D",
            type="metropolitan_borough", region=cls.north_west, nation="England",
        )  # fmt: skip
        cls.cleo = make_user("cleo", "Cleo Grant", Role.LEAD, organisation=cls.council_c)
        cls.dev = make_user("dev", "Dev Rao", Role.LEAD, organisation=cls.council_d)
        cls.response_c = Response.objects.create(round=cls.round, organisation=cls.council_c)
        cls.response_d = Response.objects.create(round=cls.round, organisation=cls.council_d)
        # A is strong in MCR2 and needs OSV1; B the reverse (and wants support in MCR2);
        # C is strong in OSV1 and needs MCR2 a little; D is strong in MCR2 and needs EC1, which B and C give.
        submit_with(cls.response_a, {"MCR2": STRONG, "OSV1": need(), "EC1": STRONG}, cls.codes)
        submit_with(
            cls.response_b, {"MCR2": need(support=True), "OSV1": STRONG, "EC1": STRONG}, cls.codes
        )
        submit_with(
            cls.response_c, {"MCR2": need(3, 4, "low"), "OSV1": STRONG, "EC1": STRONG}, cls.codes
        )
        submit_with(cls.response_d, {"MCR2": STRONG, "EC1": need(1, 4, "medium")}, cls.codes)
        for org in (cls.council_a, cls.council_b, cls.council_c, cls.council_d):
            choose(cls.round, org)


def run_queued_tasks() -> None:
    """Run every queued background job through the worker (`manage.py db_worker --batch`), as
    in production but in this process and this test's transaction: the worker's reconnecting
    between jobs (which would end the test's transaction) and its signal handlers are left out."""
    from unittest import mock

    from django.core.management import call_command

    worker = "django_tasks_db.management.commands.db_worker"
    with (
        mock.patch(f"{worker}.close_old_connections"),
        mock.patch(f"{worker}.Worker.configure_signals"),
    ):
        call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
