"""What every request model shares: unknown attributes and NUL characters are refused."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator
from pydantic_core import PydanticCustomError

from shared.contracts.fields import DictOrNone, Name, NonEmptyName

__all__ = ["DictOrNone", "Name", "NonEmptyName", "Public", "RequestedTenant", "Strict", "nul_path"]


def nul_path(value: Any, path: str = "") -> str | None:
    """Where in ``value`` a string (or key) holds a NUL character, which PostgreSQL refuses."""
    if isinstance(value, str):
        return (path or "value") if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if "\x00" in str(key):
                return where
            found = nul_path(item, where)
            if found is not None:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = nul_path(item, f"{path}[{index}]")
            if found is not None:
                return found
    return None


class Strict(BaseModel):
    """A request model: an attribute it does not declare is a 400 naming it, and no string
    in it may hold a NUL character."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _no_nul_characters(cls, data: Any) -> Any:
        where = nul_path(data)
        if where is not None:
            raise PydanticCustomError(
                "nul_character", "NUL characters are not allowed ({where})", {"where": where}
            )
        return data


class RequestedTenant(BaseModel):
    # The project that will own the new resource; None: the caller's (another: admins only).
    tenant_id: NonEmptyName | None = None


class Public(BaseModel):
    """A response model: every attribute is always present, so the OpenAPI document lists
    each as required, also those the derived field groups give a default."""

    model_config = ConfigDict(json_schema_serialization_defaults_required=True)
