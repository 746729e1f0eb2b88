"""Mappings between framework versions: which value codes correspond (docs/framework-mapping-format.md).

A mapping file is checked whole, like a framework file (the same YAML rules: it ends with `...`,
no key twice, no field the format does not have), and against the two versions it joins: both
loaded and different, with the same levels; every code a value code of its version; each value
code on either side at most once. With any problem nothing is stored and every problem is listed.

`correspondence(earlier_version_id, later_version_id)` is what the rest of the service asks:
`{earlier value code id: later value code id}` for the same version (every value code to itself)
or a loaded mapping, and None when the two versions cannot be compared.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from django.db import transaction

from diagnostic.frameworks.loaders import _cut_short, _StrictLoader
from diagnostic.frameworks.models import (
    FrameworkVersion,
    Level,
    ValueCode,
    ValueCodeCorrespondence,
    VersionMapping,
)
from diagnostic.lib.problems import InvalidFile, Problem

TOP = ("mapping", "value_codes")
MAPPING_FIELDS = ("from", "to", "description")
SIDE_FIELDS = ("framework", "version")


def _version(side, where: str, problems: list[Problem]) -> FrameworkVersion | None:
    if not isinstance(side, dict):
        problems.append(Problem(where, "must be a mapping with framework and version"))
        return None
    for key in side:
        if key not in SIDE_FIELDS:
            problems.append(Problem(f"{where}.{key}", "is not a field (known: framework, version)"))
    code, slug = str(side.get("framework") or "").strip(), str(side.get("version") or "").strip()
    if not code or not slug:
        problems.append(Problem(where, "give the framework's code and the version (e.g. 2018)"))
        return None
    label, _, revision = slug.partition("-r")
    version = (
        FrameworkVersion.objects.filter(
            framework__code=code, label=label, revision=int(revision) if revision.isdigit() else 1,
            published_at__isnull=False,
        )
        .select_related("framework")
        .first()
    )  # fmt: skip
    if version is None or (revision and not revision.isdigit()):
        problems.append(Problem(where, f"no loaded framework version '{code}' '{slug}'"))
        return None
    return version


def validate_mapping(data) -> tuple[list[Problem], dict | None]:
    """Every problem in a parsed mapping file, and what to store when there is none."""
    problems: list[Problem] = []
    if not isinstance(data, dict):
        return [Problem("(file)", "must be a mapping (key: value pairs)")], None
    for key in data:
        if key not in TOP:
            problems.append(Problem(str(key), "is not a known section (mapping, value_codes)"))
    meta = data.get("mapping")
    if not isinstance(meta, dict):
        problems.append(Problem("mapping", "is missing: give from, to and an optional description"))
        meta = {}
    for key in meta:
        if key not in MAPPING_FIELDS:
            problems.append(
                Problem(f"mapping.{key}", "is not a field (known: from, to, description)")
            )
    earlier = _version(meta.get("from"), "mapping.from", problems)
    later = _version(meta.get("to"), "mapping.to", problems)
    if earlier and later:
        if earlier.pk == later.pk:
            problems.append(Problem("mapping.to", "is the same version as mapping.from"))
        levels = [
            list(
                Level.objects.filter(version=v).order_by("number").values_list("number", flat=True)
            )
            for v in (earlier, later)
        ]
        if levels[0] != levels[1]:
            problems.append(Problem(
                "mapping",
                f"the versions have {len(levels[0])} and {len(levels[1])} levels: a mapping can "
                "only join versions with the same levels (a level means the same in both)",
            ))  # fmt: skip
        if VersionMapping.objects.filter(from_version=earlier, to_version=later).exists():
            problems.append(
                Problem("mapping", f"a mapping from {earlier} to {later} is loaded already")
            )
    pairs = data.get("value_codes")
    if not isinstance(pairs, dict) or not pairs:
        problems.append(Problem("value_codes", "give at least one pair: earlier code: later code"))
        pairs = {}
    out: list[tuple[int, int]] = []
    if earlier and later:
        codes_from = dict(ValueCode.objects.filter(version=earlier).values_list("code", "pk"))
        codes_to = dict(ValueCode.objects.filter(version=later).values_list("code", "pk"))
        seen_to: dict[str, str] = {}
        for raw_from, raw_to in pairs.items():
            f, t = str(raw_from).strip(), str(raw_to if raw_to is not None else "").strip()
            where = f"value_codes.{f}"
            if f not in codes_from:
                problems.append(Problem(where, f"'{f}' is not a value code of {earlier}"))
            if t not in codes_to:
                problems.append(Problem(where, f"'{t}' is not a value code of {later}"))
            elif t in seen_to:
                problems.append(Problem(where, f"'{t}' is already the match of '{seen_to[t]}'; "
                                               "each value code corresponds to one other"))  # fmt: skip
            else:
                seen_to[t] = f
            if f in codes_from and t in codes_to:
                out.append((codes_from[f], codes_to[t]))
    if problems:
        return problems, None
    return [], {"from": earlier, "to": later, "description": str(meta.get("description") or "").strip(),
                "pairs": out}  # fmt: skip


def load_mapping_file(path: Path) -> VersionMapping:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidFile([Problem(str(path), f"cannot be read: {exc}")]) from None
    loader = _StrictLoader(text)
    try:
        import yaml

        data = loader.get_single_data()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(file)"
        raise InvalidFile([Problem(where, f"not valid YAML or JSON: {exc}")]) from None
    finally:
        loader.dispose()
    problems = [*_cut_short(text), *loader.duplicates]
    found, checked = validate_mapping(data)
    problems += found
    if problems:
        raise InvalidFile(problems)
    checksum = hashlib.sha256(
        json.dumps(data, sort_keys=True, ensure_ascii=False, default=str).encode()
    ).hexdigest()
    with transaction.atomic():
        mapping = VersionMapping.objects.create(
            from_version=checked["from"], to_version=checked["to"],
            description=checked["description"], checksum=checksum, source_name=Path(path).name,
        )  # fmt: skip
        ValueCodeCorrespondence.objects.bulk_create(
            ValueCodeCorrespondence(mapping=mapping, from_value_code_id=f, to_value_code_id=t)
            for f, t in checked["pairs"]
        )
    return mapping


def correspondence(earlier_version_id: int, later_version_id: int) -> dict[int, int] | None:
    """{earlier value code id: later value code id}, or None if the versions cannot be compared."""
    if earlier_version_id == later_version_id:
        ids = ValueCode.objects.filter(version_id=later_version_id).values_list("pk", flat=True)
        return {pk: pk for pk in ids}
    mapping = VersionMapping.objects.filter(
        from_version_id=earlier_version_id, to_version_id=later_version_id
    ).first()
    if mapping is None:
        return None
    return dict(mapping.correspondences.values_list("from_value_code_id", "to_value_code_id"))


def mapped_from(later_version_id: int) -> list[int]:
    """The versions that can be compared with this one: itself and those mapped to it."""
    return [
        later_version_id,
        *VersionMapping.objects.filter(to_version_id=later_version_id).values_list(
            "from_version_id", flat=True
        ),
    ]
