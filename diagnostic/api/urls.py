from functools import wraps

from django.http import HttpResponseNotAllowed
from django.urls import URLPattern, include, path, re_path
from django.utils.cache import patch_vary_headers

from diagnostic.api import views
from diagnostic.api.api import api
from diagnostic.api.problems import problem

web = [
    path("api/v1/reference/", views.reference, name="reference"),
    path("account/api-tokens/", views.tokens, name="tokens"),
    path("account/api-tokens/<int:token_id>/revoke/", views.revoke, name="revoke"),
]


def _api_view(view):
    """Around every API view: ninja answers an unsupported method with a plain-text 405, ours
    is a problem too; and what a token reads is never stored by a shared cache."""

    @wraps(view)  # keeps csrf_exempt: the API reads no cookie (auth.py)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if isinstance(response, HttpResponseNotAllowed):
            allow = response["Allow"]
            response = problem(
                request, "method-not-allowed", f"This endpoint answers {allow}.",
                headers={"Allow": allow},
            )  # fmt: skip
        if "HTTP_AUTHORIZATION" in request.META:
            response["Cache-Control"] = "private, no-store"
            patch_vary_headers(response, ["Authorization"])
        return response

    return wrapped


def _api_patterns():
    patterns, app_name, namespace = api.urls
    patterns = [
        URLPattern(p.pattern, views.index, p.default_args, p.name)
        if isinstance(p, URLPattern) and p.name == "api-root"
        else URLPattern(p.pattern, _api_view(p.callback), p.default_args, p.name)
        if isinstance(p, URLPattern)
        else p
        for p in patterns
    ]
    return patterns, app_name, namespace


urlpatterns = [
    path("", include((web, "apiweb"))),
    path("api/v1/", _api_patterns()),
    # Anything else under /api/ is a problem-details 404, not the site's HTML page.
    re_path(r"^api/", views.not_found),
]
