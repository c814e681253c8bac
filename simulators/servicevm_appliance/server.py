"""The appliance's management API, on the standard library so that it starts in milliseconds.

    GET    /health                 {"status": "ok", "device_id": ..., "uptime": seconds}
    GET    /config                 the device configuration (a JSON object)
    PUT    /config                 replace it with the body; answers the stored configuration
    DELETE /config                 reset it to {}
    GET    /services               {"services": {service_id: configuration, ...}}
    GET    /services/{id}          one service instance's configuration (404 if absent)
    PUT    /services/{id}          configure a service instance; answers the stored configuration
    DELETE /services/{id}          remove it (404 if absent)
    GET    /vnfconfig/v1/configuration   ETSI SOL002 VnfConfiguration
    PATCH  /vnfconfig/v1/configuration   SOL002 VnfConfigModifications; answers them

With a token, every request needs ``Authorization: Bearer <token>`` (401 otherwise).
Errors are ``{"error": message}``. State lives in memory: a restarted appliance is blank,
as a rebooted appliance without saved configuration would be.
"""

from __future__ import annotations

import hmac
import json
import threading
import time
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from shared import merge_patch

Json = dict[str, Any]
MAX_BODY_BYTES = 1 << 20


class ApiError(Exception):
    def __init__(self, status: HTTPStatus, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class ApplianceState:
    device_id: str
    token: str | None
    started: float = field(default_factory=time.monotonic)
    config: Json = field(default_factory=dict)
    services: dict[str, Json] = field(default_factory=dict)
    # ETSI SOL002 VnfConfiguration (vnfConfigurationData, vnfcConfigurationData).
    vnf_configuration: Json = field(default_factory=lambda: {"vnfConfigurationData": {}})
    # The server answers on several threads.
    lock: threading.Lock = field(default_factory=threading.Lock)

    def health(self) -> Json:
        uptime = round(time.monotonic() - self.started, 3)
        return {"status": "ok", "device_id": self.device_id, "uptime": uptime}


class ApplianceServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], state: ApplianceState) -> None:
        super().__init__(address, ApplianceHandler)
        self.state = state


class ApplianceHandler(BaseHTTPRequestHandler):
    server: ApplianceServer
    protocol_version = "HTTP/1.1"  # keep-alive, as the management clients pool connections

    def do_GET(self) -> None:
        self._handle("GET")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def do_PATCH(self) -> None:
        self._handle("PATCH")

    def _handle(self, method: str) -> None:
        try:
            body = self._read_body()  # read first, so keep-alive stays in step on errors
            self._authorize()
            status, answer = self._route(method, body)
        except ApiError as exc:
            status, answer = exc.status, {"error": str(exc)}
        self._send(status, answer)

    def _route(self, method: str, body: Json | None) -> tuple[HTTPStatus, Json | None]:
        state = self.server.state
        parts = [p for p in self.path.split("?", 1)[0].split("/") if p]
        with state.lock:
            if parts == ["health"] and method == "GET":
                return HTTPStatus.OK, state.health()
            if parts == ["config"]:
                return _config(state, method, body)
            if parts == ["vnfconfig", "v1", "configuration"]:
                return _vnf_configuration(state, method, body)
            if parts == ["services"] and method == "GET":
                return HTTPStatus.OK, {"services": state.services}
            if len(parts) == 2 and parts[0] == "services":
                return _service(state, method, parts[1], body)
        raise ApiError(HTTPStatus.NOT_FOUND, f"no route for {method} {self.path}")

    def _authorize(self) -> None:
        token = self.server.state.token
        if token is None:
            return
        given = self.headers.get("Authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            raise ApiError(HTTPStatus.UNAUTHORIZED, "missing or wrong bearer token")

    def _read_body(self) -> Json | None:
        length = int(self.headers.get("Content-Length") or 0)
        if length == 0:
            return None
        if length > MAX_BODY_BYTES:
            self.close_connection = True  # the unread body would be taken for the next request
            raise ApiError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "body too large")
        try:
            body = json.loads(self.rfile.read(length))
        except ValueError as exc:
            raise ApiError(HTTPStatus.BAD_REQUEST, f"body is not JSON: {exc}") from exc
        if not isinstance(body, dict):
            raise ApiError(HTTPStatus.BAD_REQUEST, "body must be a JSON object")
        return body

    def _send(self, status: HTTPStatus, answer: Json | None) -> None:
        data = b"" if answer is None else json.dumps(answer).encode()
        self.send_response(status)
        if status != HTTPStatus.NO_CONTENT:
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def _config(state: ApplianceState, method: str, body: Json | None) -> tuple[HTTPStatus, Json]:
    if method == "GET":
        return HTTPStatus.OK, state.config
    if method == "PUT":
        state.config = _required(body)
        return HTTPStatus.OK, state.config
    if method == "DELETE":
        state.config = {}
        return HTTPStatus.OK, state.config
    raise ApiError(HTTPStatus.METHOD_NOT_ALLOWED, f"{method} /config")


def _vnf_configuration(
    state: ApplianceState, method: str, body: Json | None
) -> tuple[HTTPStatus, Json]:
    """SOL002 VNF configuration: GET the VnfConfiguration; PATCH with VnfConfigModifications
    (vnfConfigurationData is a JSON merge patch, vnfcConfigurationData entries replace by
    vnfcInstanceId) answers the modifications."""
    if method == "GET":
        return HTTPStatus.OK, state.vnf_configuration
    if method != "PATCH":
        raise ApiError(HTTPStatus.METHOD_NOT_ALLOWED, f"{method} /vnfconfig/v1/configuration")
    modifications = _required(body)
    data = modifications.get("vnfConfigurationData", {})
    vnfcs = modifications.get("vnfcConfigurationData", [])
    if not isinstance(data, dict) or not isinstance(vnfcs, list):
        raise ApiError(
            HTTPStatus.UNPROCESSABLE_ENTITY,
            "vnfConfigurationData must be an object and vnfcConfigurationData a list",
        )
    if not all(isinstance(v, dict) and "vnfcInstanceId" in v for v in vnfcs):
        raise ApiError(
            HTTPStatus.UNPROCESSABLE_ENTITY, "each VnfcConfigurationData needs vnfcInstanceId"
        )
    current = state.vnf_configuration
    updated: Json = {
        "vnfConfigurationData": merge_patch.apply(current["vnfConfigurationData"], data)
    }
    by_vnfc = {v["vnfcInstanceId"]: v for v in current.get("vnfcConfigurationData", [])}
    by_vnfc.update({v["vnfcInstanceId"]: v for v in vnfcs})
    if by_vnfc:
        updated["vnfcConfigurationData"] = list(by_vnfc.values())
    state.vnf_configuration = updated
    return HTTPStatus.OK, modifications


def _service(
    state: ApplianceState, method: str, service_id: str, body: Json | None
) -> tuple[HTTPStatus, Json | None]:
    if method == "PUT":
        state.services[service_id] = _required(body)
        return HTTPStatus.OK, state.services[service_id]
    if service_id not in state.services:
        raise ApiError(HTTPStatus.NOT_FOUND, f"no service {service_id}")
    if method == "GET":
        return HTTPStatus.OK, state.services[service_id]
    if method == "DELETE":
        del state.services[service_id]
        return HTTPStatus.NO_CONTENT, None
    raise ApiError(HTTPStatus.METHOD_NOT_ALLOWED, f"{method} /services/{service_id}")


def _required(body: Json | None) -> Json:
    if body is None:
        raise ApiError(HTTPStatus.BAD_REQUEST, "a JSON object body is required")
    return body


def serve(*, host: str, port: int, device_id: str, token: str | None) -> None:
    """Serve until the process is terminated."""
    server = ApplianceServer((host, port), ApplianceState(device_id=device_id, token=token))
    print(f"appliance {device_id} listening on {host}:{server.server_port}", flush=True)
    server.serve_forever()
