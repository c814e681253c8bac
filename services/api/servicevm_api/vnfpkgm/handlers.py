"""The onboarding of an uploaded package, as the handler of ``api.onboard_vnf_package``.

Two commits: PROCESSING (so clients see it), then the templates, the parsed VNFD and
ONBOARDED (or CREATED with the failure), with the message recorded as processed. A crash
between them redelivers the command, which finds the package PROCESSING and goes on; a
command of an older upload, or one already done, only records itself as processed.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Row

from servicevm_api.caller import Caller
from servicevm_api.errors import ApiError
from servicevm_api.schemas.device_templates import DeviceTemplateCreate
from servicevm_api.service_layer.device_templates import check_template, stage_template
from servicevm_api.vnfpkgm import repository as repo
from servicevm_api.vnfpkgm.onboarding import Onboarded, failure_details, onboard
from shared.contracts.vnfpkgm import OnboardVnfPackage
from shared.db.uow import UnitOfWork
from shared.messaging.dispatch import HandlerContext, HandlerTable
from shared.vnfd.errors import VnfdError

log = logging.getLogger(__name__)
_BUSY = ("UPLOADING", "PROCESSING")


def _current(row: Row[Any] | None, command: OnboardVnfPackage) -> bool:
    return row is not None and row.upload == command.upload and row.onboarding_state in _BUSY


async def onboard_vnf_package(command: OnboardVnfPackage, ctx: HandlerContext) -> None:
    async with ctx.transaction() as uow:
        row = await repo.get(uow.conn, command.id, lock=True, content=True)
        if _current(row, command) and row is not None and row.onboarding_state == "UPLOADING":
            await repo.set_fields(uow.conn, command.id, onboarding_state="PROCESSING")
            await uow.commit()
    outcome: Onboarded | str | None = None
    if row is not None and _current(row, command):
        outcome = await _parse(row)
    async with ctx.transaction(final=True) as uow:
        row = await repo.get(uow.conn, command.id, lock=True)
        if outcome is not None and _current(row, command):
            assert row is not None
            await _finish(uow, row, outcome)
        await uow.commit()


async def _parse(row: Row[Any]) -> Onboarded | str:
    """The onboarded package, or why it cannot be (file and node named)."""
    try:
        # tosca-parser is CPU-bound and synchronous: off the event loop.
        return await asyncio.to_thread(
            onboard,
            bytes(row.content),
            package_id=str(row.id),
            user_defined_data=row.user_defined_data,
        )
    except VnfdError as exc:
        return str(exc)
    except Exception:
        # The parser is pure: an error it did not foresee is the package's, not transient;
        # failing the onboarding beats leaving the package PROCESSING forever.
        log.exception("VNF package could not be parsed", extra={"vnf_package_id": str(row.id)})
        return "The VNF package could not be parsed (unexpected error; see the api's log)"


async def _finish(uow: UnitOfWork, row: Row[Any], outcome: Onboarded | str) -> None:
    if isinstance(outcome, Onboarded):
        outcome = await _duplicate(uow, row, outcome) or outcome
    if isinstance(outcome, str):
        log.info("VNF package onboarding failed", extra={"vnf_package_id": str(row.id)})
        await repo.set_fields(
            uow.conn,
            row.id,
            onboarding_state="CREATED",
            onboarding_failure_details=failure_details(outcome),
        )
        return
    requests = _template_requests(outcome)
    if isinstance(requests, str):
        await _finish(uow, row, requests)
        return
    caller = Caller(project_id=row.tenant_id, roles=frozenset({"member"}))
    created = {key: await stage_template(uow, caller, request) for key, request in requests.items()}
    vdu_templates: dict[str, dict[str, str]] = {}
    for (flavour_id, vdu_id), template_id in created.items():
        vdu_templates.setdefault(flavour_id, {})[vdu_id] = str(template_id)
    await repo.set_fields(
        uow.conn,
        row.id,
        **outcome.columns,
        vnfd=outcome.vnfd.model_dump(mode="json"),
        vdu_templates=vdu_templates,
        onboarding_state="ONBOARDED",
        operational_state="ENABLED",
        onboarding_failure_details=None,
    )


async def _duplicate(uow: UnitOfWork, row: Row[Any], outcome: Onboarded) -> str | None:
    vnfd_id = outcome.vnfd.descriptor_id
    other = await repo.onboarded_with_vnfd(uow.conn, tenant_id=row.tenant_id, vnfd_id=vnfd_id)
    if other is None or other == row.id:
        return None
    return f"vnfdId {vnfd_id} is already onboarded in this project by VNF package {other}"


def _template_requests(outcome: Onboarded) -> dict[tuple[str, str], DeviceTemplateCreate] | str:
    """(flavour, vdu) -> its template, checked as POST /v1.0/device_templates checks one;
    or why they cannot be created (an unknown driver named in userDefinedData...)."""
    try:
        requests = {
            (flavour_id, vdu_id): DeviceTemplateCreate(**body.model_dump(exclude={"vdu_id"}))
            for flavour_id, vdus in outcome.templates.items()
            for vdu_id, body in vdus.items()
        }
        for request in requests.values():
            check_template(request)
    except ApiError as exc:
        return f"userDefinedData: {exc.message}"
    except ValidationError as exc:
        return f"the device templates of the package are invalid: {exc.errors()[0]['msg']}"
    return requests


HANDLERS: HandlerTable = {OnboardVnfPackage: onboard_vnf_package}
