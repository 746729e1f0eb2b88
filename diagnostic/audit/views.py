"""The audit trail, read: the national team's search and a lead's history of their response.
Nothing here changes an event: there are no such routes (and the model refuses)."""

from __future__ import annotations

import csv

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from diagnostic.accounts import access
from diagnostic.audit import queries
from diagnostic.audit.forms import TrailFilterForm
from diagnostic.audit.services import record
from diagnostic.lib.spreadsheets import neutralise_row

PER_PAGE = 50


def _filtered(request: HttpRequest):
    form = TrailFilterForm(request.GET or None)
    filters = form.filters() if form.is_bound and form.is_valid() else {}
    return form, queries.events(**filters)


@login_required
@require_safe
def trail(request: HttpRequest) -> HttpResponse:
    access.require_national(request.user)
    form, qs = _filtered(request)
    page = Paginator(qs, PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "audit/trail.html", {
        "form": form, "page": page, "rows": queries.with_changes(list(page.object_list)),
        "query_string": query.urlencode(), "status": 400 if form.errors else 200,
    }, status=400 if form.errors else 200)  # fmt: skip


@login_required
@require_safe
def trail_csv(request: HttpRequest) -> HttpResponse:
    access.require_national(request.user)
    form, qs = _filtered(request)
    if form.errors:
        return HttpResponse("The filters are not valid.", status=400, content_type="text/plain")
    record(
        "audit_trail.exported",
        actor=request.user,
        filters={k: str(v) for k, v in request.GET.items()},
    )

    class Echo:
        def write(self, value):
            return value

    writer = csv.writer(Echo())

    def stream():
        yield "\ufeff"
        yield writer.writerow(queries.CSV_COLUMNS)
        batch = []
        for e in qs.iterator(chunk_size=500):
            batch.append(e)
            if len(batch) == 500:
                yield from (
                    writer.writerow(neutralise_row(r))
                    for r in queries.csv_rows(queries.with_changes(batch))
                )
                batch = []
        yield from (
            writer.writerow(neutralise_row(r))
            for r in queries.csv_rows(queries.with_changes(batch))
        )

    response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="nps-audit-trail.csv"'
    return response


@login_required
@require_safe
def response_trail(request: HttpRequest, response_id: int) -> HttpResponse:
    """A council's lead reads everything recorded about their response."""
    response = access.get_response_for_lead(request.user, response_id)
    page = Paginator(queries.events_of_response(response), PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(request, "audit/response_trail.html", {
        "response": response, "page": page, "rows": queries.with_changes(list(page.object_list)),
        "query_string": "",
    })  # fmt: skip
