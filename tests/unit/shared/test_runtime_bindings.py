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
# Bound before anyone handles them: the api's projection of VNF instances and op occs
# (issue 9, /vnflcm/v1) consumes them; until then the api drops them with a warning.
AHEAD_OF_HANDLERS: dict[ServiceName, set[str]] = {
    "api": {"vnf_lcm_op_occ.changed", "vnf_instance.changed"},
}


def test_wildcard_binding_matches_a_prefix_only() -> None:
    bound = _bound_types({"lifecycle.#"})
    assert "lifecycle.create_device" in bound
    assert "device.status_changed" not in bound


@pytest.mark.parametrize("service", list(TABLES))
def test_handlers_and_bindings_agree(service: ServiceName) -> None:
    handled = {model.TYPE for model in TABLES[service]}
    ahead = AHEAD_OF_HANDLERS.get(service, set()) - handled
    assert handled | ahead == _bound_types(QUEUES[service].routing_keys())
