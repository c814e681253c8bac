"""``servicevm notifications tail``: live notifications from AMQP, one per line; and
``replay``: the past ones, from the stream."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from typing import Annotated

import aio_pika
import typer

from servicevm_cli import bus, output
from servicevm_cli import replay as replay_stream
from servicevm_cli.errors import CliError, UsageError, WaitTimeout
from servicevm_cli.options import FormatOpt, client
from servicevm_cli.output import Format

app = typer.Typer(help="Live lifecycle notifications, and their replay.", no_args_is_help=True)
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


@app.command("replay")
def replay(
    since: Annotated[
        str | None,
        typer.Option(
            help="Notifications of changes from this moment on (ISO 8601; UTC if no zone)."
        ),
    ] = None,
    offset: Annotated[
        int | None, typer.Option(min=0, help="From this stream offset on (0: the oldest kept).")
    ] = None,
    event_type: Annotated[
        list[str] | None,
        typer.Option(help="device.active, device.*, ...; repeatable (none: every event)."),
    ] = None,
    resource: Annotated[str | None, typer.Option(help="Only this resource's (an id).")] = None,
    tenant: Annotated[str | None, typer.Option(help="Only this project's (a tenant id).")] = None,
    count: Annotated[int | None, typer.Option(min=1, help="Stop after this many.")] = None,
    idle: Annotated[
        float, typer.Option(min=0.1, help="Stop once nothing more came for this many seconds.")
    ] = 2.0,
    follow: Annotated[
        bool, typer.Option(help="Go on with new notifications once caught up (Ctrl-C stops).")
    ] = False,
    amqp_url: Annotated[
        str, typer.Option(envvar="SERVICEVM_AMQP_URL", help="The broker's URL (a stream reader).")
    ] = DEFAULT_AMQP_URL,
    fmt: FormatOpt = Format.table,
) -> None:
    """Replay every project's notifications from the stream servicevm.notifications.stream
    (admins), from --since a moment or from an --offset, in the order they were published."""
    start = _start(since, offset)
    events = event_type or []
    player = replay_stream.Replay(
        amqp_url=amqp_url,
        start=start,
        accept=lambda body: (
            (tenant is None or body.get("tenant_id") == tenant)
            and bus.matches(body, event_types=events, resource_id=resource)
        ),
        emit=lambda at, body: print(replayed_line(at, body, fmt), flush=True),
        idle_seconds=None if follow else idle,
    )
    try:
        asyncio.run(player.run(count=count))
    except KeyboardInterrupt:
        return
    except OSError as exc:
        raise CliError(f"Cannot read the stream at the broker: {exc}") from None
    except aio_pika.exceptions.AMQPError as exc:  # e.g. ACCESS_REFUSED: not a stream reader
        raise CliError(f"The broker refused the stream: {exc}") from None


def replayed_line(offset: int | None, body: bus.Notification, fmt: Format) -> str:
    if fmt is Format.table:
        return f"{offset if offset is not None else '-'}  {line(body, fmt)}"
    return line(body, fmt)


def _start(since: str | None, offset: int | None) -> int | datetime:
    if (since is None) == (offset is None):
        raise UsageError("Give either --since or --offset.")
    if offset is not None:
        return offset
    try:
        return replay_stream.parse_since(str(since))
    except ValueError:
        raise UsageError(f"--since expects an ISO 8601 moment, not '{since}'.") from None
