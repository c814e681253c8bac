"""``servicevm notifications tail``: live notifications from AMQP, one per line."""

from __future__ import annotations

import asyncio
import json
from typing import Annotated

import typer

from servicevm_cli import bus, output
from servicevm_cli.errors import CliError, WaitTimeout
from servicevm_cli.options import FormatOpt, client
from servicevm_cli.output import Format

app = typer.Typer(help="Live lifecycle notifications.", no_args_is_help=True)
DEFAULT_AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/%2F"


def line(body: bus.Notification, fmt: Format) -> str:
    if fmt is Format.json:
        return json.dumps(body, separators=(",", ":"))
    if fmt is Format.yaml:
        return "---\n" + output.dumps(body, fmt)
    fields = ("timestamp", "event_type", "resource_type", "resource_id", "status")
    return "  ".join(output.cell(body.get(name)) for name in fields)


@app.command("tail")
def tail(
    ctx: typer.Context,
    event_type: Annotated[
        list[str] | None,
        typer.Option(help="device.active, device.*, ...; repeatable (none: every event)."),
    ] = None,
    resource: Annotated[str | None, typer.Option(help="Only this resource's (an id).")] = None,
    admin: Annotated[
        bool, typer.Option(help="Every project's, from the admin exchange (needs its rights).")
    ] = False,
    count: Annotated[int | None, typer.Option(min=1, help="Stop after this many.")] = None,
    timeout: Annotated[
        float | None,
        typer.Option(help="Stop after this many seconds (exit 4 if --count was not reached)."),
    ] = None,
    amqp_url: Annotated[
        str, typer.Option(envvar="SERVICEVM_AMQP_URL", help="The broker's URL.")
    ] = DEFAULT_AMQP_URL,
    queue_prefix: Annotated[
        str, typer.Option(help="Name of the private queue (a broker user's permitted prefix).")
    ] = "servicevm-cli",
    fmt: FormatOpt = Format.table,
) -> None:
    """Print notifications as they happen: the project's (from --project or the Keystone
    token), or with --admin every project's."""
    events = event_type or []
    project = None if admin else client(ctx).identity.project_id()
    listener = bus.Tail(
        amqp_url=amqp_url,
        where=bus.source(project, events),
        accept=lambda body: bus.matches(body, event_types=events, resource_id=resource),
        emit=lambda body: print(line(body, fmt), flush=True),
        ready=lambda queue: output.stderr().print(f"Listening on {queue} (Ctrl-C stops)."),
        queue_prefix=queue_prefix,
    )
    try:
        finished = asyncio.run(listener.run(count=count, seconds=timeout))
    except KeyboardInterrupt:
        return
    except OSError as exc:  # aio-pika's connection errors are OSErrors
        raise CliError(f"Cannot listen at the broker: {exc}") from None
    if not finished and count is not None:
        raise WaitTimeout(f"Timed out after {timeout:g}s with {listener.seen} of {count}.")
