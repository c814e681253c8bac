"""Heat's share of the simulated cloud: stacks whose servers live in the compute state."""

from __future__ import annotations

import copy
import time
from typing import Any

from servicevm_cloudsim import hot
from servicevm_cloudsim.cloud import BootRequest, Cloud, now_iso
from servicevm_cloudsim.model import CloudError, Server, Stack, User, new_id

# What a stack action leaves its servers in (CREATE and UPDATE: ACTIVE).
_SERVER_STATUS_AFTER = {"SUSPEND": "SUSPENDED", "RESUME": "ACTIVE"}


class Orchestration:
    def __init__(self, cloud: Cloud) -> None:
        self.cloud = cloud
        self.stacks: dict[str, Stack] = {}
        cloud.tick_hooks.append(self._advance_all)

    # --- requests ---------------------------------------------------------------------
    def create(
        self, user: User, name: str, template: dict[str, Any], parameters: dict[str, Any]
    ) -> Stack:
        with self.cloud.lock:
            self.cloud.tick()
            if any(s.name == name for s in self.stacks.values()):
                raise CloudError(409, f"The Stack ({name}) already exists.")
            params, servers = self._validate(template, parameters)
            stack = Stack(
                id=new_id(),
                name=name,
                project_id=user.project.id,
                template=template,
                parameters=params,
                created=now_iso(),
                ready_at=time.monotonic() + self.cloud.timing.stack_seconds,
            )
            self.stacks[stack.id] = stack
            self._boot_all(stack, user, servers)
            return stack

    def update(
        self, user: User, stack_id: str, template: dict[str, Any], parameters: dict[str, Any]
    ) -> None:
        with self.cloud.lock:
            stack = self.find(stack_id)
            if stack.status == "IN_PROGRESS":
                raise CloudError(409, f"Stack {stack.name} is busy ({stack.stack_status}).")
            params, servers = self._validate(template, parameters)
            stack.template, stack.parameters = template, params
            stack.action, stack.status = "UPDATE", "IN_PROGRESS"
            stack.status_reason, stack.updated = "Stack UPDATE started", now_iso()
            stack.ready_at = time.monotonic() + self.cloud.timing.stack_seconds
            self._reconcile(stack, user, servers)

    def delete(self, stack_id: str) -> None:
        with self.cloud.lock:
            stack = self.find(stack_id)
            if stack.action == "DELETE":
                return
            for server_id in stack.servers.values():
                if server_id in self.cloud.servers:
                    self.cloud.delete_server(server_id)
            stack.action, stack.status = "DELETE", "IN_PROGRESS"
            stack.status_reason = "Stack DELETE started"
            stack.delete_at = time.monotonic() + self.cloud.timing.stack_seconds

    def act(self, stack_id: str, action: str) -> None:
        """SUSPEND (every server SUSPENDED) or RESUME (every server ACTIVE again); each
        completes after the stack time. Heat refuses a busy stack and a resume of a stack
        that is not suspended."""
        with self.cloud.lock:
            stack = self.find(stack_id)
            if stack.status == "IN_PROGRESS" or stack.action == "DELETE":
                raise CloudError(409, f"Stack {stack.name} is busy ({stack.stack_status}).")
            if action == "RESUME" and stack.stack_status != "SUSPEND_COMPLETE":
                raise CloudError(
                    400, f"Stack {stack.name} cannot be resumed from {stack.stack_status}."
                )
            wanted = _SERVER_STATUS_AFTER[action]
            for server_id in stack.servers.values():
                server = self.cloud.servers.get(server_id)
                if server is not None:
                    server.status = wanted
            stack.action, stack.status = action, "IN_PROGRESS"
            stack.status_reason, stack.updated = f"Stack {action} started", now_iso()
            stack.ready_at = time.monotonic() + self.cloud.timing.stack_seconds

    def force_status(self, stack_id: str, stack_status: str, reason: str) -> None:
        """The stack is now ``stack_status`` (``CREATE_FAILED``, ``UPDATE_FAILED``, ...)."""
        action, _, status = stack_status.partition("_")
        if not status:
            raise CloudError(400, f"a stack status is ACTION_STATUS, not {stack_status!r}")
        with self.cloud.lock:
            stack = self.find(stack_id)
            stack.action, stack.status, stack.status_reason = action, status, reason
            stack.updated = now_iso()

    def find(self, name_or_id: str) -> Stack:
        with self.cloud.lock:
            self.cloud.tick()
            for stack in self.stacks.values():
                if name_or_id in (stack.id, stack.name):
                    return stack
            raise CloudError(404, f"The Stack ({name_or_id}) could not be found.")

    def snapshot(self) -> list[Stack]:
        with self.cloud.lock:
            self.cloud.tick()
            return [copy.deepcopy(s) for s in self.stacks.values()]

    # --- building ---------------------------------------------------------------------
    def _validate(
        self, template: dict[str, Any], parameters: dict[str, Any]
    ) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
        """Resolve parameters and server properties; refuse unknown images and flavors."""
        params = hot.merge_parameters(template, parameters)
        servers = hot.server_resources(template)
        resolved: dict[str, dict[str, Any]] = {}
        for name, props in servers.items():
            resolved[name] = hot.resolve(props, params, self._no_attrs)
            for key, find in (("image", self.cloud.find_image), ("flavor", self.cloud.find_flavor)):
                try:
                    find(str(resolved[name].get(key)))
                except CloudError as exc:
                    raise CloudError(
                        400, f"Property error: resources.{name}.properties.{key}: {exc.message}"
                    ) from exc
        return params, resolved

    @staticmethod
    def _no_attrs(name: str, path: list[Any]) -> Any:
        raise CloudError(400, f"Server properties may not refer to resource {name}.")

    def _boot_all(self, stack: Stack, user: User, servers: dict[str, dict[str, Any]]) -> None:
        for name, props in servers.items():
            try:
                server = self.cloud.boot(user, self._boot_request(stack, name, props))
            except CloudError as exc:
                self._fail(stack, f"Resource CREATE failed: {exc.message}")
                return
            stack.servers[name] = server.id

    def _boot_request(self, stack: Stack, name: str, props: dict[str, Any]) -> BootRequest:
        networks: list[dict[str, Any]] = props.get("networks") or []
        return BootRequest(
            name=str(props.get("name") or f"{stack.name}-{name}"),
            image_id=self.cloud.find_image(str(props["image"])).id,
            flavor_id=self.cloud.find_flavor(str(props["flavor"])).id,
            networks=[self._network_id(n["network"]) for n in networks if "network" in n],
            ports=[str(n["port"]) for n in networks if "port" in n],
            zone=props.get("availability_zone"),
            metadata={str(k): str(v) for k, v in (props.get("metadata") or {}).items()},
            key_name=props.get("key_name"),
            user_data=props.get("user_data"),
        )

    def _network_id(self, name_or_id: Any) -> str:
        for network in self.cloud.networks.values():
            if str(name_or_id) in (network.id, network.name):
                return network.id
        raise CloudError(400, f"Network {name_or_id} could not be found.")

    def _reconcile(self, stack: Stack, user: User, servers: dict[str, dict[str, Any]]) -> None:
        """Update servers in place where Heat would (name, metadata); replace those whose
        image or flavor changed; delete the ones gone from the template; boot new ones."""
        for name in list(stack.servers):
            if name not in servers:
                self.cloud.delete_server(stack.servers.pop(name))
        new: dict[str, dict[str, Any]] = {}
        for name, props in servers.items():
            request = self._boot_request(stack, name, props)
            current = self.cloud.servers.get(stack.servers.get(name, ""))
            if current is not None and _same_build(current, request):
                current.name, current.metadata = request.name, request.metadata
                current.updated = now_iso()
            else:
                if current is not None:
                    self.cloud.delete_server(current.id)
                new[name] = props
        self._boot_all(stack, user, new)

    # --- time -------------------------------------------------------------------------
    def _advance_all(self, moment: float) -> None:
        for stack in list(self.stacks.values()):
            if stack.action == "DELETE":
                self._advance_delete(stack, moment)
            elif stack.status == "IN_PROGRESS" and moment >= stack.ready_at:
                self._advance_build(stack)

    def _advance_delete(self, stack: Stack, moment: float) -> None:
        alive = [sid for sid in stack.servers.values() if sid in self.cloud.servers]
        if not alive and stack.delete_at is not None and moment >= stack.delete_at:
            del self.stacks[stack.id]

    def _advance_build(self, stack: Stack) -> None:
        servers = {name: self.cloud.servers.get(sid) for name, sid in stack.servers.items()}
        for name, server in servers.items():
            if server is not None and server.status == "ERROR":
                self._fail(
                    stack,
                    f"Resource {stack.action} failed: ResourceInError: resources.{name}: "
                    f'Went to status ERROR due to "Message: {server.fault}, Code: 500"',
                )
                return
        wanted = _SERVER_STATUS_AFTER.get(stack.action, "ACTIVE")
        if all(s is not None and s.status == wanted for s in servers.values()):
            stack.outputs = self._outputs(stack)
            stack.status = "COMPLETE"
            stack.status_reason = f"Stack {stack.action} completed successfully"

    def _fail(self, stack: Stack, reason: str) -> None:
        stack.status, stack.status_reason = "FAILED", reason

    def _outputs(self, stack: Stack) -> list[dict[str, Any]]:
        declared: dict[str, Any] = stack.template.get("outputs") or {}
        outputs = []
        for key, body in declared.items():
            entry: dict[str, Any] = {"output_key": key, "description": body.get("description")}
            try:
                entry["output_value"] = hot.resolve(
                    body.get("value"), stack.parameters, lambda n, p: self._attr(stack, n, p)
                )
            except (CloudError, KeyError, IndexError, TypeError, ValueError) as exc:
                entry["output_value"], entry["output_error"] = None, str(exc)
            outputs.append(entry)
        return outputs

    def _attr(self, stack: Stack, name: str, path: list[Any]) -> Any:
        server = self.cloud.servers.get(stack.servers.get(name, ""))
        if server is None:
            raise CloudError(400, f"The Referenced Attribute ({name} {path}) is incorrect.")
        attribute, *rest = path or ["id"]
        return hot.walk(self._server_attribute(server, str(attribute)), rest)

    def _server_attribute(self, server: Server, attribute: str) -> Any:
        networks = self.cloud.addresses(server)
        first = next((ips[0] for ips in networks.values() if ips), "")
        # Heat keys the `networks` attribute by network name and by network id.
        networks.update(self.cloud.addresses(server, by_id=True))
        show = {
            "id": server.id,
            "name": server.name,
            "status": server.status,
            "OS-EXT-SRV-ATTR:host": server.host,
            "OS-EXT-AZ:availability_zone": server.zone,
        }
        values = {**show, "first_address": first, "networks": networks, "show": show}
        if attribute not in values:
            raise CloudError(400, f"The Referenced Attribute (server {attribute}) is incorrect.")
        return values[attribute]


def _same_build(server: Server, request: BootRequest) -> bool:
    """Whether an update can keep this server (Heat replaces it on these changes)."""
    return server.image_id == request.image_id and server.flavor_id == request.flavor_id
