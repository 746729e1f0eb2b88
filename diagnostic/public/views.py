"""Pages anyone can read without signing in."""

from __future__ import annotations

from pathlib import Path

from django.db import connection
from django.db.models import Count, Prefetch
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_safe

from diagnostic.accounts import access
from diagnostic.frameworks.models import (
    FrameworkVersion,
    KeyArea,
    LevelDescriptor,
    Theme,
    ValueCode,
)


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    version, rnd = _current_version()
    return render(
        request,
        "public/home.html",
        {"framework": version, "current_round": rnd, "about": _describe(version)},
    )


def _current_version():
    """The framework version of the current round (the newest open one, else the newest that
    has opened), with that round; with no round yet, the newest published version."""
    from diagnostic.assessments.models import Round

    rounds = Round.objects.exclude(status=Round.Status.DRAFT).select_related(
        "framework_version__framework"
    )
    rnd = (
        rounds.filter(status=Round.Status.OPEN).order_by("-opens_on").first()
        or rounds.order_by("-opens_on").first()
    )
    if rnd is not None:
        return rnd.framework_version, rnd
    return _latest_version(), None


def _describe(version: FrameworkVersion | None) -> dict | None:
    """What the home page says about a framework version, all from its data (5 queries)."""
    if version is None:
        return None
    from diagnostic.frameworks.models import Enabler, Level

    themes = list(Theme.objects.filter(version=version).order_by("position"))
    levels = list(Level.objects.filter(version=version).order_by("number"))
    enablers = list(Enabler.objects.filter(version=version).order_by("position"))
    return {
        "themes": themes,
        "key_areas": KeyArea.objects.filter(version=version).count(),
        "value_codes": ValueCode.objects.filter(version=version).count(),
        "levels": levels,
        "enablers": enablers,
    }


@require_safe
def privacy(request: HttpRequest) -> HttpResponse:
    from django.conf import settings

    return render(request, "public/privacy.html", {
        "invitation_days": settings.RETENTION_INVITATION_DAYS,
        "sign_in_days": settings.RETENTION_SIGN_IN_DAYS,
        "session_hours": settings.SESSION_COOKIE_AGE // 3600,
        "idle_minutes": settings.SESSION_IDLE_TIMEOUT // 60,
    })  # fmt: skip


@require_safe
def accessibility(request: HttpRequest) -> HttpResponse:
    return render(request, "public/accessibility.html")


@require_safe
def about_data(request: HttpRequest) -> HttpResponse:
    return render(request, "public/about_data.html")


def _latest_version() -> FrameworkVersion | None:
    return (
        FrameworkVersion.objects.filter(published_at__isnull=False)
        .select_related("framework")
        .order_by("-published_at")
        .first()
    )


@require_safe
def framework_index(request: HttpRequest) -> HttpResponse:
    versions = (
        FrameworkVersion.objects.filter(published_at__isnull=False)
        .select_related("framework")
        .annotate(value_code_count=Count("valuecodes"))
        .order_by("framework__name", "-label", "-revision")
    )
    return render(request, "public/framework_index.html", {"versions": versions})


@require_safe
def framework_version(request: HttpRequest, framework_code: str, version: str) -> HttpResponse:
    fv = access.get_framework_version(framework_code, version)
    themes = (
        Theme.objects.filter(version=fv)
        .prefetch_related(
            Prefetch(
                "key_areas",
                queryset=KeyArea.objects.annotate(value_code_count=Count("value_codes")),
            )
        )
        .order_by("position")
    )
    ctx = {
        "version": fv,
        "themes": themes,
        "levels": fv.levels.all(),
        "enablers": fv.enablers.annotate(value_code_count=Count("value_codes")),
    }
    return render(request, "public/framework_version.html", ctx)


@require_safe
def key_area(
    request: HttpRequest, framework_code: str, version: str, area_code: str
) -> HttpResponse:
    fv = access.get_framework_version(framework_code, version)
    area = access.get_key_area(fv, area_code)
    codes = (
        ValueCode.objects.filter(key_area=area)
        .prefetch_related(
            "enablers",
            Prefetch("descriptors", queryset=LevelDescriptor.objects.select_related("level")),
        )
        .order_by("position")
    )
    ctx = {"version": fv, "area": area, "value_codes": codes, "levels": fv.levels.all()}
    return render(request, "public/key_area.html", ctx)


@require_safe
def value_code(request: HttpRequest, framework_code: str, version: str, code: str) -> HttpResponse:
    fv = access.get_framework_version(framework_code, version)
    vc = access.get_value_code(fv, code)
    return render(request, "public/value_code.html", {"version": fv, "vc": vc})


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """200 with {"status": "ok"} when the database answers; 503 otherwise."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any database failure means "not healthy"
        return JsonResponse(
            {"status": "unavailable", "database": "unreachable", "error": type(exc).__name__},
            status=503,
        )
    return JsonResponse({"status": "ok", "database": "ok"})


def bad_request(request: HttpRequest, exception=None) -> HttpResponse:
    return render(request, "errors/400.html", status=400)


def not_found(request: HttpRequest, exception=None) -> HttpResponse:
    return render(request, "errors/404.html", status=404)


def forbidden(request: HttpRequest, exception=None) -> HttpResponse:
    return render(request, "errors/403.html", {"reason": str(exception or "")}, status=403)


def server_error(request: HttpRequest) -> HttpResponse:
    return render(request, "errors/500.html", status=500)


FAVICON = Path(__file__).resolve().parents[1] / "static" / "img" / "favicon.ico"


@cache_control(max_age=86400, public=True)
@require_safe
def favicon(request: HttpRequest) -> HttpResponse:
    """The site icon at the address browsers and other clients ask for without a link."""
    return HttpResponse(FAVICON.read_bytes(), content_type="image/vnd.microsoft.icon")
