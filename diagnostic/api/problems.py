"""One error shape for the whole API: problem details (RFC 9457), `application/problem+json`.

Every error the API answers, from a bad query parameter to a stale answer, is a `Problem`:
`type` (a link to its explanation in the reference page), `title`, `status`, `detail`,
`instance` (the path asked for) and, for invalid input, `errors`: one entry per field, naming
where it was (`body`, `query`, `path`) and what is wrong with it.
"""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from diagnostic.assessments.services import ResponseLocked, StaleAnswer

log = logging.getLogger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"
REFERENCE = "/api/v1/reference/#problem-"

# slug -> (status, title); the reference page explains each one under #problem-<slug>.
KINDS = {
    "bad-request": (400, "The request could not be read"),
    "invalid-input": (422, "The request has invalid input"),
    "unauthorised": (401, "A valid API token is needed"),
    "forbidden": (403, "Not allowed"),
    "scope-missing": (403, "The token lacks the scope this request needs"),
    "not-found": (404, "Not found"),
    "method-not-allowed": (405, "Method not allowed"),
    "stale-version": (409, "Someone else saved this since you read it"),
    "locked": (423, "This response can no longer be changed"),
    "rate-limited": (429, "Too many requests"),
    "server-error": (500, "Something went wrong on our side"),
}


class FieldError(Schema):
    location: str  # body, query, path or header
    field: str  # dotted name inside that location, e.g. "current_level"
    message: str


class Problem(Schema):
    type: str
    title: str
    status: int
    detail: str
    instance: str
    errors: list[FieldError] = []


class RateLimited(Exception):
    def __init__(self, retry_after: int):
        self.retry_after = max(1, int(retry_after))
        super().__init__(f"retry after {self.retry_after}s")


class ScopeMissing(Exception):
    def __init__(self, scope: str):
        self.scope = scope
        super().__init__(scope)


def problem(
    request: HttpRequest, kind: str, detail: str, *, errors: list[dict] | None = None,
    extra: dict | None = None, headers: dict | None = None,
) -> HttpResponse:  # fmt: skip
    from diagnostic.api.api import api

    status, title = KINDS[kind]
    body = {
        "type": REFERENCE + kind,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.path,
        "errors": errors or [],
        **(extra or {}),
    }
    response = HttpResponse(
        api.renderer.render(request, body, response_status=status),
        status=status,
        content_type=PROBLEM_CONTENT_TYPE,
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _pydantic_errors(errors: list[dict]) -> list[dict]:
    """ninja's validation errors ({loc: ["body", "payload", "current_level"], msg}) as ours."""
    out = []
    for e in errors:
        loc = [str(x) for x in e.get("loc", [])]
        location = loc[0] if loc else "body"
        rest = loc[1:]
        # ninja nests the body under the parameter's name ("payload"); queries under the
        # pagination or filter object's name. Neither is what the client sent.
        if location in ("body", "query") and len(rest) > 1:
            rest = rest[1:]
        field = ".".join(rest) or location
        message = e.get("msg", "Invalid value.")
        if e.get("type") == "missing":
            message = "This field is required."
        out.append({"location": location, "field": field, "message": message})
    return out


def _django_errors(exc: DjangoValidationError) -> list[dict]:
    if hasattr(exc, "error_dict"):
        return [
            {"location": "body", "field": field, "message": " ".join(str(m) for m in messages)}
            for field, messages in exc.message_dict.items()
        ]
    return [{"location": "body", "field": "", "message": m} for m in exc.messages]


def install(api) -> None:
    """Register a handler for every exception a request can end in."""

    def on(exc_class):
        def register(fn):
            api.add_exception_handler(exc_class, fn)
            return fn

        return register

    @on(NinjaValidationError)
    def invalid(request, exc):
        errors = _pydantic_errors(exc.errors)
        return problem(request, "invalid-input", "Fix the fields listed in errors.", errors=errors)

    @on(DjangoValidationError)
    def invalid_for_service(request, exc):
        errors = _django_errors(exc)
        return problem(request, "invalid-input", "Fix the fields listed in errors.", errors=errors)

    @on(AuthenticationError)
    def unauthorised(request, exc):
        return problem(
            request, "unauthorised",
            "Send a personal API token as 'Authorization: Bearer nps_…'. It may be missing, "
            "unknown, expired or revoked; make one on your account page.",
            headers={"WWW-Authenticate": 'Bearer realm="nps-diagnostic"'},
        )  # fmt: skip

    @on(ScopeMissing)
    def scope_missing(request, exc):
        return problem(
            request, "scope-missing",
            f"This request needs a token with the '{exc.scope}' scope.",
        )  # fmt: skip

    @on(PermissionDenied)
    def forbidden(request, exc):
        return problem(request, "forbidden", str(exc) or "Your roles do not allow this.")

    @on(Http404)
    def not_found(request, exc):
        return problem(request, "not-found", "There is nothing here that you may see.")

    @on(StaleAnswer)
    def stale(request, exc):
        from diagnostic.api.routers.council import view_out
        from diagnostic.api.schemas import answer_out
        from diagnostic.assessments.models import Answer

        current = exc.answer
        shown = answer_out(current) if isinstance(current, Answer) else view_out(current)
        return problem(
            request, "stale-version",
            f"The stored answer is at version {exc.answer.version}; it is in 'current'. "
            "Send your change again with that version if you still want it.",
            extra={"current": shown},
        )  # fmt: skip

    @on(ResponseLocked)
    def locked(request, exc):
        return problem(
            request, "locked",
            "The response is submitted, or its round is not accepting answers.",
        )  # fmt: skip

    @on(RateLimited)
    def rate_limited(request, exc):
        return problem(
            request, "rate-limited",
            f"This token has made too many requests. Try again in {exc.retry_after} seconds.",
            headers={"Retry-After": str(exc.retry_after)},
        )  # fmt: skip

    @on(HttpError)
    def http_error(request, exc):
        kind = next((k for k, (s, _) in KINDS.items() if s == exc.status_code), "server-error")
        return problem(request, kind, str(exc))

    @on(Exception)
    def server_error(request, exc):
        log.exception("API error on %s %s", request.method, request.path)
        return problem(request, "server-error", "The error has been logged.")
