"""Taking an erased person's email and name out of every stored text (UK GDPR Article 17).

`scrub_everywhere` walks every text and JSON column of every model (ours and the Django
admin's log), finds rows that mention the email or the name with one query per column, and
replaces each mention, as a whole word and whatever its case, with its replacement. The audit
trail is append-only, so its events are changed only through `audit.services.scrub_person`.
"""

from __future__ import annotations

import json
import re

from django.apps import apps
from django.db import models
from django.db.models.functions import Cast

# Rows removed rather than rewritten by the erasure itself, or holding no free text of ours.
SKIP = {"accounts.user", "audit.auditevent"}
# Apps beyond ours whose text can name a person (the admin's log names the objects it changed).
OTHER_APPS = {"admin"}


def usable(replacements: dict[str, str]) -> dict[str, str]:
    """Only what is long enough to mean the person (an empty or two-letter name would match
    everywhere)."""
    return {old: new for old, new in replacements.items() if old and len(old) >= 3}


def _pattern(old: str) -> re.Pattern:
    """`old` as a whole word; an email also not inside a longer one (bob.alice@x.org,
    alice@x.org.uk), though it may end a sentence."""
    if "@" in old:
        return re.compile(rf"(?<![\w.+-]){re.escape(old)}(?![\w-]|\.\w)", re.IGNORECASE)
    return re.compile(rf"(?<!\w){re.escape(old)}(?!\w)", re.IGNORECASE)


def replace_in(value, replacements: dict[str, str]):
    """`value` (text, or JSON made of dicts, lists and text) with each mention replaced."""
    if isinstance(value, str):
        for old, new in replacements.items():
            value = _pattern(old).sub(new, value)
        return value
    if isinstance(value, list):
        return [replace_in(v, replacements) for v in value]
    if isinstance(value, dict):
        return {replace_in(k, replacements): replace_in(v, replacements) for k, v in value.items()}
    return value


def text_filter(field: str, replacements: dict[str, str], *, json_field: bool = True) -> models.Q:
    """Rows whose `field` mentions any key of `replacements` (a JSON field is searched as its
    text, with non-ASCII letters also as JSON escapes them)."""
    q = models.Q()
    for old in replacements:
        if json_field:
            q |= models.Q(**{f"_text_{field}__icontains": old})
            escaped = json.dumps(old)[1:-1]
            if escaped != old:
                q |= models.Q(**{f"_text_{field}__icontains": escaped})
        else:
            q |= models.Q(**{f"{field}__icontains": old})
    return q


def _text_fields(model) -> list[models.Field]:
    return [
        f
        for f in model._meta.concrete_fields
        if isinstance(f, models.CharField | models.TextField | models.JSONField) and not f.choices
    ]


def scrub_everywhere(replacements: dict[str, str]) -> dict[str, int]:
    """Replace the mentions in every model but the user and the audit trail; returns how many
    rows changed in each model that had any."""
    replacements = usable(replacements)
    changed: dict[str, int] = {}
    for model in apps.get_models():
        label = model._meta.label_lower
        if label in SKIP or model._meta.proxy or model._meta.managed is False:
            continue
        if not (model.__module__.startswith("diagnostic.") or model._meta.app_label in OTHER_APPS):
            continue
        for field in _text_fields(model):
            is_json = isinstance(field, models.JSONField)
            rows = model._base_manager.all()
            if is_json:
                rows = rows.annotate(
                    **{f"_text_{field.name}": Cast(field.name, models.TextField())}
                )
            rows = rows.filter(text_filter(field.name, replacements, json_field=is_json))
            for pk, value in rows.values_list("pk", field.attname):
                new = replace_in(value, replacements)
                if new != value:
                    model._base_manager.filter(pk=pk).update(**{field.attname: new})
                    changed[label] = changed.get(label, 0) + 1
    return changed
