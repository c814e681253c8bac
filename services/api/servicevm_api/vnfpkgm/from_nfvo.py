"""External NFVO mode: a vnfdId not onboarded here is fetched from the NFVO and onboarded.

SOL003's VNFM reads the packages its NFVO onboarded (SOL005 9.4.3, 9.4.5:
``/vnfpkgm/v1/onboarded_vnf_packages/{vnfdId}`` and its ``package_content``). When a VNF
instance is created with a vnfdId the project has no ONBOARDED package of, the api fetches
the package (outside any transaction), records it as an uploaded package of the project
whose userDefinedData says where it came from, and onboards it as an upload is onboarded
(the ``OnboardVnfPackage`` command, so a crash meanwhile loses nothing); the create goes on
once the package is ONBOARDED. The NFVO's userDefinedData (drivers...) is kept.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

from sqlalchemy import select

from servicevm_api.adapters.orm import vnf_packages
from servicevm_api.caller import Caller
from servicevm_api.etsi.problem import ProblemError, unprocessable
from servicevm_api.vnfpkgm import repository as repo
from shared.config import Settings
from shared.contracts.vnfpkgm import OnboardVnfPackage
from shared.messaging.dispatch import ServiceStore
from shared.nfvo import NfvoClient, NfvoRefused, NfvoUnavailable, configured

# userDefinedData keys marking a package fetched from the NFVO.
SOURCE_KEY = "servicevm.source"
NFVO_VNFD_KEY = "servicevm.nfvoVnfdId"
NFVO_URL_KEY = "servicevm.nfvoUrl"
_BUSY = ("UPLOADING", "PROCESSING")
_POLL_SECONDS = 0.2


async def ensure_onboarded(
    store: ServiceStore, settings: Settings, caller: Caller, vnfd_id: str, correlation_id: str
) -> None:
    """Onboard the NFVO's package of ``vnfd_id`` in the caller's project if it has none;
    nothing when no NFVO is configured or the NFVO does not know the vnfdId either."""
    if not configured(settings):
        return
    package_id = await _local(store, caller, vnfd_id)
    if package_id is None:
        fetched = await _fetch(settings, vnfd_id)
        if fetched is None:
            return
        package_id = await _record(store, settings, caller, vnfd_id, *fetched, correlation_id)
    if package_id == "ONBOARDED":
        return
    try:
        await _wait_onboarded(store, uuid.UUID(package_id), settings)
    except ProblemError:
        # A concurrent create of the same vnfdId onboarded its copy first (this one then
        # fails as a duplicate): the vnfdId is onboarded all the same.
        if await _local(store, caller, vnfd_id) != "ONBOARDED":
            raise


async def _local(store: ServiceStore, caller: Caller, vnfd_id: str) -> str | None:
    """ "ONBOARDED", the id of a package from the NFVO still being onboarded, or None."""
    async with store.engine.connect() as conn:
        if await repo.onboarded_with_vnfd(conn, tenant_id=caller.project_id, vnfd_id=vnfd_id):
            return "ONBOARDED"
        found = await conn.scalar(
            select(vnf_packages.c.id).where(
                vnf_packages.c.tenant_id == caller.project_id,
                vnf_packages.c.user_defined_data[NFVO_VNFD_KEY].astext == vnfd_id,
                vnf_packages.c.onboarding_state.in_(_BUSY),
            )
        )
    return None if found is None else str(found)


async def _fetch(settings: Settings, vnfd_id: str) -> tuple[dict[str, Any], bytes] | None:
    try:
        async with NfvoClient(settings) as nfvo:
            info = await nfvo.package_info(vnfd_id)
            if info is None:
                return None
            return info, await nfvo.package_content(vnfd_id)
    except NfvoUnavailable as exc:
        raise ProblemError(503, f"vnfdId {vnfd_id} is not onboarded here and {exc}") from None
    except NfvoRefused as exc:
        raise unprocessable(
            f"vnfdId {vnfd_id} is not onboarded here and the NFVO refused it: {exc}"
        ) from None


async def _record(
    store: ServiceStore,
    settings: Settings,
    caller: Caller,
    vnfd_id: str,
    info: dict[str, Any],
    content: bytes,
    correlation_id: str,
) -> str:
    """The package, UPLOADING with the NFVO's content, and its onboarding command."""
    given = info.get("userDefinedData")
    user_data = {
        **(given if isinstance(given, dict) else {}),
        SOURCE_KEY: "nfvo",
        NFVO_URL_KEY: settings.nfvo_url,
        NFVO_VNFD_KEY: vnfd_id,
    }
    package_id = uuid.uuid4()
    async with store.unit_of_work(correlation_id) as uow:
        await repo.add(
            uow.conn,
            values={
                "id": package_id,
                "tenant_id": caller.project_id,
                "onboarding_state": "UPLOADING",
                "operational_state": "DISABLED",
                "usage_state": "NOT_IN_USE",
                "user_defined_data": user_data,
                "content": content,
                "upload": 1,
            },
        )
        await uow.publish(OnboardVnfPackage(id=package_id, upload=1), tenant_id=caller.project_id)
        await uow.commit()
    return str(package_id)


async def _wait_onboarded(store: ServiceStore, package_id: uuid.UUID, settings: Settings) -> None:
    """Until the package is ONBOARDED; 422 if its onboarding failed, 503 if it takes
    longer than a request may (a later create finds it onboarded)."""
    deadline = time.monotonic() + settings.request_timeout_seconds * 2 / 3
    while time.monotonic() < deadline:
        async with store.engine.connect() as conn:
            row = await repo.get(conn, package_id)
        if row is None or row.onboarding_state == "CREATED":
            failure = (row.onboarding_failure_details or {}) if row is not None else {}
            raise unprocessable(
                f"the NFVO's VNF package could not be onboarded: {failure.get('detail')}"
            )
        if row.onboarding_state == "ONBOARDED":
            return
        await asyncio.sleep(_POLL_SECONDS)
    raise ProblemError(503, f"the NFVO's VNF package {package_id} is still being onboarded")
