"""The shape of /v1.0/asyncapi.json in the OpenAPI document (its content is AsyncAPI's)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict


class AsyncApiDocument(BaseModel):
    """An AsyncAPI 3.0 document: https://www.asyncapi.com/docs/reference/specification/v3.0.0"""

    model_config = ConfigDict(extra="allow")

    asyncapi: Literal["3.0.0"]
    info: dict[str, Any]
    defaultContentType: str
    servers: dict[str, Any]
    channels: dict[str, Any]
    operations: dict[str, Any]
    components: dict[str, Any]
