"""Open endpoints, no sign-in: the frameworks, the council register, published results.

The published figures are the public results page's and downloads' own: the same function
(`analytics.views.public_figures`), the same cache, the same small-number suppression.
"""

from django.db.models import Prefetch
from django.http import Http404
from django.urls import reverse
from ninja import Path, Query, Router, Schema
from ninja.pagination import paginate

from diagnostic.accounts import access
from diagnostic.analytics.cache import cached
from diagnostic.analytics.views import public_figures
from diagnostic.api.pagination import Mapped, Pages
from diagnostic.api.problems import Problem
from diagnostic.api.schemas import (
    FigureRow,
    FrameworkOut,
    IsoDate,
    OrganisationOut,
    PublishedRoundOut,
    RoundOut,
    ValueCodeOut,
    VersionOut,
)
from diagnostic.assessments.models import Round
from diagnostic.frameworks.models import (
    Framework,
    FrameworkVersion,
    KeyArea,
    Level,
    LevelDescriptor,
    Theme,
    ValueCode,
)
from diagnostic.organisations.models import Nation, Organisation, OrganisationType

router = Router(tags=["Open data"])
ERRORS = {404: Problem, 422: Problem}
MAX_ID = 2_147_483_647


# --- Frameworks -------------------------------------------------------------------------------
@router.get("/frameworks", response={200: list[FrameworkOut], **ERRORS}, url_name="frameworks")
@paginate(Pages)
def frameworks(request):
    """Every framework with its published versions."""
    published = FrameworkVersion.objects.filter(published_at__isnull=False).order_by(
        "label", "revision"
    )
    return Framework.objects.prefetch_related(
        Prefetch("versions", queryset=published, to_attr="published_versions")
    ).order_by("code")


def _version(framework_code: str, version: str) -> FrameworkVersion:
    if len(framework_code) > 40 or len(version) > 50:
        raise Http404
    return access.get_framework_version(framework_code, version)


@router.get(
    "/frameworks/{framework_code}/versions/{version}",
    response={200: VersionOut, **ERRORS},
    url_name="framework_version",
)
def framework_version(request, framework_code: str, version: str):
    """One published version: its levels, enablers, themes and key areas."""
    fv = _version(framework_code, version)
    themes = (
        Theme.objects.filter(version=fv)
        .prefetch_related(Prefetch("key_areas", queryset=KeyArea.objects.order_by("position")))
        .order_by("position")
    )
    return {
        "framework": fv.framework.code,
        "slug": fv.slug,
        "label": fv.label,
        "revision": fv.revision,
        "name": fv.name,
        "description": fv.description,
        "published_at": fv.published_at,
        "levels": list(Level.objects.filter(version=fv).order_by("number")),
        "enablers": list(fv.enablers.order_by("position")),
        "themes": list(themes),
        "value_codes": request.build_absolute_uri(
            reverse("api:value_codes", args=[fv.framework.code, fv.slug])
        ),
    }


class ValueCodeFilter(Schema):
    key_area: str | None = None
    enabler: str | None = None


@router.get(
    "/frameworks/{framework_code}/versions/{version}/value-codes",
    response={200: list[ValueCodeOut], **ERRORS},
    url_name="value_codes",
)
@paginate(Pages)
def value_codes(request, framework_code: str, version: str, filters: Query[ValueCodeFilter]):
    """The version's value codes in order, each with its descriptor for every level."""
    fv = _version(framework_code, version)
    qs = ValueCode.objects.filter(version=fv)
    if filters.key_area:
        qs = qs.filter(key_area__code=filters.key_area)
    if filters.enabler:
        qs = qs.filter(enablers__code=filters.enabler)
    return (
        qs.select_related("key_area__theme")
        .prefetch_related(
            "enablers",
            Prefetch(
                "descriptors",
                queryset=LevelDescriptor.objects.select_related("level").order_by("level__number"),
            ),
        )
        .order_by("position")
    )


# --- The council register ---------------------------------------------------------------------
class OrganisationFilter(Schema):
    on: IsoDate | None = None
    region: str | None = None
    type: OrganisationType | None = None
    nation: Nation | None = None
    q: str | None = None


@router.get(
    "/organisations", response={200: list[OrganisationOut], **ERRORS}, url_name="organisations"
)
@paginate(Pages)
def organisations(request, filters: Query[OrganisationFilter]):
    """The council register: every organisation that ever existed, with its dates.

    `on=YYYY-MM-DD` keeps those that existed on that day; `region` takes a region code.
    """
    qs = Organisation.objects.all()
    if filters.on:
        qs = Organisation.objects.alive_on(filters.on)
    if filters.region:
        qs = qs.filter(region__code=filters.region)
    if filters.type:
        qs = qs.filter(type=filters.type)
    if filters.nation:
        qs = qs.filter(nation=filters.nation)
    if filters.q:
        qs = qs.filter(name__icontains=filters.q[:100])
    return Mapped(
        qs.select_related("region", "parent").order_by("name", "gss_code"), organisation_out
    )


def _codes(value: str) -> list[str]:
    return [c.strip() for c in (value or "").replace(";", ",").split(",") if c.strip()]


def organisation_out(o: Organisation) -> dict:
    return {
        "gss_code": o.gss_code,
        "name": o.name,
        "short_name": o.short_name,
        "type": o.type,
        "type_label": o.get_type_display(),
        "region": {"code": o.region.code, "name": o.region.name, "nation": o.region.nation},
        "nation": o.nation,
        "start_date": o.start_date,
        "end_date": o.end_date,
        "replaced_by": _codes(o.replaced_by_codes),
        "former_gss_codes": _codes(o.former_gss_codes),
        "parent": o.parent.gss_code if o.parent_id else None,
    }


@router.get(
    "/organisations/{gss_code}", response={200: OrganisationOut, **ERRORS}, url_name="organisation"
)
def organisation(request, gss_code: str):
    """One organisation of the register, by its ONS code."""
    org = (
        Organisation.objects.select_related("region", "parent")
        .filter(gss_code=gss_code[:9])
        .first()
    )
    if org is None or len(gss_code) > 9:
        raise Http404
    return organisation_out(org)


# --- Published rounds and figures -------------------------------------------------------------
def _published():
    return (
        Round.objects.filter(publication__isnull=False)
        .select_related("framework_version__framework", "publication")
        .order_by("-opens_on")
    )


def _published_round(round_id: int) -> Round:
    rnd = _published().filter(pk=round_id).first()
    if rnd is None:
        raise Http404
    return rnd


def _figures(rnd: Round) -> dict:
    return cached("public", rnd.pk, (), lambda: public_figures(rnd))


@router.get("/rounds", response={200: list[RoundOut], **ERRORS}, url_name="rounds")
@paginate(Pages)
def rounds(request):
    """Rounds whose national results are published, newest first."""
    return _published()


@router.get("/rounds/{round_id}", response={200: PublishedRoundOut, **ERRORS}, url_name="round")
def round_detail(request, round_id: int = Path(..., ge=1, le=MAX_ID)):
    """A published round, with how many councils took part."""
    rnd = _published_round(round_id)
    part = _figures(rnd)["participation"]
    rnd.participation = {
        "suppressed": bool(part.get("suppressed")),
        **{k: part.get(k) for k in ("eligible", "submitted", "in_progress", "not_started", "rate")},
    }
    rnd.figures = request.build_absolute_uri(reverse("api:figures", args=[rnd.pk]))
    return rnd


def figure_rows(rnd: Round) -> list[dict]:
    """The published figures as rows: the public CSV's rows, with the levels named from the
    framework version (not assumed), in the CSV's order."""
    figures = _figures(rnd)
    levels = list(Level.objects.filter(version_id=rnd.framework_version_id).order_by("number"))
    rows = []
    for section, items in (("theme", figures["by_theme"]), ("key_area", figures["by_area"])):
        for r in items:
            row = {"section": section, "code": r["code"], "name": r["name"],
                   "suppressed": bool(r["suppressed"]), "eligible": None, "in_progress": None,
                   "not_started": None}  # fmt: skip
            if r["suppressed"]:
                row.update(organisations=None, answers=None, levels=None, not_yet_assessed=None,
                           median=None, mean=None)  # fmt: skip
            else:
                row.update(
                    organisations=r["organisations"],
                    answers=r["answers"],
                    levels=[
                        {
                            "level": lv.number,
                            "name": lv.name,
                            "count": r["counts"].get(lv.number, 0),
                        }
                        for lv in levels
                    ],
                    not_yet_assessed=r["not_assessed"],
                    median=r["median"],
                    mean=round(r["mean"], 2) if r["mean"] is not None else None,
                )
            rows.append(row)
    national = {**figures["participation"], "key": "", "label": "All eligible councils"}
    for r in [*figures["by_region"], national]:
        row = {"section": "participation", "code": r["key"] or "", "name": r["label"] or "",
               "suppressed": bool(r["suppressed"]), "answers": None, "levels": None,
               "not_yet_assessed": None, "median": None, "mean": None}  # fmt: skip
        if r.get("suppressed"):
            row.update(organisations=None, eligible=None, in_progress=None, not_started=None)
        else:
            row.update(organisations=r["submitted"], eligible=r["eligible"],
                       in_progress=r["in_progress"], not_started=r["not_started"])  # fmt: skip
        rows.append(row)
    return rows


@router.get(
    "/rounds/{round_id}/figures", response={200: list[FigureRow], **ERRORS}, url_name="figures"
)
@paginate(Pages)
def figures(request, round_id: int = Path(..., ge=1, le=MAX_ID)):
    """The published national figures, exactly as the public results page and its CSV and XLSX
    downloads: by theme, by key area, and participation by region. Any row built from fewer
    than 5 organisations is suppressed (`suppressed: true`, no figures)."""
    return figure_rows(_published_round(round_id))
