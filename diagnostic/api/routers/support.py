"""Where to focus support, for the national team and regional leads, with a token: the ranking
of the support page, from the same function (`support.queries.where_to_focus`), so the same
small-number suppression. A regional lead sees their own region only (another region: 404);
everyone else is refused (403).
"""

from typing import Literal

from django.http import Http404
from ninja import Path, Query, Router, Schema
from ninja.pagination import paginate

from diagnostic.accounts import access
from diagnostic.analytics.cache import cached
from diagnostic.api.auth import token_auth
from diagnostic.api.pagination import Pages
from diagnostic.api.problems import Problem
from diagnostic.assessments.models import Round
from diagnostic.organisations.models import Region
from diagnostic.support import queries

router = Router(auth=token_auth, tags=["The sector"])
MAX_ID = 2_147_483_647
ERRORS = {401: Problem, 403: Problem, 404: Problem, 422: Problem, 429: Problem}


class FocusRowOut(Schema):
    rank: int | None = None
    id: int
    code: str
    name: str
    suppressed: bool
    organisations: int | None
    demand: int | None
    wanting: int | None
    weighted_gap: float | None
    peers: int | None
    adviser_days: float | None
    unmet: float | None


class FocusFilter(Schema):
    by: Literal["key_area", "value_code"] = "key_area"
    region: str | None = Query(
        None, max_length=9, description="A region's code (a regional lead: one they lead)."
    )


@router.get(
    "/sector/rounds/{round_id}/support/focus",
    response={200: list[FocusRowOut], **ERRORS},
    url_name="support_focus",
)
@paginate(Pages)
def support_focus(
    request,
    filters: Query[FocusFilter],
    round_id: int = Path(..., ge=1, le=MAX_ID, description="The round's id."),
):
    """Where to focus support: key areas (or value codes) ranked by unmet demand, as on the
    support page. Rows built from too few councils for the reader are `suppressed`, with no
    figures and no rank, and come last in the framework's order."""
    user = request.user
    access.require_support_reader(user)
    national = access.is_national(user)
    rnd = Round.objects.exclude(status=Round.Status.DRAFT).filter(pk=round_id).first()
    if rnd is None:
        raise Http404
    if filters.region:
        region = access.get_support_region(user, filters.region)
    elif national:
        region = None
    else:
        region = Region.objects.filter(pk__in=access.led_region_ids(user)).first()
    scope = queries.SupportScope(
        round_id=rnd.pk, by=filters.by, region_id=region.pk if region else None
    )
    figures = cached(
        "api-support-focus", rnd.pk, (scope.key(), national, queries.support_version()),
        lambda: queries.where_to_focus(scope, national=national),
    )  # fmt: skip
    return figures["ranking"]
