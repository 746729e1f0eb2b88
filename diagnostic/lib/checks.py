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


@register(Tags.security)
def check_xml_parsing_is_defused(app_configs, **kwargs):
    """Uploaded workbooks are parsed by openpyxl, which uses defusedxml only when it is
    installed and OPENPYXL_DEFUSEDXML is not turned off (ASVS 1.5.1)."""
    import openpyxl.xml

    if not openpyxl.xml.DEFUSEDXML:
        return [
            Error(
                "openpyxl is not using defusedxml to parse uploaded workbooks.",
                hint="Install defusedxml (a dependency) and do not set OPENPYXL_DEFUSEDXML.",
                id="diagnostic.E003",
            )
        ]
    return []
