"""What the resource commands share: the list filters, ``show``, deleting, and after a
create, update or delete, waiting if asked, then reporting."""

from __future__ import annotations

from typing import Any

import typer

from servicevm_cli import output
from servicevm_cli.client import ApiClient, Params
from servicevm_cli.kinds import Kind
from servicevm_cli.options import FormatOpt, client
from servicevm_cli.output import Format
from servicevm_cli.resolve import resolve
from servicevm_cli.wait import ACTIVE, DELETED, Goal, wait_for


def filters(**given: str | None) -> Params:
    """The list filters the user gave: an option left out filters nothing."""
    return {name: value for name, value in given.items() if value is not None}


def print_list(api: ApiClient, kind: Kind, fmt: Format, params: Params | None = None) -> None:
    """Every resource of a kind the filters select, each page read."""
    output.print_list(api.list(kind, params), kind.columns, fmt)


def add_show(app: typer.Typer, kind: Kind, *, ref_help: str) -> None:
    """Register ``show REF``: one resource, by its id (or its name, for a named kind)."""

    # The argument's help is this kind's, so it is a default (Typer's older form) rather
    # than an Annotated alias, which could not name a local.
    def show(
        ctx: typer.Context,
        ref: str = typer.Argument(..., help=ref_help),
        fmt: FormatOpt = Format.table,
    ) -> None:
        api = client(ctx)
        output.print_resource(api.get(kind, resolve(api, kind, ref)), fmt)

    show.__doc__ = f"Show one {kind.label}."
    app.command("show")(show)


def delete_now(api: ApiClient, kind: Kind, ref: str) -> None:
    """DELETE a resource the API removes at once: nothing to wait for."""
    resource_id = resolve(api, kind, ref)
    api.delete(kind, resource_id)
    output.stderr().print(f"Deleted {kind.label} {resource_id}.")


def finish(
    api: ApiClient,
    kind: Kind,
    item: dict[str, Any],
    *,
    wait: bool,
    timeout: float,
    fmt: Format,
    goal: Goal = ACTIVE,
) -> None:
    """Print the resource an operation answered, or, with --wait, the one it settled as."""
    if wait:
        resource_id = str(item["id"])
        settled = wait_for(
            lambda: api.find(kind, resource_id),
            label=f"{kind.label} {resource_id}",
            goal=goal,
            timeout=timeout,
        )
        item = settled if settled is not None else item
    output.print_resource(item, fmt)


def remove(
    api: ApiClient,
    kind: Kind,
    resource_id: str,
    *,
    wait: bool,
    timeout: float,
    params: Params | None = None,
) -> None:
    """DELETE, and with --wait until the resource is gone (404)."""
    api.delete(kind, resource_id, params)
    label = f"{kind.label} {resource_id}"
    if wait:
        wait_for(lambda: api.find(kind, resource_id), label=label, goal=DELETED, timeout=timeout)
        output.stderr().print(f"Deleted {label}.")
    else:
        output.stderr().print(f"Deletion of {label} accepted.")
