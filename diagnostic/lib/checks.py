"""System checks that keep an unsafe configuration out of production."""

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register


@register(Tags.security, deploy=True)
def check_secret_key(app_configs, **kwargs):
    if settings.SECRET_KEY == settings.INSECURE_SECRET_KEY:
        return [
            Error(
                "SECRET_KEY is the built-in development key.",
                hint="Set the SECRET_KEY environment variable to a long random value.",
                id="diagnostic.E001",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def check_sqlite_in_production(app_configs, **kwargs):
    engine = settings.DATABASES["default"]["ENGINE"]
    if not settings.DEBUG and engine.endswith("sqlite3"):
        return [
            Warning(
                "Production should run on PostgreSQL.",
                hint="Set DATABASE_URL=postgres://…",
                id="diagnostic.W002",
            )
        ]
    return []
