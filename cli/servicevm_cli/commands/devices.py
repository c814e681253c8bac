"""``servicevm device``: hosting devices (VMs, containers, appliances)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from servicevm_cli.client import Params
from servicevm_cli.commands.common import add_show, filters, finish, print_list, remove
from servicevm_cli.errors import UsageError
from servicevm_cli.kinds import DEVICE, TEMPLATE, VIM
from servicevm_cli.options import (
    DEFAULT_TIMEOUT,
    FormatOpt,
    KwargOpt,
    KwargsJsonOpt,
    TimeoutOpt,
    WaitOpt,
    client,
    kwargs,
)
from servicevm_cli.output import Format
from servicevm_cli.resolve import resolve

app = typer.Typer(help="Devices.", no_args_is_help=True)
REF_HELP = "The device's id (devices have no names)."
Ref = Annotated[str, typer.Argument(help=REF_HELP)]


@app.command("create")
def create(
    ctx: typer.Context,
    template: Annotated[str, typer.Option(help="The device template's name or id.")],
    kwarg: KwargOpt = None,
    kwargs_json: KwargsJsonOpt = None,
    vim: Annotated[str | None, typer.Option(help="The VIM (name or id) to build it in.")] = None,
    wait: WaitOpt = False,
    timeout: TimeoutOpt = DEFAULT_TIMEOUT,
    fmt: FormatOpt = Format.table,
) -> None:
    """Create a device of a template; --wait until it is ACTIVE (ERROR: exit 3)."""
    configuration = kwargs(kwarg, kwargs_json)  # usage errors before any request
    api = client(ctx)
    fields: dict[str, Any] = {"template_id": resolve(api, TEMPLATE, template)}
    if configuration is not None:
        fields["kwargs"] = configuration
    if vim is not None:
        fields["vim_id"] = resolve(api, VIM, vim)
    device = api.create(DEVICE, fields)
    finish(api, DEVICE, device, wait=wait, timeout=timeout, fmt=fmt)


@app.command("list")
def list_devices(
    ctx: typer.Context,
    template: Annotated[str | None, typer.Option(help="Only devices of this template.")] = None,
    status: Annotated[str | None, typer.Option(help="Only devices in this status.")] = None,
    host: Annotated[str | None, typer.Option(help="Only devices on this host.")] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """List the devices."""
    api = client(ctx)
    template_id = resolve(api, TEMPLATE, template) if template is not None else None
    print_list(api, DEVICE, fmt, filters(template_id=template_id, status=status, host=host))


add_show(app, DEVICE, ref_help=REF_HELP)


@app.command("update")
def update(
    ctx: typer.Context,
    ref: Ref,
    kwarg: KwargOpt = None,
    kwargs_json: KwargsJsonOpt = None,
    wait: WaitOpt = False,
    timeout: TimeoutOpt = DEFAULT_TIMEOUT,
    fmt: FormatOpt = Format.table,
) -> None:
    """Replace a device's kwargs (its configuration); --wait until it is ACTIVE again."""
    configuration = kwargs(kwarg, kwargs_json)
    if configuration is None:
        raise UsageError("Nothing to update: give --kwargs or --kwarg.")
    api = client(ctx)
    device = api.update(DEVICE, resolve(api, DEVICE, ref), {"kwargs": configuration})
    finish(api, DEVICE, device, wait=wait, timeout=timeout, fmt=fmt)


@app.command("delete")
def delete(
    ctx: typer.Context,
    ref: Ref,
    force: Annotated[bool, typer.Option(help="Delete even if it hosts service instances.")] = False,
    wait: WaitOpt = False,
    timeout: TimeoutOpt = DEFAULT_TIMEOUT,
) -> None:
    """Delete a device; --wait until it is gone."""
    api = client(ctx)
    params: Params = {"force": "true"} if force else {}
    remove(api, DEVICE, resolve(api, DEVICE, ref), wait=wait, timeout=timeout, params=params)
