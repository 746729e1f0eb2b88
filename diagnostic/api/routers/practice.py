"""Open endpoints, no sign-in: the good-practice library, exactly as a signed-out visitor sees it.

The same query as the library page (`practice.queries.library` for an anonymous reader: public,
published, never withdrawn) and the same lookup as the case study page
(`access.get_case_study_for_reader` for an anonymous reader). An anonymous case study never
names its council: only its `author` label ("a district council in the North West").
"""

from typing import Literal

from django.contrib.auth.models import AnonymousUser
from django.urls import reverse
from ninja import Path, Query, Router, Schema
from ninja.pagination import paginate

from diagnostic.accounts import access
from diagnostic.api.pagination import Mapped, Pages
from diagnostic.api.problems import Problem
from diagnostic.practice import queries

router = Router(tags=["Good practice"])
ERRORS = {404: Problem, 422: Problem}
MAX_ID = 2_147_483_647


class CouncilRef(Schema):
    gss_code: str
    name: str


class LevelRef(Schema):
    number: int
    name: str


class CaseStudyOut(Schema):
    id: int
    title: str
    author: str
    council: CouncilRef | None
    framework: str
    framework_version: str
    level: LevelRef | None
    key_area: str | None
    value_codes: list[str]
    summary: str
    published_at: str | None
    url: str


class CaseStudyDetailOut(CaseStudyOut):
    enablers: list[str]
    what_was_done: str
    results: str
    differently: str
    contact_role: str


class CaseStudyFilter(Schema):
    q: str | None = Query(None, max_length=200, description="Words to search for.")
    theme: str | None = Query(None, max_length=20)
    key_area: str | None = Query(None, max_length=20)
    value_code: str | None = Query(None, max_length=20)
    level: int | None = Query(None, ge=0, le=100, description="A level's number.")
    region: str | None = Query(None, max_length=9, description="A region's code.")
    sort: Literal["newest", "oldest", "title", "relevance"] | None = None


def case_study_out(cs, request) -> dict:
    fv = cs.framework_version
    return {
        "id": cs.pk,
        "title": cs.title,
        "author": cs.author_label,
        "council": (
            {"gss_code": cs.organisation.gss_code, "name": cs.organisation.name}
            if cs.named
            else None
        ),
        "framework": fv.framework.code,
        "framework_version": fv.slug,
        "level": {"number": cs.level.number, "name": cs.level.name} if cs.level else None,
        "key_area": cs.key_area.code if cs.key_area else None,
        "value_codes": [vc.code for vc in cs.value_codes.all()],
        "summary": cs.summary,
        "published_at": cs.published_at.isoformat() if cs.published_at else None,
        "url": request.build_absolute_uri(reverse("practice:case_study", args=[cs.pk])),
    }


@router.get("/case-studies", response={200: list[CaseStudyOut], **ERRORS}, url_name="case_studies")
@paginate(Pages)
def case_studies(request, filters: Query[CaseStudyFilter]):
    """Published case studies open to everyone, newest first (as the public library shows a
    signed-out visitor). Case studies for signed-in councils or for the LGA and regions only,
    and withdrawn ones, are never here."""
    f = queries.LibraryFilters(
        q=(filters.q or "").strip(), theme=filters.theme or "", key_area=filters.key_area or "",
        value_code=filters.value_code or "", level=filters.level, region=filters.region or "",
        sort=filters.sort or "",
    )  # fmt: skip
    qs = queries.with_display(queries.library(AnonymousUser(), f)).select_related(
        "framework_version__framework"
    )
    return Mapped(qs, lambda cs: case_study_out(cs, request))


@router.get(
    "/case-studies/{case_study_id}",
    response={200: CaseStudyDetailOut, **ERRORS},
    url_name="case_study",
)
def case_study(
    request, case_study_id: int = Path(..., ge=1, le=MAX_ID, description="The case study's id.")
):
    """One published case study open to everyone, in full (its text is Markdown)."""
    cs = access.get_case_study_for_reader(AnonymousUser(), case_study_id)
    return {
        **case_study_out(cs, request),
        "enablers": [e.code for e in cs.enablers.order_by("position")],
        "what_was_done": cs.what_was_done,
        "results": cs.results,
        "differently": cs.differently,
        "contact_role": cs.contact_role,
    }
