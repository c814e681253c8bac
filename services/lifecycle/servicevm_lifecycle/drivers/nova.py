"""Devices as Nova servers, through openstacksdk.

Template attributes: ``image``, ``flavor`` (names or ids), ``key_name``, ``user_data``,
``availability_zone``, ``security_groups`` (comma-separated), ``ready_timeout_seconds``.
Device kwargs: ``name`` and ``metadata`` (also what ``update`` applies), and
``availability_zone`` (the zone an NFVO's grant chose), which wins over the template's. NICs come from the
service contexts: a ``port_id`` is plugged as is, else Nova makes a port on ``network_id``.

A server that goes to ERROR is left for the flow's revert, which calls ``delete``.
"""

from __future__ import annotations

from typing import Any

from openstack import exceptions as sdk_exc
from openstack.compute.v2.server import Server
from openstack.connection import Connection

from servicevm_lifecycle.drivers import cloud_spec
from servicevm_lifecycle.drivers.base import (
    DeviceDriverError,
    DeviceSpec,
    InstanceFacts,
    OwnedInstance,
    VimCredentials,
)
from servicevm_lifecycle.drivers.cloud_driver import CloudDriver
from servicevm_lifecycle.drivers.cloud_spec import DEVICE_ID_KEY, PortFacts
from servicevm_lifecycle.drivers.vim import VimSession

GONE = "DELETED"  # status() of a server that no longer exists


class NovaDeviceDriver(CloudDriver):
    kind = "nova"

    async def create(self, spec: DeviceSpec) -> str:
        session = self._session(spec)
        name = cloud_spec.instance_name(spec)
        try:
            server_id = await session.call(
                lambda conn: _boot(conn, spec), what=f"boot of server {name}"
            )
        except DeviceDriverError:
            # A try may have reached the cloud although its answer was lost: leave nothing.
            await self._delete_strays(session, spec)
            raise
        self._vims[server_id] = session.vim
        return server_id

    async def wait_until_ready(self, instance_id: str, spec: DeviceSpec) -> InstanceFacts:
        session = self._session(spec, instance_id)
        server = await self._poll(
            session,
            spec,
            lambda conn: _fetch_building(conn, instance_id),
            lambda s: s.status == "ACTIVE",
            what=f"server {instance_id} to become ACTIVE",
            describe=lambda s: str(s.status),
        )
        ports = await session.call(
            lambda conn: _ports(conn, instance_id), what=f"ports of server {instance_id}"
        )
        return InstanceFacts(
            mgmt_address=cloud_spec.pick_mgmt_address(
                spec.service_contexts, ports, server.addresses or {}
            ),
            host=server.compute_host,
            availability_zone=server.availability_zone,
        )

    async def update(self, instance_id: str, spec: DeviceSpec) -> None:
        session = self._session(spec, instance_id)
        await session.call(
            lambda conn: _update(conn, instance_id, spec), what=f"update of server {instance_id}"
        )

    async def delete(self, instance_id: str, spec: DeviceSpec) -> None:
        session = self._session(spec, instance_id)
        await session.call(
            lambda conn: conn.compute.delete_server(instance_id, ignore_missing=True),
            what=f"delete of server {instance_id}",
        )
        await self._poll(
            session,
            spec,
            lambda conn: _fetch(conn, instance_id),
            lambda s: s is None,
            what=f"server {instance_id} to be deleted",
            describe=lambda s: "gone" if s is None else str(s.status),
        )
        self._vims.pop(instance_id, None)

    async def start(self, instance_id: str, spec: DeviceSpec) -> None:
        await self._power(instance_id, spec, "ACTIVE")

    async def stop(
        self, instance_id: str, spec: DeviceSpec, graceful_timeout: float | None = None
    ) -> None:
        # Nova's stop is an ACPI shutdown with the compute host's own grace period; the
        # op's graceful timeout cannot be passed on, the wait below bounds it.
        await self._power(instance_id, spec, "SHUTOFF")

    async def request_stop(self, instance_id: str, spec: DeviceSpec) -> None:
        """Nova's stop (an ACPI shutdown of the guest), not waited for: a server stopped,
        powering off or gone already is left as it is."""
        session = self._session(spec, instance_id)
        server = await session.call(
            lambda conn: _fetch(conn, instance_id), what=f"server {instance_id}"
        )
        if server is None or _stopping(server):
            return
        try:
            await session.call(
                lambda conn: conn.compute.stop_server(instance_id),
                what=f"stop of server {instance_id}",
            )
        except DeviceDriverError:
            # A 409: someone else's stop (or ours, redelivered) got there first.
            again = await session.call(
                lambda conn: _fetch(conn, instance_id), what=f"server {instance_id}"
            )
            if again is not None and not _stopping(again):
                raise

    async def _power(self, instance_id: str, spec: DeviceSpec, wanted: str) -> None:
        """Nova start / stop (a 409 if the server is already there: asked only if not)."""
        session = self._session(spec, instance_id)
        verb = "start" if wanted == "ACTIVE" else "stop"
        server = await session.call(
            lambda conn: _fetch(conn, instance_id), what=f"server {instance_id}"
        )
        if server is None:
            raise DeviceDriverError(f"cannot {verb} server {instance_id}: it does not exist")
        if server.status != wanted:
            call = "start_server" if wanted == "ACTIVE" else "stop_server"
            await session.call(
                lambda conn: getattr(conn.compute, call)(instance_id),
                what=f"{verb} of server {instance_id}",
            )
        await self._poll(
            session,
            spec,
            lambda conn: _fetch_building(conn, instance_id),
            lambda s: s.status == wanted,
            what=f"server {instance_id} to become {wanted}",
            describe=lambda s: str(s.status),
        )

    async def status(self, instance_id: str) -> str:
        session = self._known_session(instance_id)
        server = await session.call(
            lambda conn: _fetch(conn, instance_id), what=f"server {instance_id}"
        )
        return GONE if server is None else str(server.status)

    async def find_instance(self, spec: DeviceSpec) -> str | None:
        """By the device-id metadata alone: the server's name may have been changed since."""
        session = self._session(spec)
        owned = await session.call(_owned, what="look-up of servers by device id")
        return next((o.instance_id for o in owned if o.device_id == str(spec.device_id)), None)

    async def owned_instances(self, vim: VimCredentials | None) -> list[OwnedInstance]:
        if vim is None:
            return []
        return await self._sessions.get(vim).call(_owned, what="listing of servicevm servers")

    async def _delete_strays(self, session: VimSession, spec: DeviceSpec) -> None:
        try:
            strays = await session.call(
                lambda conn: _find_own(conn, spec), what="look-up of stray servers"
            )
            for server_id in strays:
                await self.delete(server_id, spec)
        except DeviceDriverError:
            pass  # best effort: the original failure is what the caller must see


# --- synchronous openstacksdk calls, run in the VIM's thread pool --------------------------
def _find_own(conn: Connection, spec: DeviceSpec) -> list[str]:
    """Servers this device already has (by name and device-id metadata)."""
    name = cloud_spec.instance_name(spec)
    return [
        str(s.id)
        for s in conn.compute.servers(details=True, name=f"^{name}$")
        if (s.metadata or {}).get(DEVICE_ID_KEY) == str(spec.device_id)
    ]


def _owned(conn: Connection) -> list[OwnedInstance]:
    """Servers carrying a servicevm device id in their metadata (filtered here: Nova has
    no server-side filter on metadata)."""
    return [
        OwnedInstance(
            str(s.id), str(s.metadata[DEVICE_ID_KEY]), cloud_spec.cloud_time(s.created_at)
        )
        for s in conn.compute.servers(details=True)
        if (s.metadata or {}).get(DEVICE_ID_KEY)
    ]


def _boot(conn: Connection, spec: DeviceSpec) -> str:
    existing = _find_own(conn, spec)
    if existing:
        return existing[0]  # an earlier try got through; do not boot twice
    attrs = spec.template_attributes
    try:
        image = conn.image.find_image(_required(attrs, "image"), ignore_missing=False)
    except sdk_exc.NotFoundException:
        raise DeviceDriverError(f"image {attrs['image']!r} not found") from None
    try:
        flavor = conn.compute.find_flavor(_required(attrs, "flavor"), ignore_missing=False)
    except sdk_exc.NotFoundException:
        raise DeviceDriverError(f"flavor {attrs['flavor']!r} not found") from None
    request = cloud_spec.server_request(spec)
    server = conn.compute.create_server(image_id=image.id, flavor_id=flavor.id, **request)
    return str(server.id)


def _required(attrs: dict[str, str], key: str) -> str:
    if not attrs.get(key):
        raise DeviceDriverError(f"template attribute {key!r} is required by the nova driver")
    return attrs[key]


def _fetch(conn: Connection, server_id: str) -> Server | None:
    try:
        return conn.compute.get_server(server_id)
    except sdk_exc.NotFoundException:
        return None


def _fetch_building(conn: Connection, server_id: str) -> Server:
    server = _fetch(conn, server_id)
    if server is None:
        raise DeviceDriverError(f"server {server_id} disappeared while building")
    if server.status == "ERROR":
        fault: dict[str, Any] = server.fault or {}
        raise DeviceDriverError(
            f"server {server_id} went to ERROR: {fault.get('message', 'no fault given')}"
        )
    return server


def _stopping(server: Server) -> bool:
    return bool(server.status == "SHUTOFF" or server.task_state == "powering-off")


def _ports(conn: Connection, server_id: str) -> list[PortFacts]:
    return [
        PortFacts(
            port_id=str(p.id),
            network_id=str(p.network_id),
            ip_addresses=tuple(str(ip["ip_address"]) for ip in p.fixed_ips or []),
        )
        for p in conn.network.ports(device_id=server_id)
    ]


def _update(conn: Connection, server_id: str, spec: DeviceSpec) -> None:
    if "name" in spec.kwargs:
        conn.compute.update_server(server_id, name=cloud_spec.instance_name(spec))
    if "metadata" in spec.kwargs:
        conn.compute.set_server_metadata(server_id, **cloud_spec.metadata(spec))
