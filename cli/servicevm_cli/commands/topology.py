"""``servicevm topology``: where everything sits, as a tree hosts → devices → instances
with each device's used and free slots."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.text import Text
from rich.tree import Tree

from servicevm_cli import output
from servicevm_cli.client import Params
from servicevm_cli.options import FormatOpt, client
from servicevm_cli.output import Format


def slots(device: dict[str, Any]) -> str:
    capacity = device.get("slot_capacity")
    if capacity is None:
        return f"{device['slots_used']} used"
    return f"{device['slots_used']}/{capacity} used, {device['slots_free']} free"


def topology_tree(topology: dict[str, Any]) -> Tree:
    tree = Tree(Text("topology"))
    if not topology["hosts"]:
        tree.add(Text("(no devices)"))
    for host in topology["hosts"]:
        zones = ", ".join(host["availability_zones"])
        label = f"host {host['host'] or '(unknown)'}" + (f" [{zones}]" if zones else "")
        branch = tree.add(Text(label))
        for device in host["devices"]:
            leaf = branch.add(Text(f"device {device['id']} {device['status']} ({slots(device)})"))
            for instance in device["service_instances"]:
                name = f"'{instance['name']}' " if instance["name"] else ""
                leaf.add(Text(f"instance {name}{instance['id']} {instance['status']}"))
    return tree


def show_topology(
    ctx: typer.Context,
    host: Annotated[list[str] | None, typer.Option(help="Only this host, repeatable.")] = None,
    availability_zone: Annotated[
        list[str] | None, typer.Option(help="Only this availability zone, repeatable.")
    ] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Show hosts → devices → service instances, with used and free slots."""
    params: Params = {}
    if host:
        params["host"] = host
    if availability_zone:
        params["availability_zone"] = availability_zone
    topology = client(ctx).request("GET", "/v1.0/topology", params=params)["topology"]
    if fmt is Format.table:
        output.stdout().print(topology_tree(topology))
    else:
        print(output.dumps(topology, fmt))
