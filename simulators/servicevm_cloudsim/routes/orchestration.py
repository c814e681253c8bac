"""Heat v1: stacks create / show (by name, id or both) / update / delete."""

from __future__ import annotations

from typing import Any

import yaml
from fastapi import APIRouter, Body

from servicevm_cloudsim import views
from servicevm_cloudsim.deps import StateDep, UserDep
from servicevm_cloudsim.model import CloudError

router = APIRouter(prefix="/orchestration")


@router.get("")
@router.get("/")
def versions(state: StateDep) -> dict[str, Any]:
    link = {"rel": "self", "href": f"{state.base_url}/orchestration/v1/"}
    return {"versions": [{"id": "v1.0", "status": "CURRENT", "links": [link]}]}


def _template(body: dict[str, Any]) -> dict[str, Any]:
    # openstacksdk sends the parsed template; a client may also send the YAML text.
    template = body.get("template")
    if isinstance(template, str):
        template = yaml.safe_load(template)
    if not isinstance(template, dict) or "heat_template_version" not in template:
        raise CloudError(400, "The template is not a HOT template (no heat_template_version).")
    return template


@router.post("/v1/{project_id}/stacks", status_code=201)
def create_stack(
    state: StateDep, user: UserDep, project_id: str, body: dict[str, Any] = Body(...)
) -> dict[str, Any]:
    name = str(body.get("stack_name") or "")
    if not name:
        raise CloudError(400, "stack_name is required")
    stack = state.orchestration.create(
        user, name, _template(body), dict(body.get("parameters") or {})
    )
    return {"stack": {"id": stack.id, "links": views.stack(stack, state.base_url)["links"]}}


@router.get("/v1/{project_id}/stacks")
def list_stacks(
    state: StateDep, user: UserDep, project_id: str, name: str | None = None
) -> dict[str, Any]:
    stacks = [
        views.stack(s, state.base_url)
        for s in state.orchestration.snapshot()
        if name is None or s.name == name
    ]
    return {"stacks": stacks}


@router.get("/v1/{project_id}/stacks/{name_or_id}")
@router.get("/v1/{project_id}/stacks/{stack_name}/{name_or_id}")
def show_stack(state: StateDep, user: UserDep, project_id: str, name_or_id: str) -> dict[str, Any]:
    return {"stack": views.stack(state.orchestration.find(name_or_id), state.base_url)}


@router.put("/v1/{project_id}/stacks/{name_or_id}", status_code=202)
@router.put("/v1/{project_id}/stacks/{stack_name}/{name_or_id}", status_code=202)
def update_stack(
    state: StateDep,
    user: UserDep,
    project_id: str,
    name_or_id: str,
    body: dict[str, Any] = Body(...),
) -> dict[str, Any]:
    with state.cloud.lock:
        stack = state.orchestration.find(name_or_id)
        template = _template(body) if "template" in body else stack.template
        parameters = dict(body.get("parameters") or {})
        state.orchestration.update(user, stack.id, template, parameters)
        return {"stack": views.stack(stack, state.base_url)}


@router.post("/v1/{project_id}/stacks/{name_or_id}/actions")
@router.post("/v1/{project_id}/stacks/{stack_name}/{name_or_id}/actions")
def stack_action(
    state: StateDep,
    user: UserDep,
    project_id: str,
    name_or_id: str,
    body: dict[str, Any] = Body(...),
) -> None:
    """``{"suspend": null}`` or ``{"resume": null}``, as Heat takes them (200, no body)."""
    if len(body) != 1 or next(iter(body)) not in ("suspend", "resume"):
        raise CloudError(400, f"Invalid action {sorted(body)}: suspend or resume")
    state.orchestration.act(name_or_id, next(iter(body)).upper())


@router.delete("/v1/{project_id}/stacks/{name_or_id}", status_code=204)
@router.delete("/v1/{project_id}/stacks/{stack_name}/{name_or_id}", status_code=204)
def delete_stack(state: StateDep, user: UserDep, project_id: str, name_or_id: str) -> None:
    state.orchestration.delete(name_or_id)
