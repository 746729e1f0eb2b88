"""A council lead's introductions (the relationship broker), with a token: the same disclosure
rules as the introduction page, through the broker's own functions.

The other council is named, with the reasons, only once it accepted or when it chose to be
suggested to other councils by name (`broker.services.other_is_named_to`); contact details only
once both accepted (`broker.services.contact_for`). A council that chose "not at all" is never
named to the other side before it accepts. Only the leads of the two councils see an
introduction here (everyone else: 404, as for one that does not exist).
"""

from functools import reduce
from operator import or_

from django.http import Http404
from ninja import Path, Query, Router, Schema
from ninja.pagination import paginate

from diagnostic.accounts import access
from diagnostic.accounts.models import Role
from diagnostic.api.auth import token_auth
from diagnostic.api.pagination import Mapped, Pages
from diagnostic.api.problems import Problem
from diagnostic.broker import queries, services
from diagnostic.broker.models import Introduction

router = Router(auth=token_auth, tags=["Your council"])
MAX_ID = 2_147_483_647
ERRORS = {401: Problem, 403: Problem, 404: Problem, 422: Problem, 429: Problem}


class CouncilRef(Schema):
    gss_code: str
    name: str


class ReasonsOut(Schema):
    gains: list[str]
    gives: list[str]
    fit: list[str]


class ContactOut(Schema):
    full_name: str
    job_title: str
    email: str


class IntroductionOut(Schema):
    id: int
    round: int
    round_name: str
    status: str
    proposed_as: str
    proposed_at: str
    expires_at: str
    your_council: CouncilRef
    other_council: CouncilRef | None
    your_answer: str
    their_answer: str
    reasons: ReasonsOut | None
    contact: ContactOut | None


class IntroductionFilter(Schema):
    round: int | None = Query(None, ge=1, le=MAX_ID)


def introduction_out(intro: Introduction, org, choices: dict | None = None) -> dict:
    """One introduction from `org`'s side, disclosing what the introduction page would."""
    other = intro.other(org.pk)
    named = services.other_is_named_to(intro, org.pk, choices)
    contact = services.contact_for(intro, other.pk)
    return {
        "id": intro.pk,
        "round": intro.round_id,
        "round_name": intro.round.name,
        "status": intro.status,
        "proposed_as": intro.proposed_as,
        "proposed_at": intro.proposed_at.isoformat(),
        "expires_at": intro.expires_at.isoformat(),
        "your_council": {"gss_code": org.gss_code, "name": org.name},
        "other_council": {"gss_code": other.gss_code, "name": other.name} if named else None,
        "your_answer": intro.answer_of(org.pk),
        "their_answer": intro.answer_of(other.pk),
        "reasons": services.reasons_for(intro, org.pk) if named else None,
        "contact": (
            {"full_name": contact.full_name, "job_title": contact.job_title, "email": contact.email}
            if contact
            else None
        ),
    }


def _lead_organisations(user) -> list:
    return [m.organisation for m in access.organisation_memberships(user) if m.role == Role.LEAD]


@router.get(
    "/introductions", response={200: list[IntroductionOut], **ERRORS}, url_name="introductions"
)
@paginate(Pages)
def introductions(request, filters: Query[IntroductionFilter]):
    """Your councils' introductions to other councils (for a council's lead), newest first."""
    orgs = _lead_organisations(request.user)
    if not orgs:
        return Introduction.objects.none()
    qs = reduce(or_, [queries.introductions_of(org, filters.round) for org in orgs])
    qs = qs.select_related("first_answered_by", "second_answered_by").order_by(
        "-proposed_at", "-pk"
    )
    by_id = {org.pk: org for org in orgs}
    choices: dict[int, dict] = {}

    def to_dict(intro):
        if intro.round_id not in choices:
            choices[intro.round_id] = queries.visibilities(intro.round_id)
        org = by_id.get(intro.first_id) or by_id[intro.second_id]
        return introduction_out(intro, org, choices[intro.round_id])

    return Mapped(qs, to_dict)


@router.get(
    "/introductions/{introduction_id}",
    response={200: IntroductionOut, **ERRORS},
    url_name="introduction",
)
def introduction(
    request,
    introduction_id: int = Path(..., ge=1, le=MAX_ID, description="The introduction's id."),
):
    """One of your councils' introductions, as its page shows it to your council."""
    intro = access.get_introduction_for_user(request.user, introduction_id)
    if not intro.viewer_side:
        raise Http404
    return introduction_out(intro, getattr(intro, intro.viewer_side))
