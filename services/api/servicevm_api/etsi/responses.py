"""What the ETSI routes declare in the OpenAPI document: every error as ProblemDetails
(``application/problem+json``), and bodies that are not JSON (zip, text)."""

from __future__ import annotations

from typing import Any

from servicevm_api.etsi.problem import PROBLEM_JSON, ProblemDetails

_ERRORS = {
    400: "Invalid body, path or query parameter (unknown or malformed filter or selector).",
    401: "No credentials, or credentials that are invalid or expired.",
    403: "Policy does not allow the action to this caller.",
    404: "No such resource, or it belongs to another project.",
    406: "The requested Version (or Accept) cannot be served.",
    409: "The resource is in a state that does not allow the request.",
    412: "If-Match does not match the resource's ETag.",
    413: "The request body is larger than the limit.",
    422: "The request names what does not exist or fit (vnfdId, flavour, level, aspect, VIM).",
    429: "Too many writes for the project; see Retry-After.",
    503: "The identity service, database or broker is unavailable; retry later.",
    504: "The request did not complete in time.",
}
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {
        "model": ProblemDetails,
        "description": description,
        "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}},
    }
    for status, description in _ERRORS.items()
}


def binary(*media_types: str, description: str) -> dict[str, Any]:
    """A response whose body is ``media_types`` (a zip, a YAML file, an artifact)."""
    return {
        "description": description,
        "content": {
            media_type: {"schema": {"type": "string", "format": "binary"}}
            for media_type in media_types
        },
    }
