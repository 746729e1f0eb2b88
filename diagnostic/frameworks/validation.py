"""Validate a framework file's content. Pure functions: no database.

`validate_framework(data)` returns every problem found, each with its path in the file
(`themes[1].key_areas[0].value_codes[3].levels`) and what is wrong, so a file is fixed in one
pass. The format is documented in docs/framework-format.md.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from typing import Any

from diagnostic.lib.problems import Problem

CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,19}$")
LEVEL_KEY_RE = re.compile(r"^[1-9][0-9]{0,2}$")

# The fields each part of the file may have (docs/framework-format.md). Anything else is
# refused, so a misspelt optional field (`guidence:`) is never silently dropped.
FIELDS = {
    "framework": ("code", "name", "description"),
    "version": ("label", "name", "description"),
    "level": ("number", "name", "colour", "description"),
    "enabler": ("code", "name", "description"),
    "theme": ("code", "name", "description", "key_areas"),
    "key area": ("code", "name", "description", "value_codes"),
    "value code": ("code", "title", "description", "guidance", "enablers", "levels"),
}
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
COLOUR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")


class _Checker:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, where: str, message: str) -> None:
        self.problems.append(Problem(where, message))

    def mapping(self, value: Any, where: str, *, part: str | None = None) -> dict | None:
        if not isinstance(value, dict):
            self.add(where, "must be a mapping (key: value pairs)")
            return None
        if part is not None:
            self.known_fields(value, where, part)
        return value

    def known_fields(self, value: dict, where: str, part: str) -> None:
        known = FIELDS[part]
        for key in value:
            if key in known:
                continue
            close = difflib.get_close_matches(str(key), known, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            self.add(
                f"{where}.{key}",
                f"is not a field of a {part} (known: {', '.join(known)}){hint}",
            )

    def items(self, parent: dict, key: str, where: str, *, minimum: int = 1) -> list:
        value = parent.get(key)
        path = f"{where}.{key}" if where else key
        if value is None:
            self.add(path, "is missing")
            return []
        if not isinstance(value, list):
            self.add(path, "must be a list")
            return []
        if len(value) < minimum:
            self.add(path, f"must have at least {minimum} item(s)")
        return value

    def text(self, parent: dict, key: str, where: str, *, required=True, max_length=None) -> str:
        value = parent.get(key)
        path = f"{where}.{key}" if where else key
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.add(path, "is missing or empty")
            return ""
        if not isinstance(value, str | int | float):
            self.add(path, "must be text")
            return ""
        value = str(value).strip()
        if max_length and len(value) > max_length:
            self.add(path, f"is longer than {max_length} characters")
        return value

    def code(self, parent: dict, key: str, where: str, pattern=CODE_RE) -> str:
        value = self.text(parent, key, where)
        if value and not pattern.match(value):
            self.add(
                f"{where}.{key}",
                f"'{value}' is not a valid code (letters, digits, '.', '-', '_'; at most "
                f"{20 if pattern is CODE_RE else 40} characters)",
            )
        return value


def validate_framework(data: Any) -> list[Problem]:
    """Every problem in a parsed framework file; an empty list means it can be loaded."""
    c = _Checker()
    root = c.mapping(data, "(file)")
    if root is None:
        return c.problems
    unknown = set(root) - {"framework", "version", "levels", "enablers", "themes"}
    for key in sorted(unknown):
        c.add(key, "is not a known section (framework, version, levels, enablers, themes)")

    framework = c.mapping(root.get("framework"), "framework", part="framework")
    if framework is not None:
        c.code(framework, "code", "framework", pattern=SLUG_RE)
        c.text(framework, "name", "framework", max_length=200)
    version = c.mapping(root.get("version"), "version", part="version")
    if version is not None:
        c.text(version, "label", "version", max_length=40)
        c.text(version, "name", "version", max_length=200)

    levels = c.items(root, "levels", "", minimum=2)
    level_numbers: list[int] = []
    for i, raw in enumerate(levels):
        where = f"levels[{i}]"
        level = c.mapping(raw, where, part="level")
        if level is None:
            continue
        number = level.get("number")
        if not isinstance(number, int) or isinstance(number, bool) or number < 1:
            # 0 is kept for "not yet assessed", so levels are numbered from 1.
            c.add(
                f"{where}.number",
                "must be a whole number of 1 or more (0 means 'not yet assessed')",
            )
        else:
            level_numbers.append(number)
        c.text(level, "name", where, max_length=60)
        colour = c.text(level, "colour", where)
        if colour and not COLOUR_RE.match(colour):
            c.add(f"{where}.colour", f"'{colour}' is not a hex colour like #d4351c")
    for number, count in Counter(level_numbers).items():
        if count > 1:
            c.add("levels", f"level number {number} appears {count} times")
    if level_numbers and sorted(level_numbers) != list(range(1, len(level_numbers) + 1)):
        c.add(
            "levels",
            f"level numbers must run without gaps from 1 (1, 2, 3, …); got {sorted(level_numbers)}",
        )

    enabler_codes: list[str] = []
    for i, raw in enumerate(c.items(root, "enablers", "", minimum=0)):
        where = f"enablers[{i}]"
        enabler = c.mapping(raw, where, part="enabler")
        if enabler is None:
            continue
        enabler_codes.append(c.code(enabler, "code", where, pattern=SLUG_RE))
        c.text(enabler, "name", where, max_length=100)
    for code, count in Counter(enabler_codes).items():
        if code and count > 1:
            c.add("enablers", f"enabler code '{code}' appears {count} times")

    theme_codes: list[str] = []
    area_codes: list[tuple[str, str]] = []
    value_codes: list[tuple[str, str]] = []
    for t, raw_theme in enumerate(c.items(root, "themes", "")):
        where = f"themes[{t}]"
        theme = c.mapping(raw_theme, where, part="theme")
        if theme is None:
            continue
        theme_codes.append(c.code(theme, "code", where))
        c.text(theme, "name", where, max_length=150)
        for a, raw_area in enumerate(c.items(theme, "key_areas", where)):
            area_where = f"{where}.key_areas[{a}]"
            area = c.mapping(raw_area, area_where, part="key area")
            if area is None:
                continue
            area_codes.append((c.code(area, "code", area_where), area_where))
            c.text(area, "name", area_where, max_length=150)
            for v, raw_vc in enumerate(c.items(area, "value_codes", area_where)):
                vc_where = f"{area_where}.value_codes[{v}]"
                vc = c.mapping(raw_vc, vc_where, part="value code")
                if vc is None:
                    continue
                value_codes.append((c.code(vc, "code", vc_where), vc_where))
                c.text(vc, "title", vc_where, max_length=200)
                c.text(vc, "description", vc_where)
                c.text(vc, "guidance", vc_where, required=False)
                _check_value_code_enablers(c, vc, vc_where, enabler_codes)
                _check_descriptors(c, vc, vc_where, level_numbers)

    for code, count in Counter(theme_codes).items():
        if code and count > 1:
            c.add("themes", f"theme code '{code}' appears {count} times")
    _report_duplicates(c, area_codes, "key area")
    _report_duplicates(c, value_codes, "value code")
    return c.problems


def _check_value_code_enablers(c: _Checker, vc: dict, where: str, known: list[str]) -> None:
    enablers = vc.get("enablers", [])
    if not isinstance(enablers, list):
        c.add(f"{where}.enablers", "must be a list of enabler codes")
        return
    for e in enablers:
        if e not in known:
            c.add(
                f"{where}.enablers", f"unknown enabler '{e}' (known: {', '.join(known) or 'none'})"
            )
    if len(set(map(str, enablers))) != len(enablers):
        c.add(f"{where}.enablers", "lists an enabler more than once")


def _check_descriptors(c: _Checker, vc: dict, where: str, level_numbers: list[int]) -> None:
    levels = vc.get("levels")
    if not isinstance(levels, dict):
        c.add(f"{where}.levels", "is missing: give one descriptor per level, keyed by level number")
        return
    given = {}
    for key, text in levels.items():
        number = level_key(key)
        if number is None:
            c.add(f"{where}.levels", f"'{key}' is not a level number")
            continue
        if number in given:
            c.add(f"{where}.levels.{key}", f"level {number} has more than one descriptor")
            continue
        if number not in level_numbers:
            c.add(f"{where}.levels.{key}", f"there is no level {number} in this framework")
        if not isinstance(text, str) or not text.strip():
            c.add(f"{where}.levels.{key}", "descriptor is missing or empty")
        given[number] = text
    missing = [n for n in level_numbers if n not in given]
    if missing:
        c.add(
            f"{where}.levels",
            f"has {len(given)} descriptor(s) but the framework has {len(level_numbers)} levels; "
            f"missing level(s) {', '.join(map(str, missing))}",
        )


def level_key(key) -> int | None:
    """A descriptor's key as a level number: 3, or '3' (JSON keys are always text, and a
    quoted YAML key is text too). None for anything else ('three', '03', 3.5, true)."""
    if isinstance(key, bool):
        return None
    if isinstance(key, int):
        return key if key >= 1 else None
    if isinstance(key, str) and LEVEL_KEY_RE.match(key):
        return int(key)
    return None


def _report_duplicates(c: _Checker, codes: list[tuple[str, str]], what: str) -> None:
    first_seen: dict[str, str] = {}
    for code, where in codes:
        if not code:
            continue
        if code in first_seen:
            c.add(
                f"{where}.code",
                f"duplicate {what} code '{code}' (first used at {first_seen[code]})",
            )
        else:
            first_seen[code] = where
