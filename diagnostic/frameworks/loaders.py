"""Load a framework file (YAML or JSON) as a published framework version.

The file is validated whole (`frameworks/validation.py`) before anything is stored. Its parsed
content is fingerprinted: loading a file whose content is already loaded does nothing, and a
changed file becomes a new version (the same label with the next revision), never an edit of a
published one.
"""

from __future__ import annotations

import copy
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
from diagnostic.frameworks.validation import level_key, validate_framework
from diagnostic.lib.problems import InvalidFile, Problem

SHIPPED_DIR = Path(__file__).resolve().parent / "data"
NPS_2018 = SHIPPED_DIR / "nps-2018.yaml"


@dataclass
class LoadResult:
    version: FrameworkVersion
    created: bool


END_MARKER = "..."


class _StrictLoader(yaml.SafeLoader):
    """PyYAML's safe loader, except that a key given twice in one mapping is a problem (PyYAML
    would keep the last one silently)."""

    def __init__(self, stream):
        super().__init__(stream)
        self.duplicates: list[Problem] = []

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            self.flatten_mapping(node)
            first: dict = {}
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=True)
                try:
                    seen = first.get(key)
                except TypeError:
                    continue  # an unhashable key: the constructor below reports it
                mark = key_node.start_mark
                if seen is not None:
                    self.duplicates.append(Problem(
                        f"line {mark.line + 1}, column {mark.column + 1}",
                        f"the key '{key}' is given twice in the same place (first on line "
                        f"{seen.line + 1}); keep one",
                    ))  # fmt: skip
                else:
                    first[key] = mark
        return super().construct_mapping(node, deep=deep)


def _looks_like_json(text: str) -> bool:
    return text.lstrip("\ufeff \t\r\n").startswith("{")


def parse_framework_text(text: str) -> dict:
    """Parse and check a framework file's text; raise InvalidFile with every problem.

    A YAML file must end with YAML's end-of-document line, `...`, so that a file cut short
    (a failed copy, a truncated upload) is refused rather than loaded as a new revision with
    part of a descriptor. (A JSON file cut short is not valid JSON.)"""
    loader = _StrictLoader(text)
    try:
        data = loader.get_single_data()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(file)"
        raise InvalidFile([Problem(where, f"not valid YAML or JSON: {exc}")]) from None
    finally:
        loader.dispose()
    problems = [*_cut_short(text), *loader.duplicates, *validate_framework(data)]
    if problems:
        raise InvalidFile(problems)
    return data


def _cut_short(text: str) -> list[Problem]:
    if _looks_like_json(text):
        return []
    lines = [line.rstrip() for line in text.splitlines() if line.strip()]
    if lines and lines[-1] == END_MARKER:
        return []
    return [Problem(
        "(end of file)",
        f"the last line must be '{END_MARKER}' (YAML's end of document): without it the file "
        "may have been cut short. Check that the file is complete, then add "
        f"'{END_MARKER}' as its last line",
    )]  # fmt: skip


def _canonical(data: dict) -> dict:
    """The content with each descriptor keyed by its level number (a JSON file, or a quoted YAML
    key, gives '3'; a plain YAML key gives 3): the same content has the same checksum."""
    data = copy.deepcopy(data)
    for theme in data["themes"]:
        for area in theme["key_areas"]:
            for vc in area["value_codes"]:
                vc["levels"] = {level_key(k): v for k, v in vc["levels"].items()}
    return data


def content_checksum(data: dict) -> str:
    canonical = json.dumps(_canonical(data), sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _text(value) -> str:
    """Text as stored: trimmed (the length limits are checked on the trimmed text)."""
    return "" if value is None else str(value).strip()


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
            code=_text(meta["code"]),
            defaults={"name": _text(meta["name"]), "description": _text(meta.get("description"))},
        )
        existing = FrameworkVersion.objects.filter(framework=framework, checksum=checksum).first()
        if existing:
            return LoadResult(version=existing, created=False)
        label = _text(version_meta["label"])
        last = (
            FrameworkVersion.objects.filter(framework=framework, label=label)
            .order_by("-revision")
            .first()
        )
        version = FrameworkVersion.objects.create(
            framework=framework,
            label=label,
            revision=last.revision + 1 if last else 1,
            name=_text(version_meta["name"]),
            description=_text(version_meta.get("description")),
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
            name=_text(lv["name"]),
            colour=_text(lv["colour"]),
            description=_text(lv.get("description")),
        )
        for lv in data["levels"]
    }
    Level.objects.bulk_create(levels.values())
    enablers = {
        _text(e["code"]): Enabler(
            version=version,
            code=_text(e["code"]),
            name=_text(e["name"]),
            description=_text(e.get("description")),
            position=i,
        )
        for i, e in enumerate(data.get("enablers") or [], start=1)
    }
    Enabler.objects.bulk_create(enablers.values())

    themes, areas, codes, raw_codes = [], [], [], []
    for t, theme_data in enumerate(data["themes"], start=1):
        theme = Theme(
            version=version,
            code=_text(theme_data["code"]),
            name=_text(theme_data["name"]),
            description=_text(theme_data.get("description")),
            position=t,
        )
        themes.append(theme)
        for area_data in theme_data["key_areas"]:
            area = KeyArea(
                version=version,
                theme=theme,
                code=_text(area_data["code"]),
                name=_text(area_data["name"]),
                description=_text(area_data.get("description")),
                position=len(areas) + 1,
            )
            areas.append(area)
            for vc_data in area_data["value_codes"]:
                codes.append(
                    ValueCode(
                        version=version,
                        key_area=area,
                        code=_text(vc_data["code"]),
                        title=_text(vc_data["title"]),
                        description=_text(vc_data["description"]),
                        guidance=_text(vc_data.get("guidance")),
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
            links.append(through(valuecode_id=vc.pk, enabler_id=enablers[_text(e)].pk))
        for key, text in vc_data["levels"].items():
            descriptors.append(
                LevelDescriptor(value_code=vc, level=levels[level_key(key)], text=_text(text))
            )
    through.objects.bulk_create(links)
    LevelDescriptor.objects.bulk_create(descriptors)
