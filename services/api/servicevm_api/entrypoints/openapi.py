"""The OpenAPI document as the api really answers: an invalid request is a 400 in
Neutron's error form (entrypoints.errors), never FastAPI's 422, so the 422 FastAPI adds to
every operation with parameters or a body (and its HTTPValidationError schema) is removed.
A 422 an operation declares itself stays: SOL003 answers 422 ProblemDetails under /vnflcm
(e.g. a vnfdId whose package is not onboarded)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

UNUSED_SCHEMAS = ("HTTPValidationError", "ValidationError")


def without_422(document: dict[str, Any]) -> dict[str, Any]:
    for path in document.get("paths", {}).values():
        for operation in path.values():
            if isinstance(operation, dict):
                responses = operation.get("responses", {})
                if _is_fastapi_validation_error(responses.get("422")):
                    del responses["422"]
    schemas = document.get("components", {}).get("schemas", {})
    for name in UNUSED_SCHEMAS:
        schemas.pop(name, None)
    return document


def _is_fastapi_validation_error(response: Any) -> bool:
    """FastAPI's own 422 refers to its HTTPValidationError schema."""
    return isinstance(response, dict) and "HTTPValidationError" in str(response.get("content"))


def install_openapi(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            app.openapi_schema = without_422(document)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
