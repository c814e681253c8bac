"""Attribute types of the blueprint's ``validate`` column, shared by every resource's models."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, StringConstraints

Name = Annotated[str, StringConstraints(max_length=255)]
NonEmptyName = Annotated[str, StringConstraints(min_length=1, max_length=255)]


def _none_to_empty_dict(value: Any) -> Any:
    return {} if value is None else value


# validate type:dict_or_none; stored as {} when null.
DictOrNone = Annotated[dict[str, Any], BeforeValidator(_none_to_empty_dict)]


class Strict(BaseModel):
    """A request model: an attribute it does not declare is a 400 naming it."""

    model_config = ConfigDict(extra="forbid")
