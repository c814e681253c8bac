"""Errors under ``/vnflcm`` and ``/vnfpkgm`` as ETSI SOL013 ProblemDetails.

Routes of the ETSI interfaces raise ``ProblemError`` (``not_found``, ``conflict``...);
``install_problem_handlers(app)``, called once after the api's own error handlers are
installed, makes every error response on those path prefixes ``application/problem+json``
(``status``, ``title``, ``detail``, and ``type`` / ``instance`` when given) and leaves the
other paths' error bodies (Neutron's form under ``/v1.0``) as they are:

- ``ProblemError`` renders its ProblemDetails on any path (only ETSI routes raise it);
- every handler already registered (HTTP errors such as 404 and 405, request validation,
  the api's own errors, unexpected exceptions) is wrapped: on an ETSI path its response
  is rewritten as ProblemDetails with the same status, headers and message. A request
  that fails validation is a 400 there, as SOL013 requires, not FastAPI's 422.
"""

from __future__ import annotations

import http
import inspect
import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict
from starlette.responses import JSONResponse, Response

ETSI_PREFIXES = ("/vnflcm", "/vnfpkgm")
PROBLEM_JSON = "application/problem+json"

Handler = Callable[[Request, Exception], Response | Awaitable[Response]]


class ProblemDetails(BaseModel):
    """SOL013 ProblemDetails; other members (extensions) are allowed and kept."""

    model_config = ConfigDict(extra="allow")

    type: str | None = None
    title: str | None = None
    status: int
    detail: str
    instance: str | None = None


class ProblemError(Exception):
    """Raised by ETSI routes: answered with its ProblemDetails and headers."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        title: str | None = None,
        type: str | None = None,
        instance: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.problem = ProblemDetails(
            status=status,
            title=title or _phrase(status),
            detail=detail,
            type=type,
            instance=instance,
        )
        self.headers = dict(headers or {})


def bad_request(detail: str) -> ProblemError:
    return ProblemError(400, detail)


def not_found(detail: str) -> ProblemError:
    return ProblemError(404, detail)


def conflict(detail: str) -> ProblemError:
    return ProblemError(409, detail)


def precondition_failed(detail: str) -> ProblemError:
    return ProblemError(412, detail)


def unprocessable(detail: str) -> ProblemError:
    return ProblemError(422, detail)


def problem_response(
    problem: ProblemDetails, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(
        problem.model_dump(exclude_none=True),
        status_code=problem.status,
        headers=dict(headers or {}),
        media_type=PROBLEM_JSON,
    )


def is_etsi_path(path: str) -> bool:
    return any(path == prefix or path.startswith(prefix + "/") for prefix in ETSI_PREFIXES)


async def problem_error_handler(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ProblemError)
    return problem_response(exc.problem, exc.headers)


def install_problem_handlers(app: FastAPI) -> None:
    """Wrap the app's error handlers so ETSI paths answer ProblemDetails (see above)."""
    for key, handler in list(app.exception_handlers.items()):
        # Keys are exception classes or status codes; both answer on ETSI paths too.
        if key is not ProblemError:
            app.exception_handlers[key] = etsi_aware(handler)
    app.exception_handlers[ProblemError] = problem_error_handler


def etsi_aware(handler: Handler) -> Handler:
    """``handler`` for other paths; its response as ProblemDetails on ETSI paths."""

    async def wrapped(request: Request, exc: Exception) -> Response:
        response = handler(request, exc)
        if inspect.isawaitable(response):
            response = await response
        assert isinstance(response, Response)
        if not is_etsi_path(request.url.path) or response.status_code < 400:
            return response
        status = 400 if isinstance(exc, RequestValidationError) else response.status_code
        return as_problem(response, status=status)

    return wrapped


def as_problem(response: Response, *, status: int | None = None) -> Response:
    """An error response rewritten as ProblemDetails, keeping its status and headers."""
    if response.media_type == PROBLEM_JSON:
        return response
    status = status or response.status_code
    headers = {
        key: value
        for key, value in response.headers.items()
        if key.lower() not in ("content-length", "content-type")
    }
    problem = ProblemDetails(status=status, title=_phrase(status), detail=_message(response))
    return problem_response(problem, headers)


def _message(response: Response) -> str:
    """The human message of an error body: Neutron's ``message``, FastAPI's ``detail``."""
    raw = bytes(getattr(response, "body", b"") or b"")
    try:
        body: Any = json.loads(raw or b"null")
    except ValueError:
        return raw.decode(errors="replace") or _phrase(response.status_code)
    if isinstance(body, dict):
        neutron = body.get("NeutronError")
        if isinstance(neutron, dict) and neutron.get("message"):
            return str(neutron["message"])
        if isinstance(body.get("detail"), str):
            return str(body["detail"])
        if body.get("detail") is not None:
            return json.dumps(body["detail"])
    return _phrase(response.status_code)


def _phrase(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "Error"
