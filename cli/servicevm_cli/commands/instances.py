"""``servicevm instance``: service instances the scheduler places onto device slots."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from servicevm_cli.commands.common import add_show, filters, finish, print_list, remove
from servicevm_cli.errors import UsageError
from servicevm_cli.kinds import DEVICE, INSTANCE, TEMPLATE
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
from servicevm_cli.resolve import resolve, resolve_service_type

app = typer.Typer(help="Service instances.", no_args_is_help=True)
REF_HELP = "The service instance's name or id."
Ref = Annotated[str, typer.Argument(help=REF_HELP)]


@app.command("create")
def create(
    ctx: typer.Context,
    service_type: Annotated[
        str, typer.Option(help="The service type's id, or its name (firewall).")
    ],
    template: Annotated[
        str | None,
        typer.Option(help="The template offering it, when several offer that service type."),
    ] = None,
    name: str = "",
    kwarg: KwargOpt = None,
    kwargs_json: KwargsJsonOpt = None,
    device: Annotated[
        list[str] | None, typer.Option(help="A device (id) to place it on, repeatable.")
    ] = None,
    managed_by_user: Annotated[
        bool, typer.Option(help="The user (not a service) owns it and may update it.")
    ] = False,
    mgmt_driver: Annotated[str | None, typer.Option(help="Override the mgmt driver.")] = None,
    wait: WaitOpt = False,
    timeout: TimeoutOpt = DEFAULT_TIMEOUT,
    fmt: FormatOpt = Format.table,
) -> None:
    """Ask for a service instance; --wait until it is placed and ACTIVE (ERROR: exit 3)."""
    configuration = kwargs(kwarg, kwargs_json) or {}  # usage errors before any request
    api = client(ctx)
    template_id = resolve(api, TEMPLATE, template) if template is not None else None
    fields: dict[str, Any] = {
        "name": name,
        "service_type_id": resolve_service_type(api, service_type, template_id),
        "managed_by_user": managed_by_user,
        "devices": [resolve(api, DEVICE, ref) for ref in device or []],
        "kwargs": configuration,
    }
    if mgmt_driver is not None:
        fields["mgmt_driver"] = mgmt_driver
    instance = api.create(INSTANCE, fields)
    finish(api, INSTANCE, instance, wait=wait, timeout=timeout, fmt=fmt)


@app.command("list")
def list_instances(
    ctx: typer.Context,
    name: Annotated[str | None, typer.Option(help="Only instances of this name.")] = None,
    status: Annotated[str | None, typer.Option(help="Only instances in this status.")] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """List the service instances."""
    print_list(client(ctx), INSTANCE, fmt, filters(name=name, status=status))


add_show(app, INSTANCE, ref_help=REF_HELP)


@app.command("update")
def update(
    ctx: typer.Context,
    ref: Ref,
    name: Annotated[str | None, typer.Option(help="A new name.")] = None,
    kwarg: KwargOpt = None,
    kwargs_json: KwargsJsonOpt = None,
    wait: WaitOpt = False,
    timeout: TimeoutOpt = DEFAULT_TIMEOUT,
    fmt: FormatOpt = Format.table,
) -> None:
    """Rename or reconfigure an instance (only when managed_by_user); --wait until ACTIVE."""
    fields: dict[str, Any] = {}
    if name is not None:
        fields["name"] = name
    configuration = kwargs(kwarg, kwargs_json)
    if configuration is not None:
        fields["kwargs"] = configuration
    if not fields:
        raise UsageError("Nothing to update: give --name, --kwargs or --kwarg.")
    api = client(ctx)
    instance = api.update(INSTANCE, resolve(api, INSTANCE, ref), fields)
    finish(api, INSTANCE, instance, wait=wait, timeout=timeout, fmt=fmt)


@app.command("delete")
def delete(
    ctx: typer.Context,
    ref: Ref,
    wait: WaitOpt = False,
    timeout: TimeoutOpt = DEFAULT_TIMEOUT,
) -> None:
    """Delete a service instance; --wait until it is gone."""
    api = client(ctx)
    remove(api, INSTANCE, resolve(api, INSTANCE, ref), wait=wait, timeout=timeout)
