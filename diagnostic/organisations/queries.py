"""Reads over the register that more than one page needs."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q, QuerySet

from diagnostic.organisations.models import Organisation, OrganisationType, Region


def register_on(date: dt.date, *, nations: list[str] | None = None) -> QuerySet[Organisation]:
    """Organisations that existed on `date`, optionally only in some nations."""
    qs = Organisation.objects.alive_on(date)
    if nations:
        qs = qs.filter(nation__in=nations)
    return qs


def counts_by_region_and_type(date: dt.date, *, nation: str = "England") -> dict:
    """{region name: {type: count}} for the register on `date`: the data README's tables."""
    rows = (
        register_on(date, nations=[nation])
        .values("region__name", "type")
        .annotate(n=Count("id"))
        .order_by()
    )
    table: dict[str, dict[str, int]] = {}
    for row in rows:
        table.setdefault(row["region__name"], {})[row["type"]] = row["n"]
    return table


def filter_register(
    qs: QuerySet[Organisation],
    *,
    q: str = "",
    region: Region | None = None,
    org_type: str = "",
    nation: str = "",
) -> QuerySet[Organisation]:
    if q:
        qs = qs.filter(
            Q(name__icontains=q) | Q(short_name__icontains=q) | Q(gss_code__iexact=q)
            | Q(name_cy__icontains=q)
        )  # fmt: skip
    if region is not None:
        qs = qs.filter(region=region)
    if org_type in OrganisationType.values:
        qs = qs.filter(type=org_type)
    if nation:
        qs = qs.filter(nation=nation)
    return qs


def filter_choices_for(nations) -> dict:
    """The nations, regions and organisation types a filter should offer when only councils of
    these nations can be in the figures (the nations of the rounds concerned): no "Scotland" or
    "Scottish council area" when no round includes Scotland. One query (the types present)."""
    from diagnostic.organisations.models import Nation

    nations = set(nations)
    inside, outside = set(), set()
    for org_type, nation in Organisation.objects.values_list("type", "nation").distinct():
        (inside if nation in nations else outside).add(org_type)
    # A type only found outside these nations cannot match; one with no councils yet stays.
    elsewhere_only = outside - inside
    return {
        "nations": [(n.value, n.label) for n in Nation if n.value in nations],
        "regions": Region.objects.filter(nation__in=nations),
        "types": [(v, label) for v, label in OrganisationType.choices if v not in elsewhere_only],
    }
