"""For the national team and regional leads: a round's progress and the flat export, in pages.

The national team sees every council. A regional lead sees their region's totals, and names
only the councils in their region that consented to regional sharing (as on the regional
dashboard, docs/roles.md); everyone else is refused (403).
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404
from ninja import Path, Router
from ninja.pagination import paginate

from diagnostic.accounts import access
from diagnostic.analytics import exports
from diagnostic.analytics.cache import cached
from diagnostic.api.auth import token_auth
from diagnostic.api.pagination import Mapped, Pages
from diagnostic.api.problems import Problem
from diagnostic.api.schemas import ExportRow, ProgressRowOut, ProgressTotalsOut
from diagnostic.assessments.models import Response, Round
from diagnostic.assessments.queries import STAGES
from diagnostic.audit.services import record

router = Router(auth=token_auth, tags=["The sector"])
MAX_ID = 2_147_483_647
ERRORS = {401: Problem, 403: Problem, 404: Problem, 422: Problem, 429: Problem}
RoundId = Path(..., ge=1, le=MAX_ID, description="The round's id.")


def _sector_round(user, round_id: int) -> tuple[Round, bool]:
    """The round, and whether the user sees it nationally (else as a regional lead)."""
    national = access.is_national(user)
    if not national and not access.led_region_ids(user):
        raise PermissionDenied("Only the national team and regional leads can see this.")
    rounds = Round.objects.select_related("framework_version")
    if not national:
        rounds = rounds.exclude(status=Round.Status.DRAFT)
    rnd = rounds.filter(pk=round_id).first()
    if rnd is None:
        raise Http404
    return rnd, national


def _in_scope(user, rnd: Round, national: bool, *, named: bool):
    qs = Response.objects.filter(round=rnd)
    if national:
        return qs
    qs = qs.filter(organisation__region_id__in=access.led_region_ids(user))
    return qs.filter(consent_regional_sharing=True) if named else qs


@router.get(
    "/sector/rounds/{round_id}/progress",
    response={200: ProgressTotalsOut, **ERRORS},
    url_name="progress",
)
def progress(request, round_id: int = RoundId):
    """How many councils have not started, are in progress and have submitted: the whole round
    for the national team, their region for a regional lead."""
    rnd, national = _sector_round(request.user, round_id)
    counts = _in_scope(request.user, rnd, national, named=False).aggregate(
        eligible=Count("pk"),
        not_started=Count("pk", filter=STAGES["not_started"]),
        in_progress=Count("pk", filter=STAGES["in_progress"]),
        submitted=Count("pk", filter=STAGES["submitted"]),
    )
    return {"scope": "national" if national else "region", **counts}


@router.get(
    "/sector/rounds/{round_id}/progress/councils",
    response={200: list[ProgressRowOut], **ERRORS},
    url_name="progress_councils",
)
@paginate(Pages)
def progress_councils(request, round_id: int = RoundId):
    """Each council's stage, answers and last activity, by name. A regional lead sees the
    councils of their region that consented to regional sharing."""
    rnd, national = _sector_round(request.user, round_id)
    qs = _in_scope(request.user, rnd, national, named=True)
    qs = qs.select_related("organisation__region").order_by("organisation__name", "pk")
    return Mapped(
        qs,
        lambda r: {
            "organisation": {"gss_code": r.organisation.gss_code, "name": r.organisation.name},
            "region": r.organisation.region.name,
            "stage": r.stage,
            "answered": r.answered_count,
            "last_activity_at": r.last_activity_at,
            "submitted_at": r.submitted_at,
        },
    )


@router.get(
    "/sector/rounds/{round_id}/export",
    response={200: list[ExportRow], **ERRORS},
    url_name="export",
)
@paginate(Pages)
def export(request, round_id: int = RoundId):
    """The flat export as JSON pages: one row per organisation and value code of every submitted
    response, the columns of the CSV download. A regional lead gets their region's councils
    that consented to regional sharing."""
    rnd, national = _sector_round(request.user, round_id)
    answers = exports.answers(rnd)
    if not national:
        answers = answers.filter(
            Q(response__organisation__region_id__in=access.led_region_ids(request.user))
            & Q(response__consent_regional_sharing=True)
        )
    if request.GET.get("page", "1") == "1":
        record("responses.exported", actor=request.user, obj=rnd, format="api")
    scope = "national" if national else tuple(sorted(access.led_region_ids(request.user)))
    return ExportRows(rnd, answers, scope)


class ExportRows:
    """The export's rows, paged without sorting the whole round for each page.

    Counting answers per response (one grouped query) tells which responses a page's rows fall
    in; only their answers are read, in the export's order (organisation name, then value code
    position). One query a page once the spans are cached (three when not), however deep, where
    OFFSET over the sorted join of every answer took seconds at 10× data (bench/api.py)."""

    def __init__(self, rnd: Round, answers, scope):
        self.rnd, self.answers, self.scope, self._spans = rnd, answers, scope, None

    def spans(self) -> list[tuple[int, int]]:
        """(response id, its answer count), in export order; cached like the dashboards'
        aggregates (a submission or reopening recomputes them, analytics/cache.py)."""
        if self._spans is None:
            self._spans = cached("api-export-spans", self.rnd.pk, (self.scope,), self._compute)
        return self._spans

    def _compute(self) -> list[tuple[int, int]]:
        counts = dict(self.answers.order_by().values_list("response_id").annotate(n=Count("pk")))
        ordered = (
            Response.objects.filter(pk__in=list(counts))
            .order_by("organisation__name", "pk")
            .values_list("pk", flat=True)
        )
        return [(pk, counts[pk]) for pk in ordered]

    def all(self):
        return self

    def count(self) -> int:
        return sum(n for _, n in self.spans())

    def __getitem__(self, item: slice) -> list[dict]:
        start, stop = item.start or 0, item.stop
        chosen, skip, seen = [], 0, 0
        for pk, n in self.spans():
            if seen + n > start and seen < stop:
                if not chosen:
                    skip = start - seen
                chosen.append(pk)
            seen += n
            if seen >= stop:
                break
        if not chosen:
            return []
        rows = self.answers.filter(response_id__in=chosen).order_by(
            "response__organisation__name", "response_id", "value_code__position"
        )
        page = list(rows)[skip : skip + (stop - start)]
        return [dict(zip(exports.COLUMNS, exports.row(self.rnd, a), strict=True)) for a in page]
