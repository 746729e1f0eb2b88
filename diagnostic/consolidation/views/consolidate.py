"""The lead turns colleagues' views into one answer: the consolidation page, adopting a level
for a value code, and the analysis of views by department and role."""

from __future__ import annotations

import uuid

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from diagnostic.accounts import access
from diagnostic.assessments import queries as assessment_queries
from diagnostic.consolidation import charts, queries, services
from diagnostic.consolidation.services import REASON_MAX
from diagnostic.consolidation.spread import spread
from diagnostic.frameworks.levels import scale_for

# Value codes per page: 59 value codes with eight contributors each is a long page to read
# and to render, so it comes in pages (filters narrow it further).
PER_PAGE = 20
FILTER_FIELDS = ("area", "differ", "open", "show")
ONE_AT_A_TIME = "one"


class FilterForm(forms.Form):
    """The consolidation page's filters (GET); every filter also works without JavaScript."""

    area = forms.ChoiceField(label="Key area", required=False)
    differ = forms.BooleanField(
        label="Only where views differ by two levels or more", required=False
    )
    open = forms.BooleanField(label="Only value codes waiting for a decision", required=False)
    # Fifty-nine value codes with every colleague's view make a very long page: by default the
    # lead works through them one at a time (previous and next keep the filters).
    show = forms.ChoiceField(
        label="Show",
        required=False,
        choices=[(ONE_AT_A_TIME, "One value code at a time"), ("page", f"{PER_PAGE} to a page")],
    )

    def __init__(self, *args, areas, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].choices = [
            ("", "All key areas"),
            *[(a.code, f"{a.code} {a.name}") for a in areas],
        ]
        self.fields["area"].error_messages["invalid_choice"] = "Choose a key area from the list."


class AdoptForm(forms.Form):
    """One adoption: the level, why (needed when it is not the suggestion), and the version of
    the agreed answer the lead was looking at."""

    level = forms.TypedChoiceField(
        coerce=int, error_messages={"required": "Choose a level to adopt."}
    )
    reason = forms.CharField(
        required=False,
        max_length=REASON_MAX,
        strip=True,
        error_messages={"max_length": f"Keep the reason to {REASON_MAX} characters or fewer."},
    )
    version = forms.IntegerField(min_value=0)
    suggested = forms.TypedChoiceField(coerce=int, empty_value=None, required=False)
    request_id = forms.CharField(required=False, max_length=64)

    def __init__(self, *args, scale, **kwargs):
        super().__init__(*args, **kwargs)
        # The framework version's levels, and 0 for "not yet assessed".
        levels = [("0", "0"), *[(str(n), str(n)) for n in scale.numbers]]
        self.fields["level"].choices = levels
        self.fields["level"].error_messages["invalid_choice"] = (
            f"Choose a level from {scale.span}, or 'not yet assessed'."
        )
        self.fields["suggested"].choices = [("", ""), *levels]


# --- Building the page ----------------------------------------------------------------------------
def _filters_from(data: QueryDict) -> QueryDict:
    """Only the filter parameters (and the page), whatever else was posted."""
    out = QueryDict(mutable=True)
    for name in (*FILTER_FIELDS, "page"):
        if data.get(name):
            out[name] = data.get(name)
    return out


def _counts(rows: list[queries.Row]) -> dict:
    return {
        "total": len(rows),
        "with_views": sum(1 for r in rows if r.spread.has_views),
        "differ": sum(1 for r in rows if r.spread.disagreement),
        "open": sum(1 for r in rows if r.needs_decision),
        "consolidated": sum(1 for r in rows if r.is_consolidated),
        "changed": sum(1 for r in rows if r.views_changed_since_decision),
    }


def _decorate(rows: list[queries.Row], levels: dict) -> None:
    """Attach the framework's level (name and colour) to every figure a row shows."""
    for row in rows:
        for v in row.views:
            v.badge = levels.get(v.level)
            v.target_badge = levels.get(v.answer.target_level) if v.answer else None
        row.suggested_badge = levels.get(row.spread.suggested)
        row.agreed_badge = levels.get(row.agreed.current_level) if row.agreed else None
        row.decision_badge = levels.get(row.decision.adopted_level) if row.decision else None
        # A fresh id for each form: a retried post is recognised, a new one is not.
        row.request_ids = {"suggested": uuid.uuid4().hex, "other": uuid.uuid4().hex}
        if not hasattr(row, "adopt"):
            row.adopt = None


def _page_context(
    request: HttpRequest,
    response,
    params: QueryDict,
    *,
    adopt: dict | None = None,
    paginate: bool = True,
) -> dict:
    """Everything the consolidation page shows, in a fixed number of queries: every value code
    is read once and filtered here, so the counts cover the whole response."""
    assignments = queries.assignments_of(response)
    rows = queries.consolidation_rows(response, assignments=assignments)
    areas = []
    for r in rows:
        if not areas or areas[-1].pk != r.value_code.key_area_id:
            areas.append(r.value_code.key_area)
    form = FilterForm(params, areas=areas)
    shown = rows
    area = None
    if form.is_valid():
        data = form.cleaned_data
        if data["area"]:
            area = next(a for a in areas if a.code == data["area"])
            shown = [r for r in shown if r.value_code.key_area_id == area.pk]
        if data["differ"]:
            shown = [r for r in shown if r.spread.disagreement]
        if data["open"]:
            shown = [r for r in shown if r.needs_decision]
    if adopt is not None:
        for r in shown:
            if r.value_code.code == adopt["code"]:
                r.adopt = adopt
    one = form.is_valid() and form.cleaned_data["show"] in ("", ONE_AT_A_TIME)
    per_page = (1 if one else PER_PAGE) if paginate else max(1, len(shown))
    page = Paginator(shown, per_page).get_page(params.get("page"))
    neighbours = {}
    if one and paginate and shown:
        i = page.number - 1
        neighbours = {
            "previous": shown[i - 1].value_code if i > 0 else None,
            "next": shown[i + 1].value_code if i + 1 < len(shown) else None,
        }
    levels = {lv.number: lv for lv in _levels_of(response.round.framework_version_id)}
    _decorate(page.object_list, levels)
    filters = _filters_from(params)
    without_page = filters.copy()
    without_page.pop("page", None)
    return {
        "response": response,
        "round": response.round,
        "organisation": response.organisation,
        "assignments": assignments,
        "rows": page.object_list,
        "page": page,
        "query_string": without_page.urlencode(),
        "filters": filters,
        "filter_form": form,
        "filtering": any(k != "show" for k in without_page),
        "area": area,
        "areas": areas,
        "counts": _counts(rows),
        "area_counts": _area_counts(rows, areas),
        "matching": len(shown),
        "one_at_a_time": one and paginate,
        "neighbours": neighbours,
        "levels": list(levels.values()),
        "can_write": response.is_editable,
    }


def _levels_of(version_id: int) -> list:
    """The framework's levels (names and colours). A framework version in use never changes
    (docs/decisions/0005), so they are kept in the cache and the page stays within ten
    queries."""
    key = f"consolidation:levels:{version_id}"
    levels = cache.get(key)
    if levels is None:
        levels = assessment_queries.levels_of(version_id)
        cache.set(key, levels, 3600)
    return levels


def _area_counts(rows: list[queries.Row], areas: list) -> list[dict]:
    out = []
    for a in areas:
        mine = [r for r in rows if r.value_code.key_area_id == a.pk]
        out.append({"area": a, **_counts(mine)})
    return out


# --- Views ----------------------------------------------------------------------------------------
@login_required
@require_safe
def consolidate(request: HttpRequest, response_id: int) -> HttpResponse:
    """Per value code: everyone's view side by side, the spread, the agreed answer, the decision
    in force and the comments; with filters and one action to adopt a level."""
    response = access.get_response_for_lead(request.user, response_id)
    ctx = _page_context(request, response, request.GET)
    status = 400 if ctx["filter_form"].errors else 200
    template = "consolidation/consolidate.html"
    if request.htmx and not ctx["filter_form"].errors:
        template += "#results"
    return render(request, template, ctx, status=status)


@login_required
@require_POST
def adopt(request: HttpRequest, response_id: int, code: str) -> HttpResponse:
    """Adopt a level for one value code: the suggested one, or another with a reason.

    No JavaScript: back to the consolidation page at the value code (or the page again with the
    problem shown). HTMX: the value code's section, redrawn.
    """
    response = access.get_response_for_lead(request.user, response_id)
    vc = access.get_value_code_in_round(response, code)
    form = AdoptForm(request.POST, scale=scale_for(response.round.framework_version_id))
    filters = _filters_from(request.POST)
    state = {
        "code": vc.code,
        "level": request.POST.get("level", ""),
        "reason": request.POST.get("reason", ""),
        "open_other": request.POST.get("choice") == "other",
        "field_errors": {},
    }
    status, decision = 200, None
    if not response.is_editable:
        status = 423
    elif not form.is_valid():
        status = 422
        state["field_errors"] = {f: list(e) for f, e in form.errors.items()}
    else:
        data = form.cleaned_data
        try:
            decision = services.do_adopt_level(
                by=request.user, response=response, value_code=vc, level=data["level"],
                expected_version=data["version"], reason=data["reason"],
                request_id=data["request_id"] or "",
            )  # fmt: skip
        except services.StaleAnswer as exc:
            status = 409
            state["conflict"] = exc.answer
        except services.ResponseLocked:
            status = 423
        except ValidationError as exc:
            status = 422
            state["field_errors"] = {f: list(e) for f, e in exc.message_dict.items()}
            seen, level = data["suggested"], data["level"]
            if "reason" in state["field_errors"] and seen is not None and seen == level:
                # The lead pressed "adopt the suggestion", but views changed since the page was
                # loaded and the suggestion moved: say so, rather than just ask for a reason.
                now = spread(v["level"] for v in services.views_on(response, vc)).suggested
                state["field_errors"]["reason"] = [
                    "Colleagues' views changed since you loaded this page: the suggested level "
                    f"is now {_level_words(now)}. Adopt that, or say why you chose "
                    f"{_level_words(level)}."
                ]
    if set(state["field_errors"]) - {"level", "reason"}:
        # Hidden fields a person cannot correct: the form they had was altered or broken.
        state["field_errors"] = {
            "level": ["Something went wrong with this form. Reload the page and try again."]
        }
    state["errors"] = [
        (field, e) for field in ("level", "reason") for e in state["field_errors"].get(field, [])
    ]
    if status == 200:
        state["saved"] = f"Adopted {_level_words(decision.adopted_level)} for {vc.code} {vc.title}."
        if getattr(decision, "target_raised_from", None):
            state["saved"] += (
                f" Its target was {decision.target_raised_from}, below that level, so it is now "
                f"{decision.adopted_level} too: change it in the questionnaire if you aim higher."
            )
    elif status == 423:
        state["locked"] = True

    if request.htmx:
        # Only this value code's section, with the counts (and a status message) out of band.
        params = QueryDict(mutable=True)
        params["area"] = vc.key_area.code
        ctx = _page_context(request, response, params, adopt=state, paginate=False)
        ctx["rows"] = [r for r in ctx["rows"] if r.value_code.pk == vc.pk]
        ctx["filters"] = filters
        ctx["oob"] = True
        return render(request, "consolidation/consolidate.html#adopt_result", ctx, status=status)

    if status == 200:
        messages.success(request, state["saved"])
        url = reverse("consolidation:consolidate", args=[response.pk])
        query = filters.urlencode()
        return redirect(f"{url}{'?' + query if query else ''}#vc-{vc.code}")
    if status == 423:
        messages.error(
            request,
            "This response can no longer be changed: it has been submitted or its round is "
            "closed. Nothing was adopted.",
        )
    # The page again at the value code's key area (so the value code is on it whatever the
    # filters were), with the problem shown beside it.
    params = QueryDict(mutable=True)
    params["area"] = vc.key_area.code
    ctx = _page_context(request, response, params, adopt=state, paginate=False)
    ctx["error_code"] = vc.code if status in (409, 422) else None
    return render(request, "consolidation/consolidate.html", ctx, status=status)


@login_required
@require_safe
def analysis(request: HttpRequest, response_id: int) -> HttpResponse:
    """Levels by department and by role in each key area (chart and table), and who has
    contributed what."""
    response = access.get_response_for_lead(request.user, response_id)
    assignments = queries.assignments_of(response, include_withdrawn=True)
    progress = queries.progress_of(response, assignments)
    scale = scale_for(response.round.framework_version_id)
    tables = []
    for dimension, label, plural in [
        ("department", "Department", "departments"),
        ("job_role", "Role", "roles"),
    ]:
        table = queries.levels_by_group(response, dimension)
        rows = [
            {
                "group": g,
                "cells": [{"area": a, "spread": table.cell(a, g)} for a in table.areas],
            }
            for g in table.groups
        ]
        chart = None
        if table.groups:
            chart = charts.levels_by_group_chart(
                table,
                title=f"Median level by {label.lower()} in each key area",
                scale=scale,
                alt_text=(
                    f"Heat map of the median current level that each {label.lower()} gave in "
                    "each key area, labelled with the number; the same figures are in the "
                    "table beside it."
                ),
            )
        tables.append({
            "dimension": dimension, "label": label, "plural": plural, "table": table,
            "rows": rows, "chart": chart,
        })  # fmt: skip
    ctx = {
        "response": response,
        "round": response.round,
        "organisation": response.organisation,
        "tables": tables,
        "progress": progress,
        "has_views": any(p.answered for p in progress) or any(t["table"].groups for t in tables),
        "asked_anyone": bool(assignments),
    }
    return render(request, "consolidation/analysis.html", ctx)


def _level_words(level: int | None) -> str:
    if level is None:
        return "none"
    return "not yet assessed" if level == 0 else f"level {level}"
