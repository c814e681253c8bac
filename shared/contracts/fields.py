"""Attribute types shared by the resources' field groups (the blueprint's ``validate`` column),
and the two groups every resource starts with: its id and its owning project."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, StringConstraints

Name = Annotated[str, StringConstraints(max_length=255)]
NonEmptyName = Annotated[str, StringConstraints(min_length=1, max_length=255)]


def _none_to_empty_dict(value: Any) -> Any:
    return {} if value is None else value


# validate type:dict_or_none; stored as {} when null.
DictOrNone = Annotated[dict[str, Any], BeforeValidator(_none_to_empty_dict)]


class Identified(BaseModel):
    id: uuid.UUID


class Owned(BaseModel):
    tenant_id: str


class Condition(BaseModel):
    """Where a device or a service instance stands, and why it failed if it did."""

    status: str
    error_reason: str | None


class Revisioned(BaseModel):
    # Increases at every change; projections ignore a snapshot older than the one they hold.
    revision: int
