"""Options every command shares, and the parsing of ``key=value`` arguments."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from servicevm_cli.client import ApiClient
from servicevm_cli.errors import UsageError
from servicevm_cli.output import Format

FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="Output: a table, JSON or YAML.")]
WaitOpt = Annotated[
    bool, typer.Option("--wait", help="Wait, showing progress, until the operation has finished.")
]
TimeoutOpt = Annotated[
    float, typer.Option("--timeout", help="Seconds --wait waits before giving up (exit 4).")
]
KwargOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--kwarg",
        help="KEY=VALUE for kwargs, repeatable; VALUE is read as JSON when it parses "
        '(10, true, ["a"]), else as a string.',
    ),
]
KwargsJsonOpt = Annotated[
    str | None, typer.Option("--kwargs", help="All kwargs as one JSON object.")
]
DEFAULT_TIMEOUT = 300.0


def client(ctx: typer.Context) -> ApiClient:
    """The client the root command built for this invocation."""
    found: ApiClient = ctx.find_root().obj
    return found


def pairs(values: list[str] | None, *, option: str) -> dict[str, str]:
    """``["a=1", "b=x=y"]`` → ``{"a": "1", "b": "x=y"}``."""
    result: dict[str, str] = {}
    for value in values or []:
        key, sep, text = value.partition("=")
        if not sep or not key:
            raise UsageError(f"{option} expects KEY=VALUE, not '{value}'.")
        result[key] = text
    return result


def json_value(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def kwargs(values: list[str] | None, as_json: str | None) -> dict[str, Any] | None:
    """kwargs from ``--kwargs '{...}'`` and ``--kwarg k=v`` (these win); None if neither."""
    if values is None and as_json is None:
        return None
    result: dict[str, Any] = {}
    if as_json is not None:
        parsed = json_value(as_json)
        if not isinstance(parsed, dict):
            raise UsageError("--kwargs expects a JSON object, such as '{\"vlan\": 10}'.")
        result.update(parsed)
    result.update({k: json_value(v) for k, v in pairs(values, option="--kwarg").items()})
    return result
