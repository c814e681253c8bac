"""The ASGI middleware of the ETSI path prefixes (``/vnflcm``, ``/vnfpkgm``) only.

- A request whose ``Version`` the API does not support is answered 406 ProblemDetails.
- Every response gets ``Version`` (the negotiated version) and its header names in their
  canonical case (``Location``, ``ETag``, ``Link``, ``Content-Type``, ``Version``).
- A JSON error response made by an inner middleware (body size limit, request timeout,
  rate limit...), which the app's exception handlers never see, is rewritten as
  ``application/problem+json`` ProblemDetails with the same status and message.

Add it last (outermost): ``app.add_middleware(EtsiHeadersMiddleware)``.
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.datastructures import MutableHeaders
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from servicevm_api.etsi.headers import canonical_headers
from servicevm_api.etsi.problem import PROBLEM_JSON, ProblemDetails, as_problem, problem_response
from servicevm_api.etsi.version import APIS, EtsiApi, UnsupportedVersion, api_for_path, negotiate


class EtsiHeadersMiddleware:
    def __init__(self, app: ASGIApp, apis: Iterable[EtsiApi] = APIS) -> None:
        self.app = app
        self.apis = tuple(apis)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        api = api_for_path(scope["path"], self.apis) if scope["type"] == "http" else None
        if api is None:
            await self.app(scope, receive, send)
            return
        try:
            version = negotiate(api, _header(scope, b"version"))
        except UnsupportedVersion as exc:
            problem = ProblemDetails(status=406, title="Not Acceptable", detail=str(exc))
            response = problem_response(problem)
            await response(scope, receive, _Sender(send, api.latest).send)
            return
        await self.app(scope, receive, _Sender(send, version).send)


class _Sender:
    """Adds Version and canonical names; holds a JSON error response to rewrite it."""

    def __init__(self, send: Send, version: str) -> None:
        self._send = send
        self._version = version
        self._held: Message | None = None
        self._body: list[bytes] = []

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            if _is_json_error(message):
                self._held = message
                return
            await self._send(self._finish(message))
            return
        if self._held is None or message["type"] != "http.response.body":
            await self._send(message)
            return
        self._body.append(message.get("body", b""))
        if not message.get("more_body", False):
            await self._send_problem()

    async def _send_problem(self) -> None:
        assert self._held is not None
        original = Response(
            b"".join(self._body),
            status_code=self._held["status"],
            headers={k.decode("latin-1"): v.decode("latin-1") for k, v in self._held["headers"]},
        )
        rewritten = as_problem(original)
        start: Message = {
            "type": "http.response.start",
            "status": rewritten.status_code,
            "headers": rewritten.raw_headers,
        }
        await self._send(self._finish(start))
        await self._send({"type": "http.response.body", "body": bytes(rewritten.body)})

    def _finish(self, message: Message) -> Message:
        headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"version"]
        headers.append((b"version", self._version.encode()))
        return {**message, "headers": canonical_headers(headers)}


def _is_json_error(message: Message) -> bool:
    if message["status"] < 400:
        return False
    content_type = MutableHeaders(raw=list(message.get("headers", []))).get("content-type", "")
    return content_type.startswith("application/json") and PROBLEM_JSON not in content_type


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None
