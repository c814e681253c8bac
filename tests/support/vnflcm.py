"""Driving lifecycle's VNF LCM side over the bus, as the api will: a flavour spec built from
a sample package and device templates made through /v1.0, commands published on
servicevm.commands, and the op occ and VNF events read from servicevm.events."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

from shared.config import Settings
from shared.contracts.envelope import Envelope
from shared.contracts.vnflcm import (
    ActionName,
    RunVnfLcmOperation,
    VnfFlavourSpec,
    VnfLcmOperation,
    VnfLcmOperationAction,
)
from shared.messaging.topology import EVENTS
from shared.vnfd.build import sample_package
from shared.vnfd.parser import parse_package
from tests.support.api import Api
from tests.support.bus import BusQueue, envelope_for, publish_command
from tests.support.db import fetch

Snapshot = dict[str, Any]


def flavour_spec(
    api: Api,
    settings: Settings,
    template_fields: dict[str, dict[str, Any]] | None = None,
    *,
    package: str = "simple",
    flavour_id: str = "simple",
    **common: Any,
) -> VnfFlavourSpec:
    """A sample package's flavour (by default ``simple``'s: VDU1, VDU2, the aspect
    worker_instance scaling VDU2), each VDU a device template made through the api
    (``common`` and per-VDU fields)."""
    flavour = parse_package(sample_package(package)).vnfd.flavour(flavour_id)
    templates = {}
    for vdu_id in flavour.vdus:
        fields = {
            "name": f"vnfc {vdu_id}",
            "service_types": [],
            **common,
            **(template_fields or {}).get(vdu_id, {}),
        }
        templates[vdu_id] = uuid.UUID(api.create_template(**fields)["id"])
    wait_for_templates(settings, list(templates.values()))
    return VnfFlavourSpec(vnfd_id="simple-vnfd", flavour=flavour, vdu_templates=templates)


def wait_for_templates(settings: Settings, template_ids: list[uuid.UUID]) -> None:
    """Until lifecycle has its copy of each template, as onboarding would before a package
    is ONBOARDED (a test publishing straight to lifecycle could overtake the api's relay)."""
    deadline = time.monotonic() + 20
    query = "SELECT count(*) AS n FROM device_templates WHERE id = ANY($1::uuid[])"
    while fetch(settings, "lifecycle", query, template_ids)[0]["n"] < len(template_ids):
        assert time.monotonic() < deadline, f"lifecycle never got templates {template_ids}"
        time.sleep(0.1)


class VnfLcmBus(BusQueue):
    """Publishes the commands and records every VNF LCM event of the suite."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.amqp_url = settings.amqp_url
        self.ops: dict[str, list[Snapshot]] = {}
        self.vnfs: dict[str, list[Snapshot]] = {}
        # Per VNF, each message about it in order: (type, its op's last state or None).
        self.messages: dict[str, list[tuple[str, str | None]]] = {}
        keys = ("vnf_lcm_op_occ.changed", "vnf_instance.changed")
        super().__init__(self.amqp_url, EVENTS, keys, "test.vnflcm")

    def _on_message(self, body: Any, message: Any) -> None:
        payload = body["payload"]
        if body["type"] == "vnf_lcm_op_occ.changed":
            # Each state the message names, the ones the op went through first.
            states = [*payload.get("passed", []), payload["op_occ"]]
            self.ops.setdefault(payload["op_occ"]["id"], []).extend(states)
        vnf = payload.get("vnf_instance")  # an op's change may carry its VNF's
        if vnf is not None:
            self.vnfs.setdefault(vnf["id"], []).append(vnf)
        op = payload.get("op_occ")
        vnf_id = op["vnf_instance_id"] if op is not None else vnf["id"]
        state = op["operation_state"] if op is not None else None
        self.messages.setdefault(vnf_id, []).append((body["type"], state))
        message.ack()

    def wait(self, predicate: Callable[[], bool], what: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            self.drain(0.1)
        errors = {
            op: seen[-1].get("error") for op, seen in self.ops.items() if seen[-1].get("error")
        }
        raise AssertionError(f"never saw {what}; ops: {self.states()}; errors: {errors}")

    def states(self) -> dict[str, list[str]]:
        return {op: [s["operation_state"] for s in seen] for op, seen in self.ops.items()}

    def op(self, op_id: uuid.UUID) -> Snapshot:
        """The op occ at its highest revision seen."""
        return max(self.ops[str(op_id)], key=lambda s: s["revision"])

    def vnf(self, vnf_id: uuid.UUID) -> Snapshot:
        return max(self.vnfs[str(vnf_id)], key=lambda s: s["revision"])

    def wait_op(self, op_id: uuid.UUID, state: str, timeout: float = 30) -> Snapshot:
        self.wait(
            lambda: str(op_id) in self.ops and self.op(op_id)["operation_state"] == state,
            f"op {op_id} {state}",
            timeout,
        )
        return self.op(op_id)

    def run(
        self,
        vnf_id: uuid.UUID,
        tenant_id: str,
        operation: VnfLcmOperation,
        params: dict[str, Any] | None = None,
        *,
        flavour: VnfFlavourSpec | None = None,
        op_id: uuid.UUID | None = None,
    ) -> tuple[uuid.UUID, Envelope]:
        command = RunVnfLcmOperation(
            id=op_id or uuid.uuid4(),
            vnf_instance_id=vnf_id,
            tenant_id=tenant_id,
            operation=operation,
            operation_params=params or {},
            flavour=flavour,
        )
        envelope = envelope_for(command, tenant_id)
        publish_command(self.amqp_url, envelope)
        return command.id, envelope

    def act(
        self,
        vnf_id: uuid.UUID,
        tenant_id: str,
        op_id: uuid.UUID,
        action: ActionName,
        **fields: Any,
    ) -> None:
        command = VnfLcmOperationAction(
            id=op_id, vnf_instance_id=vnf_id, tenant_id=tenant_id, action=action, **fields
        )
        publish_command(self.amqp_url, envelope_for(command, tenant_id))


# --- reading the VNF snapshots ---------------------------------------------------------


def vnfcs_by_vdu(vnf: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for vnfc in vnf["vnfc_resource_info"]:
        found.setdefault(vnfc["vdu_id"], []).append(vnfc)
    return found


def wait_vnf(bus: VnfLcmBus, vnf_id: uuid.UUID, **expected: Any) -> dict[str, Any]:
    def matches() -> bool:
        if str(vnf_id) not in bus.vnfs:
            return False
        vnf = bus.vnf(vnf_id)
        return all(vnf[key] == value for key, value in expected.items())

    bus.wait(matches, f"VNF {vnf_id} with {expected}")
    return bus.vnf(vnf_id)


def counts(vnf: dict[str, Any]) -> dict[str, int]:
    return {vdu: len(vnfcs) for vdu, vnfcs in vnfcs_by_vdu(vnf).items()}


def instantiate(
    bus: VnfLcmBus, api: Api, spec: VnfFlavourSpec, vnf_id: uuid.UUID
) -> dict[str, Any]:
    op, _ = bus.run(vnf_id, api.project, "INSTANTIATE", {"flavourId": "simple"}, flavour=spec)
    bus.wait_op(op, "COMPLETED")
    return wait_vnf(bus, vnf_id, instantiation_state="INSTANTIATED")
