"""``servicevm template``: device templates (what a device is built from, what it offers)."""

from __future__ import annotations

from typing import Annotated

import typer

from servicevm_cli import output
from servicevm_cli.commands.common import add_show, delete_now, filters, print_list
from servicevm_cli.kinds import TEMPLATE, VIM
from servicevm_cli.options import FormatOpt, client, pairs
from servicevm_cli.output import Format
from servicevm_cli.resolve import resolve

app = typer.Typer(help="Device templates.", no_args_is_help=True)
REF_HELP = "The template's name or id."
Ref = Annotated[str, typer.Argument(help=REF_HELP)]


@app.command("create")
def create(
    ctx: typer.Context,
    device_driver: Annotated[str, typer.Option(help="local, noop, nova, heat, ...")],
    mgmt_driver: Annotated[str, typer.Option(help="http, noop, ssh, ...")],
    name: Annotated[str, typer.Option(help="Unique in the project.")] = "",
    description: str = "",
    service_type: Annotated[
        list[str] | None, typer.Option(help="A service type it offers, repeatable.")
    ] = None,
    attribute: Annotated[
        list[str] | None,
        typer.Option(help="KEY=VALUE template attribute (slot_capacity=4), repeatable."),
    ] = None,
    vim: Annotated[str | None, typer.Option(help="The VIM (name or id) its devices use.")] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Register a device template."""
    api = client(ctx)
    fields = {
        "name": name,
        "description": description,
        "service_types": service_type or [],
        "device_driver": device_driver,
        "mgmt_driver": mgmt_driver,
        "attributes": pairs(attribute, option="--attribute"),
    }
    if vim is not None:
        fields["vim_id"] = resolve(api, VIM, vim)
    output.print_resource(api.create(TEMPLATE, fields), fmt)


@app.command("list")
def list_templates(
    ctx: typer.Context,
    name: Annotated[str | None, typer.Option(help="Only templates of this name.")] = None,
    device_driver: Annotated[str | None, typer.Option(help="Only this device driver.")] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """List the device templates."""
    print_list(client(ctx), TEMPLATE, fmt, filters(name=name, device_driver=device_driver))


add_show(app, TEMPLATE, ref_help=REF_HELP)


@app.command("delete")
def delete(ctx: typer.Context, ref: Ref) -> None:
    """Delete a device template (refused while devices or instances use it)."""
    delete_now(client(ctx), TEMPLATE, ref)
