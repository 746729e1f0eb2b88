"""Fixtures for contributor and consolidation tests.

On top of `AssessmentTestCase` (Council A and Council B with draft responses in an open
round): Alice (contributor, Council A) is asked about every value code in Council A's
response; Council B's lead has asked a colleague of theirs (Beth) about key area EC, and has a
sign-off request waiting. `make_view` stores a contributor's view directly, for fixtures.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from diagnostic.accounts.models import Membership, Role, User
from diagnostic.assessments.testing import AssessmentTestCase
from diagnostic.consolidation.models import (
    Assignment,
    ContributorAnswer,
    SignOffRequest,
    hash_token,
)
from diagnostic.frameworks.models import KeyArea, ValueCode
from diagnostic.testing import PASSWORD


def make_contributor(email: str, name: str, organisation) -> User:
    user = User.objects.create_user(email, PASSWORD, full_name=name)
    Membership.objects.create(user=user, role=Role.CONTRIBUTOR, organisation=organisation)
    return user


def make_assignment(
    response, user: User | None = None, *, email: str = "", name: str = "",
    department: str = "Finance", job_role: str = "Category manager", areas: list[str] = (),
    by: User | None = None,
) -> Assignment:  # fmt: skip
    a = Assignment.objects.create(
        response=response,
        email=(user.email if user else email),
        full_name=(user.full_name if user else name),
        department=department,
        job_role=job_role,
        user=user,
        all_value_codes=not areas,
        created_by=by,
    )
    if areas:
        a.key_areas.set(
            KeyArea.objects.filter(version_id=response.round.framework_version_id, code__in=areas)
        )
    return a


def make_view(assignment: Assignment, code: str, level: int | None, **fields) -> ContributorAnswer:
    vc = ValueCode.objects.get(version_id=assignment.response.round.framework_version_id, code=code)
    view, _ = ContributorAnswer.objects.update_or_create(
        assignment=assignment,
        value_code=vc,
        defaults={"current_level": level, "version": 1, "updated_at": timezone.now(), **fields},
    )
    return view


def make_sign_off_request(response, *, by: User, token: str = "b" * 43) -> SignOffRequest:
    return SignOffRequest.objects.create(
        response=response,
        officer_name="Sam Senior",
        officer_email="sam.senior@example.org",
        officer_role="Director of Finance",
        token_hash=hash_token(token),
        requested_by=by,
        expires_at=timezone.now() + dt.timedelta(days=14),
    )


class ConsolidationTestCase(AssessmentTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.assignment_a = make_assignment(
            cls.response_a, cls.alice, department="Adult Social Care",
            job_role="Commissioning manager", by=cls.bob,
        )  # fmt: skip
        cls.beth = make_contributor("beth@example.org", "Beth Rowe", cls.council_b)
        cls.assignment_b = make_assignment(cls.response_b, cls.beth, areas=["EC"], by=cls.charlie)
        cls.sign_off_b = make_sign_off_request(cls.response_b, by=cls.charlie)
