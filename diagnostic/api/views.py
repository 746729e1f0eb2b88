"""Pages of the API that are web pages: a person's tokens, and the readable reference."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from diagnostic.accounts import access
from diagnostic.api import services
from diagnostic.api.forms import TokenForm
from diagnostic.api.models import ApiToken
from diagnostic.api.problems import KINDS, problem
from diagnostic.lib.http import require_get_or_post


@require_safe
def index(request: HttpRequest) -> HttpResponse:
    """/api/v1/: where the description and the reference are."""
    return JsonResponse(
        {
            "openapi": request.build_absolute_uri("/api/v1/openapi.json"),
            "reference": request.build_absolute_uri(reverse("apiweb:reference")),
            "guide": "docs/api.md in the source",
        }
    )


def not_found(request: HttpRequest) -> HttpResponse:
    return problem(request, "not-found", "There is no such API endpoint.")


@never_cache
@login_required
@require_get_or_post
def tokens(request: HttpRequest) -> HttpResponse:
    """The person's API tokens: make one (its secret shown once, on this response only), see
    them all with when each was last used, revoke one. Only for someone holding a role."""
    if not access.memberships_of(request.user):
        raise PermissionDenied("API tokens are for people with a role.")
    form = TokenForm(request.POST or None)
    created, secret = None, None
    if request.method == "POST" and form.is_valid():
        try:
            created, secret = services.do_create_token(by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            form = TokenForm()
    ctx = {
        "form": form,
        "created": created,
        "secret": secret,
        "tokens": ApiToken.objects.filter(user=request.user).select_related("user"),
    }
    status = 422 if request.method == "POST" and form.errors else 200
    return render(request, "api/tokens.html", ctx, status=status)


@login_required
@require_POST
def revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    # The person's own tokens only: anyone else's is 404, like a token that does not exist.
    token = ApiToken.objects.filter(pk=token_id, user=request.user).first()
    if token is None:
        raise Http404
    services.do_revoke_token(by=request.user, token=token)
    messages.success(request, f"The token “{token.name}” no longer works.")
    return redirect("apiweb:tokens")


@require_safe
def reference(request: HttpRequest) -> HttpResponse:
    """The API reference, drawn from the OpenAPI description (no script, so CSP holds)."""
    from diagnostic.api.api import api

    schema = api.get_openapi_schema(path_prefix="")
    operations = []
    for path, item in schema["paths"].items():
        for method, op in item.items():
            operations.append(
                {
                    "id": op.get("operationId", ""),
                    "method": method.upper(),
                    "path": path,
                    "summary": op.get("summary", ""),
                    "description": op.get("description", ""),
                    "tag": (op.get("tags") or ["Other"])[0],
                    "token": bool(op.get("security")),
                    "parameters": [
                        {
                            "name": p["name"],
                            "in": p["in"],
                            "required": p.get("required", False),
                            "description": p.get("description", "")
                            or p.get("schema", {}).get("description", ""),
                        }
                        for p in op.get("parameters", [])
                    ],
                    "body": "requestBody" in op,
                    "statuses": sorted(op.get("responses", {})),
                }
            )
    tags = []
    for op in operations:
        if op["tag"] not in tags:
            tags.append(op["tag"])
    ctx = {
        "groups": [(t, [op for op in operations if op["tag"] == t]) for t in tags],
        "problems": [(slug, status, title) for slug, (status, title) in KINDS.items()],
    }
    return render(request, "api/reference.html", ctx)
