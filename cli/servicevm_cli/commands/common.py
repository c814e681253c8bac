"""What create, update and delete commands share: wait if asked, then report."""

from __future__ import annotations

from typing import Any

from servicevm_cli import output
from servicevm_cli.client import ApiClient, Params
from servicevm_cli.kinds import Kind
from servicevm_cli.output import Format
from servicevm_cli.wait import ACTIVE, DELETED, Goal, wait_for


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
