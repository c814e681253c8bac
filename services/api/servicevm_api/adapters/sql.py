"""The hot path's statements written as SQL, run on the asyncpg connection under the unit
of work's SQLAlchemy one.

Through SQLAlchemy Core each statement costs its construction, a cache-key walk, parameter
processing and a result wrapper: several times the CPU of the asyncpg call, which prepares
a statement once per connection and keeps it. The statements a device's creation and its
projections run every time are therefore written here once, with their column lists taken
from the tables (``adapters.orm``) and the contracts' models, so that a column added there
is added here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import asyncpg
import pydantic_core
from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import JSONB

from shared.db.raw import qualified

__all__ = ["Binder", "qualified", "record_dict"]


class Binder:
    """Turns attribute values into a statement's parameters, in the order of ``names``.

    A JSONB column's value is passed as JSON text: that is what the codec SQLAlchemy's
    asyncpg dialect installs on every connection takes (and it decodes JSONB results).
    None is JSON null there, as SQLAlchemy's JSONB type stores it."""

    def __init__(self, table: Table, names: Sequence[str]) -> None:
        for name in names:
            table.c[name]
        self.names = tuple(names)
        self._jsonb = tuple(isinstance(table.c[name].type, JSONB) for name in self.names)

    def of(self, source: object, **values: Any) -> list[Any]:
        """The parameters from ``source``'s attributes (a pydantic model), or ``values``."""
        bound = []
        for name, is_jsonb in zip(self.names, self._jsonb, strict=True):
            value = values[name] if name in values else getattr(source, name)
            bound.append(_json(value) if is_jsonb else value)
        return bound

    def placeholders(self, first: int = 1) -> str:
        return ", ".join(f"${first + i}" for i in range(len(self.names)))

    def assignments(self, first: int = 1, values: Mapping[str, str] | None = None) -> str:
        """``name = $n`` for each name; ``values``: an SQL expression instead of ``$n`` for
        some (the parameter still takes its place in the order)."""
        chosen = values or {}
        return ", ".join(
            f"{name} = {chosen.get(name, f'${first + i}')}" for i, name in enumerate(self.names)
        )

    def position(self, name: str, first: int = 1) -> int:
        return first + self.names.index(name)


def _json(value: Any) -> str:
    return pydantic_core.to_json(value, by_alias=False).decode()


def jsonb(value: Any) -> str:
    """A JSONB parameter's value (see ``Binder``)."""
    return _json(value)


def column_list(names: Iterable[str]) -> str:
    return ", ".join(names)


def record_dict(record: asyncpg.Record | None) -> dict[str, Any] | None:
    return None if record is None else dict(record.items())
