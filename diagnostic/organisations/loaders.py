"""Load the organisation register shipped in `organisations/data/` (or another copy of it).

The CSV is validated whole first; with any problem nothing is stored. Loading again updates
rows in place by ONS code, so re-running is harmless.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from diagnostic.lib.problems import InvalidFile, Problem, read_csv_text
from diagnostic.organisations.models import (
    CombinedAuthority,
    CombinedAuthorityMembership,
    Nation,
    Organisation,
    OrganisationType,
    Region,
)

DATA_DIR = Path(__file__).resolve().parent / "data"
GSS_RE = re.compile(r"^[ENSW]\d{8}$")

COUNCIL_COLUMNS = [
    "gss_code", "gss_code_2018", "name", "short_name", "ons_name", "name_cy", "type",
    "region", "region_code", "nation", "parent_gss_code", "start_date", "end_date",
    "replaced_by_gss_codes", "former_gss_codes", "mysoc_code",
]  # fmt: skip
REGION_COLUMNS = ["region_code", "region", "nation"]
CA_COLUMNS = ["ca_id", "gss_code", "name", "short_name", "type", "region", "start_date", "end_date"]
CA_MEMBER_COLUMNS = ["ca_id", "council_gss_code", "start_date", "end_date"]


@dataclass
class LoadResult:
    regions: int
    created: int
    updated: int
    combined_authorities: int
    memberships: int


def _date(value: str, where: str, problems: list[Problem]) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        problems.append(Problem(where, f"'{value}' is not a date (YYYY-MM-DD)"))
        return None


def validate_register(
    regions: list[dict], councils: list[dict], cas: list[dict], members: list[dict]
) -> list[Problem]:
    """Every problem in the four files, by file, row and column. Pure: no database."""
    problems: list[Problem] = []
    region_codes = {}
    for i, row in enumerate(regions, start=2):
        where = f"regions.csv row {i}"
        if row["nation"] not in Nation.values:
            problems.append(Problem(f"{where}, column nation", f"unknown nation '{row['nation']}'"))
        if not GSS_RE.match(row["region_code"]):
            problems.append(
                Problem(f"{where}, column region_code", f"'{row['region_code']}' is not a GSS code")
            )
        if row["region_code"] in region_codes:
            problems.append(Problem(f"{where}, column region_code", "duplicate region code"))
        region_codes[row["region_code"]] = row

    codes = [row["gss_code"] for row in councils]
    seen: set[str] = set()
    for i, row in enumerate(councils, start=2):
        where = f"councils.csv row {i}"
        code = row["gss_code"]
        if not GSS_RE.match(code):
            problems.append(Problem(f"{where}, column gss_code", f"'{code}' is not a GSS code"))
        if code in seen:
            problems.append(Problem(f"{where}, column gss_code", f"duplicate code {code}"))
        seen.add(code)
        if row["gss_code_2018"] and not GSS_RE.match(row["gss_code_2018"]):
            problems.append(
                Problem(
                    f"{where}, column gss_code_2018", f"'{row['gss_code_2018']}' is not a GSS code"
                )
            )
        for column in ("name", "short_name"):
            if not row[column]:
                problems.append(Problem(f"{where}, column {column}", "must not be blank"))
        if row["type"] not in OrganisationType.values:
            problems.append(Problem(f"{where}, column type", f"unknown type '{row['type']}'"))
        region = region_codes.get(row["region_code"])
        if region is None:
            problems.append(
                Problem(f"{where}, column region_code", f"unknown region '{row['region_code']}'")
            )
        elif region["nation"] != row["nation"]:
            problems.append(
                Problem(
                    f"{where}, column nation",
                    f"'{row['nation']}' does not match region {region['region']} ({region['nation']})",
                )
            )
        if row["parent_gss_code"] and row["parent_gss_code"] not in codes:
            problems.append(
                Problem(f"{where}, column parent_gss_code", f"no council {row['parent_gss_code']}")
            )
        start = _date(row["start_date"], f"{where}, column start_date", problems)
        end = _date(row["end_date"], f"{where}, column end_date", problems)
        if start and end and end < start:
            problems.append(Problem(f"{where}, column end_date", "is before start_date"))

    ca_ids = set()
    for i, row in enumerate(cas, start=2):
        where = f"combined_authorities.csv row {i}"
        if not row["ca_id"]:
            problems.append(Problem(f"{where}, column ca_id", "must not be blank"))
        if row["ca_id"] in ca_ids:
            problems.append(Problem(f"{where}, column ca_id", f"duplicate id {row['ca_id']}"))
        ca_ids.add(row["ca_id"])
        _date(row["start_date"], f"{where}, column start_date", problems)
        _date(row["end_date"], f"{where}, column end_date", problems)

    for i, row in enumerate(members, start=2):
        where = f"combined_authority_members.csv row {i}"
        if row["ca_id"] not in ca_ids:
            problems.append(Problem(f"{where}, column ca_id", f"unknown authority {row['ca_id']}"))
        if row["council_gss_code"] not in seen:
            problems.append(
                Problem(
                    f"{where}, column council_gss_code", f"no council {row['council_gss_code']}"
                )
            )
        _date(row["start_date"], f"{where}, column start_date", problems)
        _date(row["end_date"], f"{where}, column end_date", problems)
    return problems


def _read(directory: Path, name: str, required: list[str]) -> list[dict]:
    path = directory / name
    if not path.exists():
        raise InvalidFile([Problem(name, f"file not found in {directory}")])
    try:
        return read_csv_text(path.read_text(encoding="utf-8"), required=required)
    except InvalidFile as exc:
        raise InvalidFile([Problem(f"{name} {p.where}", p.message) for p in exc.problems]) from None


def load_register(directory: Path = DATA_DIR) -> LoadResult:
    """Validate and load the register files in `directory`; all or nothing."""
    regions = _read(directory, "regions.csv", REGION_COLUMNS)
    councils = _read(directory, "councils.csv", COUNCIL_COLUMNS)
    cas = _read(directory, "combined_authorities.csv", CA_COLUMNS)
    members = _read(directory, "combined_authority_members.csv", CA_MEMBER_COLUMNS)
    problems = validate_register(regions, councils, cas, members)
    if problems:
        raise InvalidFile(problems)

    with transaction.atomic():
        region_by_code = {}
        for row in regions:
            region, _ = Region.objects.update_or_create(
                code=row["region_code"], defaults={"name": row["region"], "nation": row["nation"]}
            )
            region_by_code[region.code] = region

        existing = {o.gss_code: o for o in Organisation.objects.all()}
        created = updated = 0
        for row in councils:
            fields = {
                "gss_code_2018": row["gss_code_2018"],
                "former_gss_codes": row["former_gss_codes"],
                "name": row["name"],
                "short_name": row["short_name"],
                "ons_name": row["ons_name"],
                "name_cy": row["name_cy"],
                "type": row["type"],
                "region": region_by_code[row["region_code"]],
                "nation": row["nation"],
                "start_date": dt.date.fromisoformat(row["start_date"])
                if row["start_date"]
                else None,
                "end_date": dt.date.fromisoformat(row["end_date"]) if row["end_date"] else None,
                "replaced_by_codes": row["replaced_by_gss_codes"],
                "mysoc_code": row["mysoc_code"],
            }
            org = existing.get(row["gss_code"])
            if org is None:
                existing[row["gss_code"]] = Organisation(gss_code=row["gss_code"], **fields)
                created += 1
            else:
                changed = [k for k, v in fields.items() if getattr(org, k) != v]
                for k in changed:
                    setattr(org, k, fields[k])
                updated += bool(changed)
        new = [o for o in existing.values() if o.pk is None]
        Organisation.objects.bulk_create(new, batch_size=500)
        field_names = [
            "gss_code_2018", "former_gss_codes", "name", "short_name", "ons_name", "name_cy",
            "type", "region", "nation", "start_date", "end_date", "replaced_by_codes",
            "mysoc_code",
        ]  # fmt: skip
        Organisation.objects.bulk_update(
            [o for o in existing.values() if o not in new], field_names, batch_size=500
        )

        by_code = {o.gss_code: o for o in Organisation.objects.all()}
        parents = []
        for row in councils:
            org = by_code[row["gss_code"]]
            parent = by_code.get(row["parent_gss_code"]) if row["parent_gss_code"] else None
            if org.parent_id != (parent.pk if parent else None):
                org.parent = parent
                parents.append(org)
        Organisation.objects.bulk_update(parents, ["parent"], batch_size=500)

        ca_by_id = {}
        for row in cas:
            ca, _ = CombinedAuthority.objects.update_or_create(
                ca_id=row["ca_id"],
                defaults={
                    "gss_code": row["gss_code"],
                    "name": row["name"],
                    "short_name": row["short_name"],
                    "type": row["type"],
                    "region_name": row["region"],
                    "start_date": row["start_date"] or None,
                    "end_date": row["end_date"] or None,
                },
            )
            ca_by_id[ca.ca_id] = ca
        for row in members:
            CombinedAuthorityMembership.objects.update_or_create(
                combined_authority=ca_by_id[row["ca_id"]],
                organisation=by_code[row["council_gss_code"]],
                start_date=row["start_date"] or None,
                defaults={"end_date": row["end_date"] or None},
            )
    return LoadResult(
        regions=len(regions),
        created=created,
        updated=updated,
        combined_authorities=len(cas),
        memberships=len(members),
    )
