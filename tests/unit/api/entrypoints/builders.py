"""Requests as the api's list routes receive them, without a server."""

from __future__ import annotations

from starlette.requests import Request


def list_request(query: str) -> Request:
    """GET /v1.0/devices?<query> on http://api:9890."""
    scope = {
        "type": "http",
        "method": "GET",
        "scheme": "http",
        "server": ("api", 9890),
        "path": "/v1.0/devices",
        "query_string": query.encode(),
        "headers": [(b"host", b"api:9890")],
    }
    return Request(scope)
