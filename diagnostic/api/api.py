"""The JSON API, version 1: one NinjaAPI, its routers, its error handlers and its OpenAPI.

Mounted at /api/v1/ (diagnostic/api/urls.py). The OpenAPI description is at
/api/v1/openapi.json; the readable reference (our own page, no script) at /api/v1/reference/.
"""

from __future__ import annotations

from ninja import NinjaAPI

from diagnostic.api import problems

DESCRIPTION = """\
Published results and the framework for anyone; a council's own response for its systems; the
national data for analysts. Open endpoints need no token. Every other endpoint needs a personal
API token (`Authorization: Bearer nps_…`), made on your account page, and acts with your roles.
Errors are problem details (RFC 9457). Guide: docs/api.md in the source.
"""


class Api(NinjaAPI):
    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        # Errors are served as application/problem+json; say so in the description.
        for path_item in schema.get("paths", {}).values():
            for operation in path_item.values():
                _refuse_control_characters(operation)
                for status, response in operation.get("responses", {}).items():
                    content = response.get("content", {})
                    if str(status) >= "400" and "application/json" in content:
                        response["content"] = {
                            problems.PROBLEM_CONTENT_TYPE: content.pop("application/json")
                        }
                    if str(status) == "429":
                        response["headers"] = {
                            "Retry-After": {
                                "description": "Seconds to wait before trying again.",
                                "schema": {"type": "integer"},
                            }
                        }
        return schema

    def get_openapi_operation_id(self, operation) -> str:
        return operation.view_func.__name__


def _refuse_control_characters(operation: dict) -> None:
    """Every request passes diagnostic/lib/middleware.ControlCharactersMiddleware first: a
    control character in a path part (404) or query value (400, tab and line breaks aside) is
    refused before the operation runs. Say so: a pattern on each text parameter, and the 400."""
    from diagnostic.api.schemas import FREE_TEXT, PLAIN_TEXT

    def add_pattern(param_schema: dict, pattern: str) -> None:
        if param_schema.get("type") == "string" and not {"pattern", "enum", "format"} & set(
            param_schema
        ):
            param_schema["pattern"] = pattern
        for alternative in param_schema.get("anyOf", []) + param_schema.get("oneOf", []):
            add_pattern(alternative, pattern)

    for parameter in operation.get("parameters", []):
        add_pattern(
            parameter.get("schema", {}),
            PLAIN_TEXT if parameter.get("in") == "path" else FREE_TEXT,
        )
    responses = operation.setdefault("responses", {})
    if "400" not in responses and 400 not in responses:
        responses[400] = {
            "description": "The request could not be read (for example a control character).",
            "content": {
                problems.PROBLEM_CONTENT_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}
            },
        }


api = Api(
    title="NPS Diagnostic API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api",
    docs_url=None,
)
problems.install(api)

from diagnostic.api.routers import broker, council, open, practice, sector, support  # noqa: E402

api.add_router("", open.router)
api.add_router("", council.router)
api.add_router("", sector.router)
api.add_router("", practice.router)
api.add_router("", broker.router)
api.add_router("", support.router)
