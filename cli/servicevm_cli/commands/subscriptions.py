"""``servicevm subscription``: HTTP callbacks mgmt POSTs matching notifications to."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

import typer

from servicevm_cli import output
from servicevm_cli.commands.common import add_show, delete_now, print_list
from servicevm_cli.errors import UsageError
from servicevm_cli.kinds import SUBSCRIPTION
from servicevm_cli.options import FormatOpt, client
from servicevm_cli.output import Format

app = typer.Typer(help="HTTP subscriptions to notifications.", no_args_is_help=True)
REF_HELP = "The subscription's id."
Ref = Annotated[str, typer.Argument(help=REF_HELP)]


class AuthType(StrEnum):
    none = "none"
    basic = "basic"
    hmac = "hmac"


def authentication(
    kind: AuthType, username: str | None, password: str | None, secret: str | None
) -> dict[str, Any]:
    if kind is AuthType.basic:
        if not username or not password:
            raise UsageError("--auth basic needs --username and --password.")
        return {"type": "basic", "username": username, "password": password}
    if kind is AuthType.hmac:
        if not secret:
            raise UsageError("--auth hmac needs --secret.")
        return {"type": "hmac", "secret": secret}
    return {"type": "none"}


@app.command("create")
def create(
    ctx: typer.Context,
    callback_uri: Annotated[str, typer.Option(help="Where mgmt POSTs the notifications.")],
    event_type: Annotated[
        list[str] | None,
        typer.Option(help="device.active, device.*, or *; repeatable (none: all)."),
    ] = None,
    resource_type: Annotated[
        list[str] | None,
        typer.Option(help="device, device_template, service_instance; repeatable (none: all)."),
    ] = None,
    auth: Annotated[AuthType, typer.Option(help="How requests are authenticated.")] = AuthType.none,
    username: Annotated[str | None, typer.Option(help="--auth basic: the user.")] = None,
    password: Annotated[str | None, typer.Option(help="--auth basic: the password.")] = None,
    secret: Annotated[str | None, typer.Option(help="--auth hmac: the signing secret.")] = None,
    all_projects: Annotated[
        bool, typer.Option(help="Every project's notifications (admins only).")
    ] = False,
    fmt: FormatOpt = Format.table,
) -> None:
    """Subscribe a callback URI to notifications."""
    fields = {
        "callback_uri": callback_uri,
        "filter": {"event_types": event_type or [], "resource_types": resource_type or []},
        "authentication": authentication(auth, username, password, secret),
        "all_projects": all_projects,
    }
    output.print_resource(client(ctx).create(SUBSCRIPTION, fields), fmt)


@app.command("list")
def list_subscriptions(ctx: typer.Context, fmt: FormatOpt = Format.table) -> None:
    """List the subscriptions."""
    print_list(client(ctx), SUBSCRIPTION, fmt)


add_show(app, SUBSCRIPTION, ref_help=REF_HELP)


@app.command("delete")
def delete(ctx: typer.Context, ref: Ref) -> None:
    """Delete a subscription."""
    delete_now(client(ctx), SUBSCRIPTION, ref)


@app.command("redeliver")
def redeliver(
    ctx: typer.Context,
    subscription_id: Annotated[str, typer.Argument(help="A SOL003 subscription's id.")],
) -> None:
    """Re-send, in order, what a SOL003 subscription (/vnflcm/v1/subscriptions) never took:
    the notifications given up past the retry window or refused (admins)."""
    api = client(ctx)
    api.request("POST", f"/vnflcm/v1/subscriptions/{subscription_id}/redeliver")
    output.stderr().print(f"Given-up notifications of {subscription_id} are being sent again.")
