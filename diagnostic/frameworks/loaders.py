"""Load a framework file (YAML or JSON) as a published framework version.

The file is validated whole (`frameworks/validation.py`) before anything is stored. Its parsed
content is fingerprinted: loading a file whose content is already loaded does nothing, and a
changed file becomes a new version (the same label with the next revision), never an edit of a
published one.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import yaml
from django.db import transaction
from django.utils import timezone

from diagnostic.frameworks.models import (
    Enabler,
    Framework,
    FrameworkVersion,
    KeyArea,
    Level,
    LevelDescriptor,
    Theme,
    ValueCode,
)
from diagnostic.frameworks.validation import validate_framework
from diagnostic.lib.problems import InvalidFile, Problem

SHIPPED_DIR = Path(__file__).resolve().parent / "data"
NPS_2018 = SHIPPED_DIR / "nps-2018.yaml"


@dataclass
class LoadResult:
    version: FrameworkVersion
    created: bool


def parse_framework_text(text: str) -> dict:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(file)"
        raise InvalidFile([Problem(where, f"not valid YAML or JSON: {exc}")]) from None
    problems = validate_framework(data)
    if problems:
        raise InvalidFile(problems)
    return data


def content_checksum(data: dict) -> str:
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def load_framework_file(path: Path) -> LoadResult:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidFile([Problem(str(path), f"cannot be read: {exc}")]) from None
    return load_framework_data(parse_framework_text(text), source_name=Path(path).name)


def load_framework_data(data: dict, *, source_name: str = "") -> LoadResult:
    """Store a validated framework as a new published version, unless it is already loaded."""
    problems = validate_framework(data)
    if problems:
        raise InvalidFile(problems)
    checksum = content_checksum(data)
    meta, version_meta = data["framework"], data["version"]
    with transaction.atomic():
        framework, _ = Framework.objects.get_or_create(
            code=meta["code"],
            defaults={"name": meta["name"], "description": meta.get("description", "")},
        )
        existing = FrameworkVersion.objects.filter(framework=framework, checksum=checksum).first()
        if existing:
            return LoadResult(version=existing, created=False)
        label = str(version_meta["label"])
        last = (
            FrameworkVersion.objects.filter(framework=framework, label=label)
            .order_by("-revision")
            .first()
        )
        version = FrameworkVersion.objects.create(
            framework=framework,
            label=label,
            revision=last.revision + 1 if last else 1,
            name=version_meta["name"],
            description=version_meta.get("description", ""),
            checksum=checksum,
            source_name=source_name,
        )
        _store_content(version, data)
        version.published_at = timezone.now()
        version.save(update_fields=["published_at"])
    return LoadResult(version=version, created=True)


def _store_content(version: FrameworkVersion, data: dict) -> None:
    levels = {
        lv["number"]: Level(
            version=version,
            number=lv["number"],
            name=lv["name"],
            colour=lv["colour"],
            description=lv.get("description", ""),
        )
        for lv in data["levels"]
    }
    Level.objects.bulk_create(levels.values())
    enablers = {
        e["code"]: Enabler(
            version=version,
            code=e["code"],
            name=e["name"],
            description=e.get("description", ""),
            position=i,
        )
        for i, e in enumerate(data.get("enablers") or [], start=1)
    }
    Enabler.objects.bulk_create(enablers.values())

    themes, areas, codes, raw_codes = [], [], [], []
    for t, theme_data in enumerate(data["themes"], start=1):
        theme = Theme(
            version=version,
            code=str(theme_data["code"]),
            name=theme_data["name"],
            description=theme_data.get("description", ""),
            position=t,
        )
        themes.append(theme)
        for area_data in theme_data["key_areas"]:
            area = KeyArea(
                version=version,
                theme=theme,
                code=str(area_data["code"]),
                name=area_data["name"],
                description=area_data.get("description", ""),
                position=len(areas) + 1,
            )
            areas.append(area)
            for vc_data in area_data["value_codes"]:
                codes.append(
                    ValueCode(
                        version=version,
                        key_area=area,
                        code=str(vc_data["code"]),
                        title=vc_data["title"],
                        description=vc_data["description"],
                        guidance=vc_data.get("guidance") or "",
                        position=len(codes) + 1,
                    )
                )
                raw_codes.append(vc_data)
    Theme.objects.bulk_create(themes)
    KeyArea.objects.bulk_create(areas)
    ValueCode.objects.bulk_create(codes)

    through = ValueCode.enablers.through
    links, descriptors = [], []
    for vc, vc_data in zip(codes, raw_codes, strict=True):
        for e in vc_data.get("enablers") or []:
            links.append(through(valuecode_id=vc.pk, enabler_id=enablers[e].pk))
        for number, text in vc_data["levels"].items():
            descriptors.append(
                LevelDescriptor(value_code=vc, level=levels[int(number)], text=text.strip())
            )
    through.objects.bulk_create(links)
    LevelDescriptor.objects.bulk_create(descriptors)
