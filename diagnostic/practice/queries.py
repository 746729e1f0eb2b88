"""Who sees which case study, the library's one query, candidates for writing up, examples.

The visibility rules live here and nowhere else:
- the library, the case study page, search, the feed and the CSV show only *published* case
  studies, and of those only the ones whose visibility admits the reader: everyone (public),
  anyone signed in with a role (signed-in councils), or the national team and regional leads
  (the LGA and regions);
- the feed is anonymous, so it carries public ones only;
- a withdrawn case study is on no page but its council's own list.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.paginator import Page, Paginator
from django.db.models import Count, F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils.text import Truncator

from diagnostic.accounts import access
from diagnostic.accounts.models import User
from diagnostic.frameworks.models import Enabler, FrameworkVersion, Level, ValueCode
from diagnostic.organisations.models import OrganisationType, Region
from diagnostic.practice.models import CaseStudy, Guidance, State, Visibility, WriteUpInvitation
from diagnostic.practice.search import Search

MODERATED_STATES = (State.SUBMITTED, State.IN_REVIEW, State.RETURNED, State.PUBLISHED)


def visibilities_for(user: User | None) -> list[str]:
    """The visibility choices whose published case studies this person may read."""
    allowed = [Visibility.PUBLIC]
    if user is None or not user.is_authenticated:
        return allowed
    memberships = access.memberships_of(user)
    if memberships:
        allowed.append(Visibility.COUNCILS)
    if access.is_national(user) or access.led_region_ids(user):
        allowed.append(Visibility.SECTOR_BODIES)
    return allowed


def published_for(user: User | None) -> QuerySet:
    """Published case studies this person may read (every list, search, feed and export)."""
    return CaseStudy.objects.filter(state=State.PUBLISHED, visibility__in=visibilities_for(user))


def can_moderate(user: User, case_study: CaseStudy) -> bool:
    """The national team moderates every council's case studies; a regional lead, their region's."""
    return access.is_national(user) or case_study.organisation.region_id in access.led_region_ids(
        user
    )


def is_moderator(user: User) -> bool:
    return bool(user.is_authenticated and (access.is_national(user) or access.led_region_ids(user)))


def moderation_queue(user: User) -> QuerySet:
    """Case studies waiting for a moderator this person may act for, oldest first."""
    qs = CaseStudy.objects.filter(state__in=[State.SUBMITTED, State.IN_REVIEW])
    if not access.is_national(user):
        qs = qs.filter(organisation__region_id__in=access.led_region_ids(user))
    return qs.select_related("organisation__region", "level").order_by("submitted_at", "pk")


def current_version() -> FrameworkVersion | None:
    """The framework version the library's filters are drawn from: the newest published."""
    return (
        FrameworkVersion.objects.filter(published_at__isnull=False)
        .order_by("-published_at", "-pk")
        .first()
    )


PAGE_SIZE = 20


# --- The library ------------------------------------------------------------------------------
SORTS = {
    "newest": ("Newest first", ["-published_at", "-pk"]),
    "oldest": ("Oldest first", ["published_at", "pk"]),
    "title": ("Title A to Z", ["title", "pk"]),
    "relevance": ("Best match", ["-rank", "-published_at", "-pk"]),
}


@dataclass
class LibraryFilters:
    q: str = ""
    theme: str = ""
    key_area: str = ""
    value_code: str = ""
    enabler: str = ""
    level: int | None = None
    above: int | None = None  # the next level above this number, in each case study's version
    council_type: str = ""
    region: str = ""
    sort: str = ""
    described: list[str] = field(default_factory=list)

    @property
    def effective_sort(self) -> str:
        if self.sort in SORTS and (self.sort != "relevance" or self.q):
            return self.sort
        return "relevance" if self.q else "newest"


def library(
    user: User | None, filters: LibraryFilters, *, search: Search | None = None
) -> QuerySet:
    """THE query behind the library page, its search, its CSV and the in-context examples.

    Sorted by relevance, each row carries its `rank`; sorted otherwise, nothing is ranked (ranking
    every match costs the database a vector per row). The value code and enabler filters are
    subqueries, not joins, so a case study is never repeated and no DISTINCT is needed (a page
    is fetched through a subquery of this one, `library_page`, which DISTINCT would break)."""
    qs = published_for(user)
    if filters.theme:
        qs = qs.filter(key_area__theme__code=filters.theme)
    if filters.key_area:
        qs = qs.filter(key_area__code=filters.key_area)
    if filters.value_code:
        through = CaseStudy.value_codes.through.objects
        qs = qs.filter(pk__in=through.filter(valuecode__code=filters.value_code)
                       .values("casestudy_id"))  # fmt: skip
    if filters.enabler:
        through = CaseStudy.enablers.through.objects
        qs = qs.filter(pk__in=through.filter(enabler__code=filters.enabler)
                       .values("casestudy_id"))  # fmt: skip
    if filters.level is not None:
        qs = qs.filter(level__number=filters.level)
    if filters.above is not None:
        next_level = Level.objects.filter(
            version=OuterRef("framework_version"), number__gt=filters.above
        ).order_by("number")
        qs = qs.annotate(next_number=Subquery(next_level.values("number")[:1])).filter(
            level__number=F("next_number")
        )
    if filters.council_type:
        qs = qs.filter(organisation__type=filters.council_type)
    if filters.region:
        qs = qs.filter(organisation__region__code=filters.region)
    search = search if search is not None else Search(filters.q)
    qs = search.matching(qs)
    if filters.effective_sort == "relevance":
        qs = search.ranked(qs)
    return qs.order_by(*SORTS[filters.effective_sort][1])


class LibraryPaginator(Paginator):
    """Pages THE library query in two steps: first the page's ids in the query's order, then
    just those rows with what a card shows (`for_cards`).

    - Sorted by relevance, the ids of every visible match come from one narrow query, best
      first (`Search.in_rank_order`: on SQLite put in rank order in Python): their number is
      the count, and the page is a slice of them.
    - Otherwise the ids are a subquery of the rows' statement (one table, no joins, no display
      columns, so the database sorts narrow rows and skips earlier pages' rows cheaply), and
      the rows are ranked again (twenty rows, not every match) and put in the same order.
    """

    def __init__(self, queryset: QuerySet, per_page: int, *, search: Search, sort: str):
        self.search, self.sort = search, sort
        ranked = search.in_rank_order(queryset) if sort == "relevance" else None
        super().__init__(queryset if ranked is None else ranked, per_page)

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        if isinstance(self.object_list, list):
            ids = self.object_list[bottom:top]
            found = {cs.pk: cs for cs in for_cards(CaseStudy.objects.filter(pk__in=ids))}
            return self._get_page([found[pk] for pk in ids if pk in found], number, self)
        ids = self.object_list.values("pk")[bottom:top]
        rows = CaseStudy.objects.filter(pk__in=ids)
        if self.sort == "relevance":
            rows = self.search.ranked(rows)
        rows = for_cards(rows).order_by(*SORTS[self.sort][1])
        return self._get_page(rows, number, self)


def library_page(user: User | None, filters: LibraryFilters, number) -> Page:
    """One page of the library (the page number as given: a bad one gives the first or last)."""
    search = Search(filters.q)
    qs = library(user, filters, search=search)
    paginator = LibraryPaginator(qs, PAGE_SIZE, search=search, sort=filters.effective_sort)
    return paginator.get_page(number)


def with_display(qs: QuerySet) -> QuerySet:
    """What a list of case studies shows: author, level, key area, value codes (the long text
    fields are left in the database: a list shows the summary only)."""
    return (
        qs.defer("what_was_done", "results", "differently")
        .select_related("organisation__region", "level", "key_area__theme", "framework_version")
        .prefetch_related(
            Prefetch("value_codes", queryset=ValueCode.objects.only("id", "code", "title"))
        )
    )


# What a card in the library's list shows (practice/library.html): the title, the author (the
# council's name, or its type and region when anonymous), the level, the value codes, the date
# and the summary. Nothing else is read: fewer joined tables and columns cost Django less to
# compile and turn into objects (a third of the page's time went there).
CARD_FIELDS = (
    "title", "summary", "named", "published_at", "organisation__name", "organisation__type",
    "organisation__region__name", "level__number", "level__name", "level__colour",
)  # fmt: skip


def for_cards(qs: QuerySet) -> QuerySet:
    return (
        qs.select_related("organisation__region", "level")
        .only(*CARD_FIELDS)
        .prefetch_related(Prefetch("value_codes", queryset=ValueCode.objects.only("id", "code")))
    )


@dataclass
class FilterOptions:
    themes: list
    key_areas: list
    value_codes: list
    enablers: list
    levels: list
    council_types: list
    regions: list


def filter_options(version: FrameworkVersion | None) -> FilterOptions:
    """The choices of the library's filters, from one framework version. A published version
    never changes, so they are cached per version (four queries when not cached)."""
    from django.core.cache import cache

    if version is None:
        return _filter_options(None)
    key = f"practice:filter-options:v2:{version.pk}"  # v2: value codes cut to 60
    options = cache.get(key)
    if options is None:
        options = _filter_options(version)
        cache.set(key, options, 600)
    return options


def _filter_options(version: FrameworkVersion | None) -> FilterOptions:
    if version is None:
        return FilterOptions([], [], [], [], [], OrganisationType.choices, [])
    vcs = list(
        ValueCode.objects.filter(version=version)
        .select_related("key_area__theme")
        .only("code", "title", "key_area__code", "key_area__name", "key_area__theme__code",
              "key_area__theme__name", "key_area__position", "key_area__theme__position")
    )  # fmt: skip
    key_areas = list({vc.key_area.pk: vc.key_area for vc in vcs}.values())
    themes = list({ka.theme.pk: ka.theme for ka in key_areas}.values())
    return FilterOptions(
        themes=[(t.code, t.name) for t in themes],
        key_areas=[(ka.code, ka.name) for ka in key_areas],
        # Cut as `truncatechars:60` would, once per version rather than on every page.
        value_codes=[(vc.code, Truncator(f"{vc.code} {vc.title}").chars(60)) for vc in vcs],
        enablers=list(Enabler.objects.filter(version=version).values_list("code", "name")),
        levels=list(Level.objects.filter(version=version).values_list("number", "name")),
        council_types=OrganisationType.choices,
        regions=list(Region.objects.values_list("code", "name")),
    )


def guidance_for(case_study: CaseStudy) -> list[Guidance]:
    """Guidance curated for the case study's value codes or key area."""
    vc_ids = [vc.pk for vc in case_study.value_codes.all()]
    q = Q(value_code_id__in=vc_ids)
    if case_study.key_area_id:
        q |= Q(key_area_id=case_study.key_area_id)
    return list(Guidance.objects.filter(q).select_related("value_code", "key_area")[:20])


# --- Examples in context ----------------------------------------------------------------------
def examples_above_for_response(user: User | None, response, *, per_code: int = 3) -> dict:
    """Published examples, per value code, at the level just above the council's own answer
    there (the version's next level up, from its data). One query, whatever the number of
    value codes: the council's level and the next level are subqueries."""
    from diagnostic.assessments.models import Answer

    answer_level = Answer.objects.filter(
        response=response, value_code__code=OuterRef("vc_code"), current_level__isnull=False
    ).values("current_level")[:1]
    next_level = Level.objects.filter(
        version=OuterRef("framework_version"), number__gt=OuterRef("council_level")
    ).order_by("number")
    rows = (
        published_for(user)
        .filter(framework_version_id=response.round.framework_version_id)
        .annotate(vc_code=F("value_codes__code"))
        .annotate(council_level=Subquery(answer_level))
        .filter(council_level__isnull=False)
        .annotate(next_number=Subquery(next_level.values("number")[:1]))
        .filter(level__number=F("next_number"))
        .select_related("organisation__region", "level")
        .order_by("vc_code", "-published_at", "-pk")
    )
    out: dict[str, list[CaseStudy]] = {}
    for cs in rows:
        bucket = out.setdefault(cs.vc_code, [])
        if len(bucket) < per_code:
            bucket.append(cs)
    return out


# --- Candidates for writing up ----------------------------------------------------------------
@dataclass
class Candidate:
    organisation: object
    level: Level
    comment: str
    invitation: WriteUpInvitation | None


@dataclass
class CandidateGroup:
    value_code: ValueCode
    candidates: list[Candidate]
    want_support: int


def top_levels(version_id: int, how_many: int = 2) -> list[Level]:
    """The version's highest levels (Leader and Innovator in NPS 2018), from its data."""
    return list(Level.objects.filter(version_id=version_id).order_by("-number")[:how_many])


def candidates(user: User, rnd) -> list[CandidateGroup]:
    """Per value code: councils at the version's top two levels that said "we could share
    practice here" in a submitted response, with their evidence comment, whether they were
    invited already, and how many councils in the reader's scope want support there."""
    from diagnostic.assessments.models import Answer, Response

    top = {lv.number: lv for lv in top_levels(rnd.framework_version_id)}
    submitted = Answer.objects.filter(
        response__round=rnd, response__status=Response.Status.SUBMITTED
    )
    if not access.is_national(user):
        submitted = submitted.filter(
            response__organisation__region_id__in=access.led_region_ids(user)
        )
    rows = list(
        submitted.filter(could_share=True, current_level__in=list(top))
        .select_related("value_code", "response__organisation__region")
        .order_by("value_code__position", "-current_level", "response__organisation__name")
    )
    support = dict(
        submitted.filter(want_support=True)
        .values("value_code_id")
        .annotate(n=Count("pk"))
        .values_list("value_code_id", "n")
    )
    invited = {
        (i.organisation_id, i.value_code_id): i for i in WriteUpInvitation.objects.filter(round=rnd)
    }
    groups: dict[int, CandidateGroup] = {}
    for a in rows:
        group = groups.setdefault(
            a.value_code_id, CandidateGroup(a.value_code, [], support.get(a.value_code_id, 0))
        )
        org = a.response.organisation
        group.candidates.append(
            Candidate(org, top[a.current_level], a.comment, invited.get((org.pk, a.value_code_id)))
        )
    return list(groups.values())
