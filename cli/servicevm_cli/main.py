"""The ``servicevm`` command: global options, then one command group per resource.

Built on Typer + Rich rather than cliff: the commands are typed functions (mypy strict
checks them and their options), ``--help`` comes for free at every level, and Rich gives
the tables, the topology tree and the ``--wait`` status display without the output-plugin
machinery cliff brings; cliff's value (entry-point command discovery for plug-in clients)
is not needed by one client of one API.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from servicevm_cli import output
from servicevm_cli.client import ApiClient
from servicevm_cli.commands import (
    dead_letters,
    devices,
    instances,
    notifications,
    service_types,
    subscriptions,
    templates,
    topology,
    vims,
)
from servicevm_cli.errors import CliError
from servicevm_cli.session import DEFAULT_ROLES, DEFAULT_URL, Identity, Options

app = typer.Typer(
    name="servicevm",
    help="Manage servicevm: device templates, devices, service instances, VIMs, "
    "subscriptions, the topology and live notifications.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.add_typer(templates.app, name="template")
app.add_typer(devices.app, name="device")
app.add_typer(instances.app, name="instance")
app.add_typer(service_types.app, name="service-type")
app.add_typer(vims.app, name="vim")
app.add_typer(subscriptions.app, name="subscription")
app.add_typer(notifications.app, name="notifications")
app.add_typer(dead_letters.app, name="dead-letters")
app.command("topology")(topology.show_topology)


@app.callback()
def main(
    ctx: typer.Context,
    url: Annotated[
        str, typer.Option(envvar="SERVICEVM_URL", help="The servicevm API endpoint.")
    ] = DEFAULT_URL,
    project: Annotated[
        str | None,
        typer.Option(
            envvar="SERVICEVM_PROJECT_ID",
            help="noauth API: the project to act as (sent as X-Project-Id).",
        ),
    ] = None,
    roles: Annotated[
        str,
        typer.Option(envvar="SERVICEVM_ROLES", help="noauth API: comma-separated roles (X-Roles)."),
    ] = DEFAULT_ROLES,
    os_cloud: Annotated[
        str | None,
        typer.Option(
            "--os-cloud",
            envvar="OS_CLOUD",
            help="Keystone: a cloud of clouds.yaml (else the OS_* variables when OS_AUTH_URL is set and no --project).",
        ),
    ] = None,
    http_timeout: Annotated[float, typer.Option(help="Seconds one HTTP request may take.")] = 30.0,
) -> None:
    options = Options(
        url=url, project=project, roles=roles, cloud=os_cloud, http_timeout=http_timeout
    )
    api = ApiClient(Identity(options))
    ctx.call_on_close(api.close)
    ctx.obj = api


def run() -> None:
    """The console script: Typer handles usage errors (exit 2); our errors end here."""
    try:
        app(prog_name="servicevm")
    except CliError as exc:
        output.stderr().print(f"Error: {exc.message}")
        sys.exit(exc.exit_code)
