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

    Paths and parameter names may hold none at all; query-string values and form fields may
    hold tab and line breaks (a form's free text, even sent by GET). Uploaded files are
    checked by their own readers.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            return self._check(request)
        except (Http404, ControlCharacters):
            if not request.path_info.startswith(API_PREFIX):
                raise
            # The JSON API answers in its own shape (problem details), never the site's HTML.
            from diagnostic.api.problems import problem

            if has_control_characters(request.path_info):
                return problem(request, "not-found", "There is no such API endpoint.")
            return problem(request, "bad-request", "The request holds a control character.")

    def _check(self, request):
        if has_control_characters(request.path_info):
            raise Http404("control character in the path")
        for key, values in request.GET.lists():
            if has_control_characters(key) or any(
                has_control_characters(v, free_text=True) for v in values
            ):
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


ALLOWED_METHODS = ("GET", "HEAD", "POST")
# The JSON API routes its own methods (PUT for answers) and answers any other with a
# problem-details 405 and an Allow header (diagnostic/api).
API_PREFIX = "/api/"


class AllowedMethodsMiddleware:
    """Answer 405 to every method no page here uses: TRACE, OPTIONS, PUT, PATCH, DELETE,
    CONNECT and made-up ones (ASVS 13.4.4, 4.1.1). A backstop: every view names its own
    methods (`require_safe`, `require_POST`, `lib.http.require_get_or_post`) and refuses the
    rest itself with its own `Allow` (lib/tests/test_methods_and_caching.py, decision 0030).
    The JSON API under /api/ answers methods itself (its operations name theirs; any other
    gets a problem-details 405)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method not in ALLOWED_METHODS and not request.path_info.startswith(API_PREFIX):
            from django.http import HttpResponseNotAllowed

            return HttpResponseNotAllowed(ALLOWED_METHODS)
        return self.get_response(request)


class NoStoreWhenSignedInMiddleware:
    """`Cache-Control: private, no-store` on every response to a signed-in person, so no
    browser or shared cache keeps a page with a council's data (ASVS 14.3.2, 14.2.2). A view
    that sets its own Cache-Control (a chart image, private and per person) keeps it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not response.has_header("Cache-Control"):
            from django.utils.cache import patch_cache_control

            patch_cache_control(response, private=True, no_store=True)
        return response
