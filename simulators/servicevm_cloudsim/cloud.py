"""The simulated cloud's state: identity, compute and network, advanced lazily in time.

Time moves on whenever the state is read (`tick`): a server built `boot_seconds` ago turns
ACTIVE (or ERROR), one deleted `delete_seconds` ago disappears. No background thread, so a
test sees exactly the transitions that the clock allows.
"""

from __future__ import annotations

import copy
import itertools
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from servicevm_cloudsim.faults import Faults
from servicevm_cloudsim.model import (
    AppCredential,
    CloudError,
    Flavor,
    Image,
    Network,
    Port,
    PowerEvent,
    Project,
    Server,
    User,
    new_id,
)

# Host -> availability zone of the simulated compute nodes.
HOSTS: dict[str, str] = {"compute-1": "az-1", "compute-2": "az-1", "compute-3": "az-2"}


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Timing:
    boot_seconds: float = 0.1
    delete_seconds: float = 0.05
    stack_seconds: float = 0.05


@dataclass
class BootRequest:
    name: str
    image_id: str
    flavor_id: str
    networks: list[str] = field(default_factory=list)  # network ids: Nova makes a port
    ports: list[str] = field(default_factory=list)  # existing port ids
    zone: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    key_name: str | None = None
    user_data: str | None = None
    security_groups: list[str] = field(default_factory=lambda: ["default"])


class Cloud:
    """All state behind one lock; every public method takes it."""

    def __init__(self, timing: Timing | None = None, faults: Faults | None = None) -> None:
        self.lock = threading.RLock()
        self.timing = timing or Timing()
        self.faults = faults or Faults()
        self.quota_instances = 10
        self._macs = itertools.count(1)
        self._hosts = itertools.cycle(HOSTS)
        # token -> (its user, when it expires as a Unix time)
        self.tokens: dict[str, tuple[User, float]] = {}
        self.token_ttl_seconds = 3600.0
        self.projects: dict[str, Project] = {}
        self.project = Project(id=new_id().replace("-", ""), name="demo")
        self.users: dict[str, User] = {}
        self.app_credentials: dict[str, AppCredential] = {}
        self.flavors: dict[str, Flavor] = {}
        self.images: dict[str, Image] = {}
        self.networks: dict[str, Network] = {}
        self.ports: dict[str, Port] = {}
        self.servers: dict[str, Server] = {}
        # Every stop and delete asked for, oldest first (what a test checks the order of).
        self.power_events: list[PowerEvent] = []
        # Called by tick() so the orchestration part advances with the same clock.
        self.tick_hooks: list[Callable[[float], None]] = []
        self._seed()

    def _seed(self) -> None:
        user = User(id=new_id(), name="demo", password="secret", project=self.project)
        self.users[user.name] = user
        cred = AppCredential(id="appcred-demo", secret="appcred-secret", user=user)
        self.app_credentials[cred.id] = cred
        for name, vcpus, ram in (
            ("m1.tiny", 1, 512),
            ("m1.small", 1, 2048),
            ("m1.medium", 2, 4096),
        ):
            flavor = Flavor(id=new_id(), name=name, vcpus=vcpus, ram=ram, disk=10)
            self.flavors[flavor.id] = flavor
        for name in ("cirros", "vyos"):
            image = Image(id=new_id(), name=name)
            self.images[image.id] = image
        for index, name in enumerate(("mgmt-net", "data-net", "ext-net"), start=1):
            self.add_network(name, prefix=f"10.0.{index}.")

    # --- identity -------------------------------------------------------------------
    def authenticate_password(self, user_name: str, password: str) -> str:
        with self.lock:
            user = self.users.get(user_name)
            if user is None or not secrets.compare_digest(user.password, password):
                raise CloudError(401, "The request you have made requires authentication.")
            return self._issue_token(user)

    def authenticate_app_credential(self, cred_id: str, secret: str) -> str:
        with self.lock:
            cred = self.app_credentials.get(cred_id)
            if cred is None or not secrets.compare_digest(cred.secret, secret):
                raise CloudError(401, "The request you have made requires authentication.")
            return self._issue_token(cred.user)

    def _issue_token(self, user: User, ttl_seconds: float | None = None) -> str:
        token = secrets.token_hex(16)
        ttl = self.token_ttl_seconds if ttl_seconds is None else ttl_seconds
        self.tokens[token] = (user, time.time() + ttl)
        return token

    def add_user(
        self, name: str, password: str, project_name: str, roles: tuple[str, ...] = ("member",)
    ) -> User:
        """A user with roles on a project of its own (created on first use)."""
        with self.lock:
            project = self.projects.get(project_name)
            if project is None:
                project = Project(id=new_id().replace("-", ""), name=project_name)
                self.projects[project_name] = project
            user = User(id=new_id(), name=name, password=password, project=project, roles=roles)
            self.users[name] = user
            return user

    def issue_token(self, user_name: str, ttl_seconds: float | None = None) -> str:
        """A token for a user without a request; ``ttl_seconds`` may be short, or negative."""
        with self.lock:
            return self._issue_token(self.users[user_name], ttl_seconds)

    def token_expiry(self, token: str) -> float:
        with self.lock:
            return self.tokens[token][1]

    def user_for_token(self, token: str | None) -> User:
        with self.lock:
            user, expires = self.tokens.get(token or "", (None, 0.0))
            if user is None or expires <= time.time():
                raise CloudError(401, "The request you have made requires authentication.")
            return user

    # --- lookups ----------------------------------------------------------------------
    def add_network(self, name: str, prefix: str) -> Network:
        with self.lock:
            network = Network(id=new_id(), name=name, prefix=prefix)
            self.networks[network.id] = network
            return network

    def network_named(self, name: str) -> Network:
        with self.lock:
            return next(n for n in self.networks.values() if n.name == name)

    def image_named(self, name: str) -> Image:
        with self.lock:
            return next(i for i in self.images.values() if i.name == name)

    def remove_image(self, name: str) -> None:
        with self.lock:
            self.images.pop(self.image_named(name).id)

    def find_image(self, name_or_id: str) -> Image:
        with self.lock:
            for image in self.images.values():
                if name_or_id in (image.id, image.name):
                    return image
            raise CloudError(400, f"Image {name_or_id} could not be found.")

    def find_flavor(self, name_or_id: str) -> Flavor:
        with self.lock:
            for flavor in self.flavors.values():
                if name_or_id in (flavor.id, flavor.name):
                    return flavor
            raise CloudError(400, f"Flavor {name_or_id} could not be found.")

    # --- time -------------------------------------------------------------------------
    def tick(self) -> None:
        with self.lock:
            moment = time.monotonic()
            for server in list(self.servers.values()):
                self._advance_server(server, moment)
            for hook in self.tick_hooks:
                hook(moment)

    def _advance_server(self, server: Server, moment: float) -> None:
        if server.delete_at is not None and moment >= server.delete_at:
            self._remove_server(server)
        elif server.stop_at is not None and moment >= server.stop_at:
            server.status, server.stop_at, server.updated = "SHUTOFF", None, now_iso()
        elif server.status == "BUILD" and moment >= server.ready_at:
            if server.fail_message is not None:
                server.status, server.fault = "ERROR", server.fail_message
            else:
                server.status = "ACTIVE"
            server.updated = now_iso()

    def _remove_server(self, server: Server) -> None:
        del self.servers[server.id]
        for port_id in server.port_ids:
            port = self.ports.get(port_id)
            if port is None:
                continue
            if port.owned_by_server:
                del self.ports[port_id]
            else:
                port.device_id, port.device_owner = "", ""

    # --- compute ----------------------------------------------------------------------
    def boot(self, user: User, request: BootRequest) -> Server:
        with self.lock:
            self.tick()
            self.find_image(request.image_id)
            self.find_flavor(request.flavor_id)
            self._check_quota(user)
            host = self._pick_host(request.zone)
            server = Server(
                id=new_id(),
                name=request.name,
                project_id=user.project.id,
                user_id=user.id,
                image_id=request.image_id,
                flavor_id=request.flavor_id,
                host=host,
                zone=HOSTS[host],
                port_ids=[],
                created=now_iso(),
                ready_at=time.monotonic() + self.timing.boot_seconds,
                metadata=dict(request.metadata),
                key_name=request.key_name,
                user_data=request.user_data,
                security_groups=list(request.security_groups),
                fail_message=self.faults.take_boot_failure(),
            )
            server.port_ids = self._plug(server.id, request)
            self.servers[server.id] = server
            return server

    def _check_quota(self, user: User) -> None:
        used = sum(1 for s in self.servers.values() if s.project_id == user.project.id)
        if used + 1 > self.quota_instances:
            raise CloudError(
                403,
                f"Quota exceeded for instances: Requested 1, but already used {used} "
                f"of {self.quota_instances} instances",
            )

    def _pick_host(self, zone: str | None) -> str:
        if zone is not None and zone not in HOSTS.values():
            raise CloudError(400, "The requested availability zone is not available")
        for _ in range(len(HOSTS)):
            host = next(self._hosts)
            if zone is None or HOSTS[host] == zone:
                return host
        raise AssertionError("unreachable: every zone has a host")

    def _plug(self, server_id: str, request: BootRequest) -> list[str]:
        for network_id in request.networks:
            if network_id not in self.networks:
                raise CloudError(400, f"Network {network_id} could not be found.")
        for port_id in request.ports:
            port = self.ports.get(port_id)
            if port is None:
                raise CloudError(400, f"Port {port_id} could not be found.")
            if port.device_id:
                raise CloudError(409, f"Port {port_id} is still in use.")
        port_ids = list(request.ports)
        for network_id in request.networks:
            port_ids.append(self.create_port(network_id, owned_by_server=True).id)
        for port_id in port_ids:
            self.ports[port_id].device_id = server_id
            self.ports[port_id].device_owner = "compute:nova"
        return port_ids

    def server(self, server_id: str) -> Server:
        with self.lock:
            self.tick()
            server = self.servers.get(server_id)
            if server is None:
                raise CloudError(404, f"Instance {server_id} could not be found.")
            return server

    def stop_server(self, server_id: str) -> None:
        """os-stop: 409 unless ACTIVE and not powering off already; SHUTOFF at once, or
        after the slow stop the faults hold for it."""
        with self.lock:
            server = self.server(server_id)
            if server.status != "ACTIVE" or server.stop_at is not None:
                task = " (powering-off)" if server.stop_at is not None else ""
                raise CloudError(
                    409, f"Cannot 'stop' instance {server_id} while it is {server.status}{task}"
                )
            self.power_events.append(PowerEvent(server_id, "stop", server.status, time.monotonic()))
            seconds = self.faults.take_stop_seconds()
            if seconds is None:
                server.status, server.updated = "SHUTOFF", now_iso()
            else:
                server.stop_at = time.monotonic() + seconds

    def delete_server(self, server_id: str) -> None:
        with self.lock:
            server = self.server(server_id)
            if server.delete_at is None:
                self.power_events.append(
                    PowerEvent(server_id, "delete", server.status, time.monotonic())
                )
                server.delete_at = time.monotonic() + self.timing.delete_seconds

    # --- behind the client's back (the control API: an operator, a failing host) ------
    def force_server_status(self, server_id: str, status: str, fault: str | None = None) -> None:
        """The server is now in ``status`` (ERROR, SHUTOFF, ...), as if the cloud put it there."""
        with self.lock:
            server = self.server(server_id)
            server.status, server.updated = status, now_iso()
            if fault is not None:
                server.fault = fault

    def vanish_server(self, server_id: str) -> None:
        """The server is gone at once, deleted by someone else (404 from now on)."""
        with self.lock:
            self._remove_server(self.server(server_id))

    # --- network ----------------------------------------------------------------------
    def create_port(
        self, network_id: str, *, name: str = "", owned_by_server: bool = False
    ) -> Port:
        with self.lock:
            network = self.networks.get(network_id)
            if network is None:
                raise CloudError(404, f"Network {network_id} could not be found.")
            mac = next(self._macs)
            port = Port(
                id=new_id(),
                network_id=network.id,
                subnet_id=network.subnet_id,
                ip_address=network.allocate_ip(),
                mac_address=f"fa:16:3e:00:{mac // 256:02x}:{mac % 256:02x}",
                name=name,
                owned_by_server=owned_by_server,
            )
            self.ports[port.id] = port
            return port

    def delete_port(self, port_id: str) -> None:
        with self.lock:
            if self.ports.pop(port_id, None) is None:
                raise CloudError(404, f"Port {port_id} could not be found.")

    # --- inspection -------------------------------------------------------------------
    def snapshot_servers(self) -> list[Server]:
        with self.lock:
            self.tick()
            return [copy.deepcopy(s) for s in self.servers.values()]

    def addresses(self, server: Server, *, by_id: bool = False) -> dict[str, list[str]]:
        """Network name (or id) -> fixed IPs, in the order the NICs were plugged."""
        with self.lock:
            result: dict[str, list[str]] = {}
            for port_id in server.port_ids:
                port = self.ports[port_id]
                key = port.network_id if by_id else self.networks[port.network_id].name
                result.setdefault(key, []).append(port.ip_address)
            return result
