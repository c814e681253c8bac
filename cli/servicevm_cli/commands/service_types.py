"""``servicevm service-type``: the catalogue of service types the templates offer."""

from __future__ import annotations

from typing import Annotated

import typer

from servicevm_cli.commands.common import filters, print_list
from servicevm_cli.kinds import SERVICE_TYPE, TEMPLATE
from servicevm_cli.options import FormatOpt, client
from servicevm_cli.output import Format
from servicevm_cli.resolve import resolve

app = typer.Typer(help="Service types (read only).", no_args_is_help=True)


@app.command("list")
def list_service_types(
    ctx: typer.Context,
    service_type: Annotated[
        str | None, typer.Option(help="Only this service type (firewall).")
    ] = None,
    template: Annotated[str | None, typer.Option(help="Only those of this template.")] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """List the service types (the id is what `instance create --service-type` takes)."""
    api = client(ctx)
    template_id = resolve(api, TEMPLATE, template) if template is not None else None
    print_list(api, SERVICE_TYPE, fmt, filters(service_type=service_type, template_id=template_id))
