"""The steady load: workers that each repeat one life cycle through the REST API (create,
update, delete a device; place and remove a service instance; instantiate and terminate a
VNF), waiting for every accepted operation's outcome (chaos.ledger) before the next."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any

from chaos.client import Client, Unanswered
from chaos.ledger import Ledger, Operation, Outcome

DEVICES = "/v1.0/devices"
INSTANCES = "/v1.0/service_instances"
VNFS = "/vnflcm/v1/vnf_instances"
OP_OCCS = "/vnflcm/v1/vnf_lcm_op_occs"
PAUSE = 0.2  # between two operations of one worker
_serial = itertools.count(1)


@dataclass
class Targets:
    """What the workers create things of (made by chaos.setup)."""

    templates: dict[str, str]  # driver kind -> device template id ("noop", "local", "nova")
    service_type_id: str  # a firewall of the placement pool's template
    vnfd_id: str


class Load:
    def __init__(self, client: Client, ledger: Ledger, targets: Targets) -> None:
        self.client = client
        self.ledger = ledger
        self.targets = targets
        self.stopping = asyncio.Event()
        self.unanswered = 0  # writes whose replica died with them in flight
        self.surprises: list[str] = []
        self._extra: set[asyncio.Task[Any]] = set()

    async def run(self, mix: dict[str, int]) -> None:
        """``mix``: cycle name ("noop", "local", "nova", "placement", "vnf") -> workers.
        Returns once stopping is set and every worker, and every spawned cycle, is done."""
        workers = [self._worker(name) for name, count in mix.items() for _ in range(count)]
        await asyncio.gather(*workers)
        while self._extra:
            await asyncio.gather(*self._extra, return_exceptions=True)

    def spawn(self, work: Coroutine[Any, Any, Any]) -> None:
        """Extra work beside the workers (a burst, a canary's delete), settled by run()."""

        async def counted() -> None:
            try:
                await work
            except Unanswered:
                self.unanswered += 1

        task = asyncio.create_task(counted())
        self._extra.add(task)
        task.add_done_callback(self._extra.discard)

    async def _worker(self, name: str) -> None:
        while not self.stopping.is_set():
            try:
                if name == "placement":
                    await self.placement_cycle()
                elif name == "vnf":
                    await self.vnf_cycle()
                else:
                    await self.device_cycle(name)
            except Unanswered:
                self.unanswered += 1
            except Exception as exc:  # an answer the harness did not expect: noted, go on
                self.surprises.append(f"{name}: {exc!r}")
            await asyncio.sleep(PAUSE)

    # --- devices -----------------------------------------------------------------------

    async def create_device(self, kind: str) -> Operation | None:
        """The accepted create, once settled; None if the api refused it."""
        body = {"device": {"template_id": self.targets.templates[kind],
                           "kwargs": {"name": f"chaos-{next(_serial)}", "step": 0}}}  # fmt: skip
        response = await self.client.write(f"device.create {kind}", "POST", DEVICES, body)
        if response is None:
            return None
        device_id: str = response.json()["device"]["id"]
        op = self.ledger.accept(f"device.create {kind}", device_id)
        await self.ledger.settle(op, lambda: self._device_settled(device_id, None))
        return op

    async def device_cycle(self, kind: str) -> None:
        created = await self.create_device(kind)
        if created is None or created.outcome not in ("completed", "failed"):
            return
        device_id = created.resource
        shown = await self.client.get(f"{DEVICES}/{device_id}")
        if shown.status_code == 200 and shown.json()["device"]["status"] == "ACTIVE":
            kwargs = {**shown.json()["device"]["kwargs"], "step": 1}
            body = {"device": {"kwargs": kwargs}}
            path = f"{DEVICES}/{device_id}"
            if await self.client.write(f"device.update {kind}", "PUT", path, body):
                op = self.ledger.accept(f"device.update {kind}", device_id)
                await self.ledger.settle(op, lambda: self._device_settled(device_id, kwargs))
        await self.delete_device(kind, device_id)

    async def delete_device(self, kind: str, device_id: str) -> None:
        for _ in range(20):  # a 409 while another operation ends: ask again
            if await self.client.write(f"device.delete {kind}", "DELETE", f"{DEVICES}/{device_id}"):
                op = self.ledger.accept(f"device.delete {kind}", device_id)
                await self.ledger.settle(op, lambda: self._device_deleted(device_id))
                return
            await asyncio.sleep(1.0)

    async def _device_settled(
        self, device_id: str, kwargs: dict[str, Any] | None
    ) -> tuple[Outcome, str] | None:
        response = await self.client.get(f"{DEVICES}/{device_id}")
        if response.status_code == 404:
            return "lost", "the device vanished; nobody deleted it"
        if response.status_code != 200:
            return None  # a replica's 5xx is no outcome: ask again
        device = response.json()["device"]
        if device["status"] == "ACTIVE":
            if kwargs is not None and device["kwargs"] != kwargs:
                return "lost", "ACTIVE with the old kwargs: the update was dropped"
            return "completed", ""
        return _ended_in_error(device)

    async def _device_deleted(self, device_id: str) -> tuple[Outcome, str] | None:
        response = await self.client.get(f"{DEVICES}/{device_id}")
        if response.status_code == 404:
            return "completed", ""
        if response.status_code != 200:
            return None
        device = response.json()["device"]
        if device["status"] == "ACTIVE":
            return "lost", "ACTIVE again: the delete was dropped"
        return _ended_in_error(device)

    # --- service instances -------------------------------------------------------------

    async def placement_cycle(self) -> None:
        body = {"service_instance": {"name": f"chaos-{next(_serial)}",
                                     "service_type_id": self.targets.service_type_id}}  # fmt: skip
        response = await self.client.write("instance.create", "POST", INSTANCES, body)
        if response is None:
            return
        instance_id = response.json()["service_instance"]["id"]
        path = f"{INSTANCES}/{instance_id}"
        op = self.ledger.accept("instance.create", instance_id)
        outcome = await self.ledger.settle(op, lambda: self._instance_settled(path))
        if outcome not in ("completed", "failed"):
            return
        for _ in range(20):
            if await self.client.write("instance.delete", "DELETE", path):
                op = self.ledger.accept("instance.delete", instance_id)
                await self.ledger.settle(op, lambda: self._instance_gone(path))
                return
            await asyncio.sleep(1.0)

    async def _instance_settled(self, path: str) -> tuple[Outcome, str] | None:
        response = await self.client.get(path)
        if response.status_code == 404:
            return "lost", "the service instance vanished; nobody deleted it"
        if response.status_code != 200:
            return None
        instance = response.json()["service_instance"]
        return ("completed", "") if instance["status"] == "ACTIVE" else _ended_in_error(instance)

    async def _instance_gone(self, path: str) -> tuple[Outcome, str] | None:
        response = await self.client.get(path)
        if response.status_code == 404:
            return "completed", ""
        if response.status_code != 200:
            return None
        instance = response.json()["service_instance"]
        if instance["status"] == "ACTIVE":
            return "lost", "ACTIVE again: the delete was dropped"
        return _ended_in_error(instance)

    # --- VNFs ----------------------------------------------------------------------------

    async def vnf_cycle(self) -> None:
        created = await self.client.write(
            "vnf.create", "POST", VNFS, {"vnfdId": self.targets.vnfd_id}
        )
        if created is None:
            return
        vnf_id = created.json()["id"]
        await self.vnf_task(vnf_id, "instantiate", {"flavourId": "simple"})
        await self.vnf_task(vnf_id, "terminate", {"terminationType": "FORCEFUL"})
        for _ in range(20):
            if await self.client.write("vnf.delete", "DELETE", f"{VNFS}/{vnf_id}"):
                return
            await asyncio.sleep(1.0)

    async def vnf_task(self, vnf_id: str, task: str, body: dict[str, Any]) -> None:
        path = f"{VNFS}/{vnf_id}/{task}"
        response = await self.client.write(f"vnf.{task}", "POST", path, body)
        if response is None:
            return
        op_id = response.headers["Location"].rsplit("/", 1)[1]
        op = self.ledger.accept(f"vnf.{task}", op_id)
        if await self.ledger.settle(op, lambda: self._op_settled(op_id)) == "failed":
            # FAILED_TEMP waits for a decision: give it up, as an NFVO would.
            await self.client.write("vnf.fail", "POST", f"{OP_OCCS}/{op_id}/fail")

    async def _op_settled(self, op_id: str) -> tuple[Outcome, str] | None:
        response = await self.client.get(f"{OP_OCCS}/{op_id}")
        if response.status_code == 404:
            return "lost", "the operation occurrence vanished"
        if response.status_code != 200:
            return None
        op = response.json()
        state = op["operationState"]
        if state == "COMPLETED":
            return "completed", ""
        if state in ("FAILED_TEMP", "FAILED", "ROLLED_BACK"):
            detail = (op.get("error") or {}).get("detail", "")
            return ("failed", f"{state}: {detail}") if detail else ("lost", f"{state}, no error")
        return None


def _ended_in_error(resource: dict[str, Any]) -> tuple[Outcome, str] | None:
    if resource["status"] in ("ERROR", "DEAD"):
        reason = resource.get("error_reason") or resource.get("status_reason") or ""
        return ("failed", reason) if reason else ("lost", f"{resource['status']} with no reason")
    return None
