"""Every error is JSON in Neutron's form: {"NeutronError": {"type", "message", "detail"}}."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from servicevm_api.errors import ApiError, bad_request, conflict, not_found
from servicevm_api.schemas import VISIBLE_ATTRIBUTES
from shared.messaging.errors import is_transient

log = logging.getLogger(__name__)

__all__ = [
    "ERROR_RESPONSES",
    "ApiError",
    "bad_request",
    "conflict",
    "install_error_handlers",
    "not_found",
]


class NeutronErrorDetail(BaseModel):
    type: str
    message: str
    detail: str


class ErrorResponse(BaseModel):
    NeutronError: NeutronErrorDetail


_ERRORS = {
    400: "Invalid input: a malformed body, an unknown attribute, a bad value or query.",
    401: "No credentials, or credentials that are invalid or expired.",
    403: "Policy does not allow the action to this caller.",
    404: "No such resource, or it belongs to another project.",
    409: "The resource is in use or busy with another operation.",
    413: "The request body is larger than SERVICEVM_MAX_BODY_BYTES.",
    429: "Too many writes for the project; see Retry-After.",
    503: "The identity service, database or broker is unavailable; retry later.",
    504: "The request did not complete within SERVICEVM_REQUEST_TIMEOUT_SECONDS.",
}
# Declared on every router, so that the OpenAPI document describes every answer.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorResponse, "description": description}
    for code, description in _ERRORS.items()
}


def error_body(error_type: str, message: str) -> dict[str, dict[str, str]]:
    return {"NeutronError": {"type": error_type, "message": message, "detail": ""}}


def error_response(
    status_code: int, error_type: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(error_body(error_type, message), status_code=status_code, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(_request: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status_code, exc.error_type, exc.message, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        message = validation_message(exc.errors(), method=request.method)
        return error_response(400, "HTTPBadRequest", message)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        names = {404: "HTTPNotFound", 405: "HTTPMethodNotAllowed", 413: "HTTPRequestEntityTooLarge"}
        return error_response(
            exc.status_code,
            names.get(exc.status_code, "HTTPError"),
            str(exc.detail),
            dict(exc.headers) if exc.headers else None,
        )

    @app.exception_handler(Exception)
    async def unexpected(_request: Request, exc: Exception) -> JSONResponse:
        if is_transient(exc):
            log.warning("database or broker unavailable", exc_info=True)
            return error_response(
                503,
                "HTTPServiceUnavailable",
                "The service is temporarily unavailable; retry later.",
            )
        log.exception("unexpected error")
        return error_response(
            500, "HTTPInternalServerError", "Request Failed: internal server error."
        )


def validation_message(errors: Sequence[Any], *, method: str) -> str:
    """One sentence for each problem, naming the attribute, as Neutron words it."""
    sentences: list[str] = []
    for error in errors:
        sentence = _sentence(error, method=method)
        if sentence not in sentences:
            sentences.append(sentence)
    return " ".join(sentences)


def _sentence(error: dict[str, Any], *, method: str) -> str:
    loc = [str(part) for part in error.get("loc", ())]
    kind = error.get("type", "")
    where, path = (loc[0], loc[1:]) if loc else ("body", [])
    if kind == "json_invalid":
        return "Malformed JSON in request body."
    if kind == "nul_character":
        where = ".".join([*path[1:], str(error.get("ctx", {}).get("where", ""))]).strip(".")
        return f"Invalid input for {where or 'body'}: NUL characters are not allowed."
    if kind == "tacker_vim":
        # Tacker's VIM body (schemas.tacker): the message names the nested attribute.
        return f"Invalid input for vim: {error.get('msg', 'invalid value')}"
    if where == "body" and not path:
        return "Resource body required: send a JSON object."
    if where == "body" and len(path) == 1:
        if kind == "missing":
            return f"Resource body required: expected the key '{path[0]}'."
        if kind == "extra_forbidden":
            return f"Unrecognized attribute(s) '{path[0]}'."
        return f"Invalid input for {path[0]}: the resource must be a JSON object."
    if where == "body":
        resource, attribute = path[0], path[1]
        if kind == "extra_forbidden" and len(path) == 2:
            if attribute in VISIBLE_ATTRIBUTES.get(resource, frozenset()):
                return f"Attribute '{attribute}' not allowed in {method.upper()}."
            return f"Unrecognized attribute(s) '{attribute}'."
        if kind == "missing" and len(path) == 2:
            return f"Failed to parse request. Required attribute '{attribute}' not specified."
        return (
            f"Invalid input for {'.'.join(path[1:])}. Reason: {error.get('msg', 'invalid value')}."
        )
    name = ".".join(path) or where
    return f"Invalid input for {name}. Reason: {error.get('msg', 'invalid value')}."
