"""Periodic job: report the SOL003 subscriptions' delivery states that changed to the api
(``subscriptions.state``), every ``delivery_state_seconds``."""

from __future__ import annotations

import asyncio
import logging
import uuid

from servicevm_mgmt.subscriptions.state import report_changes
from shared.config import Settings
from shared.messaging.dispatch import ServiceStore

log = logging.getLogger(__name__)


async def report_delivery_states(store: ServiceStore, settings: Settings) -> None:
    while True:
        try:
            async with store.unit_of_work(f"req-delivery-state-{uuid.uuid4()}") as uow:
                await report_changes(uow)
                await uow.commit()
        except Exception:
            log.warning("reporting delivery states failed; trying again", exc_info=True)
        await asyncio.sleep(settings.delivery_state_seconds)
