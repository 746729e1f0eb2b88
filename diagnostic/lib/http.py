from django.http import HttpRequest
from django.views.decorators.http import require_http_methods


def posted(request: HttpRequest):
    """The POST data to bind a form to, or None for GET: an empty POST is still validated."""
    return request.POST if request.method == "POST" else None


def this_site(request: HttpRequest, url: str | None) -> str:
    """`url` if it is an address on this site (a path, or this host; https when the request
    is), else "": for a "next" or "back" address taken from a request, so that a link can
    never send someone elsewhere (ASVS 3.7.2). Django's own check: a prefix test lets
    `/\\host` through."""
    from django.utils.http import url_has_allowed_host_and_scheme

    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return ""


def date_input():
    """An HTML date input. Browsers only accept ISO dates in its value, whatever the locale."""
    from django import forms

    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


# A view that shows a form and takes it back: GET (and HEAD) and POST, nothing else (ASVS 3.5.3, 13.4.4).
# Read-only views use Django's `require_safe` (GET, HEAD); actions `require_POST`.
require_get_or_post = require_http_methods(["GET", "HEAD", "POST"])
