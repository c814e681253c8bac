"""Everything the client prints: one resource, a list, as a Rich table (default), JSON or
YAML. Data goes to stdout; progress and errors go to stderr, so ``-f json`` output pipes."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from enum import StrEnum
from typing import Any

import yaml
from rich.console import Console
from rich.table import Table
from rich.text import Text

# Wide enough for ids when stdout is a pipe (Rich would assume 80 columns).
PIPE_WIDTH = 200


class Format(StrEnum):
    table = "table"
    json = "json"
    yaml = "yaml"


def stdout() -> Console:
    console = Console(highlight=False)
    if not console.is_terminal:
        console = Console(highlight=False, width=PIPE_WIDTH)
    return console


def stderr() -> Console:
    return Console(stderr=True, highlight=False, markup=False, soft_wrap=True)


def cell(value: Any) -> str:
    """A value as one table cell: nothing for null, compact JSON for lists and objects."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list) and all(isinstance(v, str | int) for v in value):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(", ", ": "), sort_keys=True)
    return str(value)


def dumps(data: Any, fmt: Format) -> str:
    if fmt is Format.yaml:
        return yaml.safe_dump(data, sort_keys=False, default_flow_style=False).rstrip("\n")
    return json.dumps(data, indent=2)


def resource_table(item: dict[str, Any]) -> Table:
    table = Table("Field", "Value", show_lines=False)
    for name, value in item.items():
        table.add_row(name, Text(_display(name, value)))
    return table


def list_table(items: Iterable[dict[str, Any]], columns: Sequence[str]) -> Table:
    table = Table()
    for name in columns:
        # Ids are never cut: a user copies them into the next command.
        table.add_column(name, overflow="fold", min_width=36 if name == "id" else None)
    for item in items:
        # Text, not markup: values such as ["allow 22"] must print as they are.
        table.add_row(*(Text(_display(name, item.get(name))) for name in columns))
    return table


def _display(name: str, value: Any) -> str:
    if name == "service_types" and isinstance(value, list):
        return ", ".join(str(ref.get("service_type", ref)) for ref in value)
    return cell(value)


def print_resource(item: dict[str, Any], fmt: Format) -> None:
    if fmt is Format.table:
        stdout().print(resource_table(item))
    else:
        print(dumps(item, fmt))


def print_list(items: list[dict[str, Any]], columns: Sequence[str], fmt: Format) -> None:
    if fmt is Format.table:
        stdout().print(list_table(items, columns))
    else:
        print(dumps(items, fmt))
