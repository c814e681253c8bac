"""Each service's handlers receive their messages: every handled type is bound to its queue."""

from __future__ import annotations

import pytest

from servicevm_api.handlers import HANDLERS as API
from servicevm_lifecycle.bootstrap import DEFINITION as LIFECYCLE_SERVICE
from servicevm_mgmt.bootstrap import DEFINITION as MGMT_SERVICE
from servicevm_scheduler.handlers import HANDLERS as SCHEDULER
from shared.config import ServiceName
from shared.messaging.dispatch import HandlerTable
from shared.messaging.topology import QUEUES
from shared.runtime import _bound_types

TABLES: dict[ServiceName, HandlerTable] = {
    "api": API,
    "scheduler": SCHEDULER,
    "lifecycle": LIFECYCLE_SERVICE.handlers,
    "mgmt": MGMT_SERVICE.handlers,
}


def test_wildcard_binding_matches_a_prefix_only() -> None:
    bound = _bound_types({"lifecycle.#"})
    assert "lifecycle.create_device" in bound
    assert "device.status_changed" not in bound


@pytest.mark.parametrize("service", list(TABLES))
def test_handlers_and_bindings_agree(service: ServiceName) -> None:
    handled = {model.TYPE for model in TABLES[service]}
    assert handled == _bound_types(QUEUES[service].routing_keys())
