"""A council's own response, for its systems: with a personal token, within the token owner's
roles, never more. Every lookup goes through `accounts.access` (404 for missing and not-yours
alike) and every write through the same service as the site (`assessments.services.
do_save_answer` for the agreed answers, `consolidation.services.do_save_view` for a
contributor's own views), so versions, replays, locks and the audit trail are the autosave's.
"""

from django.db.models import Q
from django.http import Http404
from ninja import Path, Query, Router, Schema
from ninja.pagination import paginate

from diagnostic.accounts import access
from diagnostic.accounts.models import Role
from diagnostic.analytics import council
from diagnostic.api.auth import token_auth
from diagnostic.api.pagination import Mapped, Pages
from diagnostic.api.problems import Problem
from diagnostic.api.schemas import (
    ActionOut,
    AnswerIn,
    AnswerOut,
    ComparisonsOut,
    CompletenessOut,
    ConflictProblem,
    MeOut,
    ResponseOut,
    ResultsOut,
    ViewConflictProblem,
    ViewIn,
    ViewOut,
    answer_out,
)
from diagnostic.assessments import services as assessment_services
from diagnostic.assessments.models import Answer, Response
from diagnostic.consolidation import services as consolidation_services
from diagnostic.consolidation.models import Assignment, ContributorAnswer
from diagnostic.frameworks.models import Level, ValueCode
from diagnostic.plans.queries import actions_of

router = Router(auth=token_auth, tags=["Your council"])
MAX_ID = 2_147_483_647
ERRORS = {401: Problem, 403: Problem, 404: Problem, 422: Problem, 429: Problem}
ResponseId = Path(..., ge=1, le=MAX_ID, description="The response's id.")
Code = Path(..., max_length=20, description="A value code's code, e.g. EC1.")


# --- Who am I ---------------------------------------------------------------------------------
@router.get("/me", response={200: MeOut, **ERRORS}, url_name="me")
def me(request):
    """The token's owner, their roles and the token's scopes and expiry."""
    user, token = request.user, request.auth
    return {
        "email": user.email,
        "full_name": user.full_name,
        "roles": [
            {
                "role": m.role,
                "organisation": m.organisation.gss_code if m.organisation_id else None,
                "region": m.region.code if m.region_id else None,
            }
            for m in access.memberships_of(user)
        ],
        "token_name": token.name,
        "token_scopes": token.scopes,
        "token_expires_at": token.expires_at,
    }


# --- Responses --------------------------------------------------------------------------------
def readable_responses(user):
    """The responses `access.get_response_for_user` would let this user read, as one query."""
    if access.is_national(user):
        return Response.objects.all()
    q = Q(pk__in=[])
    for m in access.organisation_memberships(user):
        if m.role == Role.CONTRIBUTOR:
            q |= Q(organisation_id=m.organisation_id, status=Response.Status.SUBMITTED)
        else:
            q |= Q(organisation_id=m.organisation_id)
    regions = access.led_region_ids(user)
    if regions:
        q |= Q(organisation__region_id__in=regions, consent_regional_sharing=True)
    return Response.objects.filter(q)


class ResponseFilter(Schema):
    round: int | None = Query(None, ge=1, le=MAX_ID)
    organisation: str | None = Query(None, max_length=9, description="An ONS code.")


@router.get("/responses", response={200: list[ResponseOut], **ERRORS}, url_name="responses")
@paginate(Pages)
def responses(request, filters: Query[ResponseFilter]):
    """The responses you may read: your councils', any for the national team, and a regional
    lead's region's where the council consented. A contributor sees a response here once it is
    submitted; before that, see /my-requests."""
    qs = readable_responses(request.user)
    if filters.round:
        qs = qs.filter(round_id=filters.round)
    if filters.organisation:
        qs = qs.filter(organisation__gss_code=filters.organisation)
    qs = qs.select_related("round", "organisation").order_by(
        "-round__opens_on", "organisation__name", "pk"
    )
    return Mapped(qs, lambda r: response_out(r, request.user))


@router.get("/responses/{response_id}", response={200: ResponseOut, **ERRORS}, url_name="response")
def response_detail(request, response_id: int = ResponseId):
    return response_out(access.get_response_for_user(request.user, response_id), request.user)


def response_out(r, user) -> dict:
    return {
        "id": r.pk,
        "round": r.round_id,
        "round_name": r.round.name,
        "organisation": {"gss_code": r.organisation.gss_code, "name": r.organisation.name},
        "status": r.status,
        "stage": r.stage,
        "editable": r.is_editable,
        "answered": r.answered_count,
        "last_activity_at": r.last_activity_at,
        "submitted_at": r.submitted_at,
        "your_role": access.role_in(user, r.organisation),
    }


def _answers(response) -> list[dict]:
    """Every value code of the round's framework with its answer (version 0 if none yet)."""
    answers = {
        a.value_code_id: a
        for a in Answer.objects.filter(response=response).select_related("value_code")
    }
    out = []
    for vc in ValueCode.objects.filter(version_id=response.round.framework_version_id).order_by(
        "position"
    ):
        a = answers.get(vc.pk) or Answer(response=response, value_code=vc, version=0)
        out.append(answer_out(a))
    return out


@router.get(
    "/responses/{response_id}/answers",
    response={200: list[AnswerOut], **ERRORS},
    url_name="answers",
)
@paginate(Pages)
def answers(request, response_id: int = ResponseId):
    """The agreed answers, one per value code in questionnaire order, each with its version."""
    return _answers(access.get_response_for_user(request.user, response_id))


@router.put(
    "/responses/{response_id}/answers/{code}",
    response={200: AnswerOut, 409: ConflictProblem, 423: Problem, **ERRORS},
    url_name="answer",
)
def save_answer(request, payload: AnswerIn, response_id: int = ResponseId, code: str = Code):
    """Save one agreed answer (the lead, while the response is a draft and the round open).

    Send the whole answer with the `version` you read. A stale version is refused with 409 and
    the stored answer in `current`; sending the same `request_id` again changes nothing and
    answers 200 with the stored answer. The same rules as the questionnaire's autosave.
    """
    response = access.get_response_for_user(request.user, response_id, write=True)
    vc = access.get_value_code_in_round(response, code)
    data = payload.dict()
    version, request_id = data.pop("version"), data.pop("request_id")
    result = assessment_services.do_save_answer(
        response=response, value_code=vc, by=request.user,
        expected_version=version, request_id=request_id, **data,
    )  # fmt: skip
    answer = result.answer
    answer.value_code = vc
    return answer_out(answer)


@router.get(
    "/responses/{response_id}/completeness",
    response={200: CompletenessOut, **ERRORS},
    url_name="completeness",
)
def completeness(request, response_id: int = ResponseId):
    """What still stops the response being submitted."""
    response = access.get_response_for_user(request.user, response_id)
    missing = assessment_services.missing_items(response)
    total = ValueCode.objects.filter(version_id=response.round.framework_version_id).count()
    return {
        "complete": not missing,
        "answered": response.answered_count,
        "value_codes": total,
        "missing": [
            {"what": m.what, "value_code": m.value_code.code if m.value_code else None}
            for m in missing
        ],
    }


def _levels(counts: dict, levels: list) -> list[dict]:
    return [
        {"level": lv.number, "name": lv.name, "count": counts.get(lv.number, 0)} for lv in levels
    ]


def _result_row(row: dict, levels: list, theme_codes: dict) -> dict:
    return {
        "code": row.get("code", ""),
        "name": row.get("name", ""),
        "theme": theme_codes.get(row.get("theme_id")),
        "answered": row["answered"],
        "total": row["total"],
        "median": row["median"],
        "mean": row["mean"],
        "target_median": row["target_median"],
        "gap": row["gap"],
        "weighted_gap": row["weighted_gap"],
        "levels": _levels(row["counts"], levels),
    }


@router.get(
    "/responses/{response_id}/results", response={200: ResultsOut, **ERRORS}, url_name="results"
)
def results(request, response_id: int = ResponseId):
    """The council's own levels, targets and weighted gaps, per theme and key area, as on its
    results page."""
    response = access.get_response_for_user(request.user, response_id)
    own = council.own_levels(response)
    levels = list(
        Level.objects.filter(version_id=response.round.framework_version_id).order_by("number")
    )
    themes = {t["id"]: t["code"] for t in own["themes"]}
    overall = {**own["overall"], "code": "", "name": "Overall"}
    return {
        "overall": _result_row(overall, levels, themes),
        "themes": [_result_row(t, levels, themes) for t in own["themes"]],
        "key_areas": [_result_row(a, levels, themes) for a in own["areas"]],
    }


@router.get(
    "/responses/{response_id}/comparisons",
    response={200: ComparisonsOut, **ERRORS},
    url_name="comparisons",
)
def comparisons(request, response_id: int = ResponseId):
    """Per key area: the council's median beside its region's, its type's, similar councils'
    and its nation's (other councils' submitted responses only; fewer than 5: `too_few`)."""
    response = access.get_response_for_user(request.user, response_id)
    comp = council.comparisons(response)
    return {
        "groups": [
            {"key": g["key"], "label": g["label"], "too_few": g["too_few"]} for g in comp["groups"]
        ],
        "key_areas": [
            {
                "key_area": row["code"],
                "name": row["name"],
                "median": row["median"],
                "cells": [
                    {
                        "group": c["group"],
                        "too_few": c["too_few"],
                        **(
                            {}
                            if c["too_few"]
                            else {
                                k: c[k]
                                for k in ("median", "mean", "organisations", "share_at_or_above")
                            }
                        ),
                    }
                    for c in row["cells"]
                ],
            }
            for row in comp["table"]
        ],
    }


@router.get(
    "/responses/{response_id}/action-plan",
    response={200: list[ActionOut], **ERRORS},
    url_name="action_plan",
)
@paginate(Pages)
def action_plan(request, response_id: int = ResponseId):
    """The council's action plan, in plan order (by status, then position), numbered as on the
    page and in the committee paper."""
    response = access.get_action_plan_response(request.user, response_id)
    return actions_of(response)


# --- A contributor's own views ----------------------------------------------------------------
class RequestOut(Schema):
    response: int
    round_name: str
    organisation: str
    all_value_codes: bool
    key_areas: list[str]
    due_on: str | None
    finished: bool


@router.get("/my-requests", response={200: list[RequestOut], **ERRORS}, url_name="my_requests")
@paginate(Pages)
def my_requests(request):
    """Where your council's lead asked for your own views (not withdrawn)."""
    user = request.user
    org_ids = [m.organisation_id for m in access.organisation_memberships(user)]
    qs = (
        Assignment.objects.filter(withdrawn_at__isnull=True, response__organisation_id__in=org_ids)
        .filter(Q(user=user) | Q(user__isnull=True, email__iexact=user.email))
        .select_related("response__round", "response__organisation")
        .prefetch_related("key_areas")
        .order_by("-response__round__opens_on", "pk")
    )
    return [
        {
            "response": a.response_id,
            "round_name": a.response.round.name,
            "organisation": a.response.organisation.gss_code,
            "all_value_codes": a.all_value_codes,
            "key_areas": sorted(k.code for k in a.key_areas.all()),
            "due_on": a.due_on.isoformat() if a.due_on else None,
            "finished": a.finished_at is not None,
        }
        for a in qs
    ]


def view_out(view) -> dict:
    return {
        "value_code": view.value_code.code,
        "current_level": view.current_level,
        "target_level": view.target_level,
        "priority": view.priority or "",
        "comment": view.comment or "",
        "version": view.version,
        "updated_at": view.updated_at,
    }


@router.get(
    "/responses/{response_id}/my-views",
    response={200: list[ViewOut], **ERRORS},
    url_name="my_views",
)
@paginate(Pages)
def my_views(request, response_id: int = ResponseId):
    """Your own views on what you were asked about (every value code, or chosen key areas)."""
    assignment = access.get_contribution_for_user(request.user, response_id)
    codes = ValueCode.objects.filter(
        version_id=assignment.response.round.framework_version_id
    ).select_related("key_area")
    if not assignment.all_value_codes:
        codes = codes.filter(key_area__in=assignment.key_areas.all())
    mine = {}
    if assignment.pk:
        mine = {
            v.value_code_id: v
            for v in ContributorAnswer.objects.filter(assignment_id=assignment.pk)
        }
    out = []
    for vc in codes.order_by("position"):
        v = mine.get(vc.pk) or ContributorAnswer(value_code=vc, version=0)
        v.value_code = vc
        out.append(view_out(v))
    return out


@router.put(
    "/responses/{response_id}/my-views/{code}",
    response={200: ViewOut, 409: ViewConflictProblem, 423: Problem, **ERRORS},
    url_name="my_view",
)
def save_my_view(request, payload: ViewIn, response_id: int = ResponseId, code: str = Code):
    """Save your own view on one value code you were asked about, under the same version and
    replay rules as the agreed answers."""
    assignment = access.get_contribution_for_user(request.user, response_id)
    vc = access.get_value_code_in_round(assignment.response, code)
    data = payload.dict()
    version, request_id = data.pop("version"), data.pop("request_id")
    try:
        result = consolidation_services.do_save_view(
            assignment=assignment, value_code=vc, by=request.user,
            expected_version=version, request_id=request_id, **data,
        )  # fmt: skip
    except consolidation_services.NotAsked as exc:
        raise Http404 from exc
    view = result.answer
    view.value_code = vc
    return view_out(view)
