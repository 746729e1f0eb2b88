"""Pages of the API that are web pages: the reference, and a person's tokens."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from diagnostic.api.problems import problem


def not_found(request: HttpRequest) -> HttpResponse:
    return problem(request, "not-found", "There is no such API endpoint.")


def reference(request):
    raise NotImplementedError


def tokens(request):
    raise NotImplementedError


def revoke(request, token_id):
    raise NotImplementedError
