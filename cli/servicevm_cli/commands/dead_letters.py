"""``servicevm dead-letters list/show/replay``: the messages no service could process.

Straight at the broker (``--amqp-url``), not through the API: reading and replaying the
dead-letter queues takes the broker's admin credentials, which only operators hold.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Annotated, Any, TypeVar

import typer

from servicevm_cli import output
from servicevm_cli.errors import CliError, UsageError
from servicevm_cli.options import FormatOpt
from servicevm_cli.output import Format
from shared.config import SERVICES
from shared.messaging import dead_letters

app = typer.Typer(
    help="Messages parked in the dead-letter queues: list, show, replay (broker admin).",
    no_args_is_help=True,
)
DEFAULT_AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/%2F"
COLUMNS = ("message_id", "type", "reason", "service", "time")
T = TypeVar("T")

AmqpUrlOpt = Annotated[
    str, typer.Option(envvar="SERVICEVM_AMQP_URL", help="The broker's URL (admin credentials).")
]
ServiceOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--service", help=f"Only this service's queue ({', '.join(SERVICES)}); repeatable."
    ),
]


def _queues(services: list[str] | None) -> list[str]:
    unknown = sorted(set(services or ()) - set(SERVICES))
    if unknown:
        raise UsageError(f"Unknown service {', '.join(unknown)}; one of {', '.join(SERVICES)}.")
    return dead_letters.dead_letter_queues(services)


def _run(step: Coroutine[Any, Any, T]) -> T:
    try:
        return asyncio.run(step)
    except OSError as exc:  # aio-pika's connection errors are OSErrors
        raise CliError(f"Cannot read the dead-letter queues at the broker: {exc}") from None


@app.command("list")
def list_dead_letters(
    service: ServiceOpt = None,
    amqp_url: AmqpUrlOpt = DEFAULT_AMQP_URL,
    fmt: FormatOpt = Format.table,
) -> None:
    """Every parked message: id, type, why it was parked, by which service, when."""
    found = _run(dead_letters.list_dead_letters(amqp_url, _queues(service)))
    output.print_list([letter.summary() for letter in found], COLUMNS, fmt)


@app.command("show")
def show(
    message_id: Annotated[str, typer.Argument(help="The message id (from list).")],
    service: ServiceOpt = None,
    amqp_url: AmqpUrlOpt = DEFAULT_AMQP_URL,
    fmt: FormatOpt = Format.yaml,
) -> None:
    """One parked message: its headers and body (a message is left where it is)."""
    found = _run(dead_letters.list_dead_letters(amqp_url, _queues(service)))
    match = [letter for letter in found if letter.message_id == message_id]
    if not match:
        raise CliError(f"No dead-lettered message {message_id}.")
    output.print_resource(match[0].detail(), fmt)


@app.command("replay")
def replay(
    message_id: Annotated[
        str | None, typer.Argument(help="The message id to replay (or --all).")
    ] = None,
    replay_all: Annotated[bool, typer.Option("--all", help="Replay every parked message.")] = False,
    service: ServiceOpt = None,
    amqp_url: AmqpUrlOpt = DEFAULT_AMQP_URL,
    fmt: FormatOpt = Format.table,
) -> None:
    """Publish parked messages again where they first came from, then remove them from the
    dead-letter queue (fix the cause first: one that fails again is parked again)."""
    if (message_id is None) == (not replay_all):
        raise UsageError("Give a message id or --all (not both).")
    queues = _queues(service)
    done = _run(
        dead_letters.replay(
            amqp_url, queues, lambda letter: replay_all or letter.message_id == message_id
        )
    )
    if message_id is not None and not done:
        raise CliError(f"No dead-lettered message {message_id}.")
    output.print_list([letter.summary() for letter in done], COLUMNS, fmt)
