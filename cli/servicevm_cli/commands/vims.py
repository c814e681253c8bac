"""``servicevm vim``: the OpenStack cloud accounts the nova and heat drivers build in.

Secrets are write-only: the API never returns them, so neither does this client."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from servicevm_cli.commands.common import add_show, filters, finish, print_list, remove
from servicevm_cli.errors import UsageError
from servicevm_cli.kinds import VIM
from servicevm_cli.options import DEFAULT_TIMEOUT, FormatOpt, TimeoutOpt, client
from servicevm_cli.output import Format
from servicevm_cli.resolve import resolve
from servicevm_cli.wait import REACHABLE

app = typer.Typer(help="VIMs (cloud accounts).", no_args_is_help=True)
REF_HELP = "The VIM's name or id."
Ref = Annotated[str, typer.Argument(help=REF_HELP)]
VimWaitOpt = Annotated[
    bool, typer.Option("--wait", help="Wait until it is REACHABLE (UNREACHABLE: exit 3).")
]
Text = Annotated[str | None, typer.Option()]


@app.command("create")
def create(
    ctx: typer.Context,
    auth_url: Annotated[str, typer.Option(help="Keystone v3, https://keystone.example.com/v3")],
    name: str = "",
    description: str = "",
    region_name: Text = None,
    project_name: Text = None,
    project_domain_name: Text = None,
    project_id: Text = None,
    user_name: Text = None,
    user_domain_name: Text = None,
    password: Text = None,
    application_credential_id: Text = None,
    application_credential_secret: Text = None,
    default: Annotated[bool, typer.Option(help="The project's default VIM.")] = False,
    wait: VimWaitOpt = False,
    timeout: TimeoutOpt = DEFAULT_TIMEOUT,
    fmt: FormatOpt = Format.table,
) -> None:
    """Register a VIM; lifecycle checks it (PENDING, then REACHABLE or UNREACHABLE)."""
    optional = {
        "region_name": region_name,
        "project_name": project_name,
        "project_domain_name": project_domain_name,
        "project_id": project_id,
        "user_name": user_name,
        "user_domain_name": user_domain_name,
        "password": password,
        "application_credential_id": application_credential_id,
        "application_credential_secret": application_credential_secret,
    }
    fields: dict[str, Any] = {"name": name, "description": description, "auth_url": auth_url}
    fields.update({key: value for key, value in optional.items() if value is not None})
    fields["is_default"] = default
    api = client(ctx)
    vim = api.create(VIM, fields)
    finish(api, VIM, vim, wait=wait, timeout=timeout, fmt=fmt, goal=REACHABLE)


@app.command("list")
def list_vims(
    ctx: typer.Context,
    name: Annotated[str | None, typer.Option(help="Only VIMs of this name.")] = None,
    status: Annotated[str | None, typer.Option(help="REACHABLE, UNREACHABLE, PENDING.")] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """List the VIMs."""
    print_list(client(ctx), VIM, fmt, filters(name=name, status=status))


add_show(app, VIM, ref_help=REF_HELP)


@app.command("update")
def update(
    ctx: typer.Context,
    ref: Ref,
    name: Text = None,
    description: Text = None,
    default: Annotated[
        bool | None, typer.Option("--default/--no-default", help="Make it (not) the default.")
    ] = None,
    password: Annotated[str | None, typer.Option(help="Rotate: the new password.")] = None,
    application_credential_secret: Annotated[
        str | None, typer.Option(help="Rotate: the new application credential secret.")
    ] = None,
    wait: VimWaitOpt = False,
    timeout: TimeoutOpt = DEFAULT_TIMEOUT,
    fmt: FormatOpt = Format.table,
) -> None:
    """Rename a VIM, make it the default, or rotate its secret (it is checked again)."""
    changes = {
        "name": name,
        "description": description,
        "is_default": default,
        "password": password,
        "application_credential_secret": application_credential_secret,
    }
    fields = {key: value for key, value in changes.items() if value is not None}
    if not fields:
        raise UsageError("Nothing to update.")
    api = client(ctx)
    vim = api.update(VIM, resolve(api, VIM, ref), fields)
    finish(api, VIM, vim, wait=wait, timeout=timeout, fmt=fmt, goal=REACHABLE)


@app.command("delete")
def delete(ctx: typer.Context, ref: Ref) -> None:
    """Delete a VIM (refused while templates or devices use it)."""
    api = client(ctx)
    remove(api, VIM, resolve(api, VIM, ref), wait=False, timeout=0)
