"""Requests refused before any view runs."""

from __future__ import annotations

from django.core.exceptions import SuspiciousOperation
from django.http import Http404

from diagnostic.lib.text import has_control_characters


class ControlCharacters(SuspiciousOperation):
    """A query string or form field holds a control character (logged as a security event)."""


class ControlCharactersMiddleware:
    """Refuse control characters in every path part (404), query-string parameter (400) and
    form field (400), the same on SQLite and PostgreSQL (ASVS 2.2.1, 1.3.3).

    Paths and query strings may hold none at all; form fields may hold tab and line breaks
    (comments are free text). Uploaded files are checked by their own readers.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if has_control_characters(request.path_info):
            raise Http404("control character in the path")
        for key, values in request.GET.lists():
            if has_control_characters(key) or any(has_control_characters(v) for v in values):
                raise ControlCharacters("control character in the query string")
        if request.method == "POST" and request.content_type in (
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        ):
            for key, values in request.POST.lists():
                if has_control_characters(key) or any(
                    has_control_characters(v, free_text=True) for v in values
                ):
                    raise ControlCharacters("control character in a form field")
        return self.get_response(request)
