"""The simulated cloud's resources as plain records; no HTTP here."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any


def new_id() -> str:
    return str(uuid.uuid4())


class CloudError(Exception):
    """A request the cloud refuses; the routes turn it into each service's error body."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class Project:
    id: str
    name: str
    domain: str = "Default"


@dataclass
class User:
    id: str
    name: str
    password: str
    project: Project
    domain: str = "Default"
    roles: tuple[str, ...] = ("member", "reader")


@dataclass
class AppCredential:
    id: str
    secret: str
    user: User


@dataclass
class Flavor:
    id: str
    name: str
    vcpus: int
    ram: int
    disk: int


@dataclass
class Image:
    id: str
    name: str


@dataclass
class Network:
    id: str
    name: str
    prefix: str  # "10.0.1." - hosts are allocated from .10 upwards
    subnet_id: str = field(default_factory=new_id)
    next_host: int = 10

    def allocate_ip(self) -> str:
        ip = f"{self.prefix}{self.next_host}"
        self.next_host += 1
        return ip


@dataclass
class Port:
    id: str
    network_id: str
    subnet_id: str
    ip_address: str
    mac_address: str
    name: str = ""
    device_id: str = ""
    device_owner: str = ""
    # Ports Nova made for a `networks: [{uuid}]` request die with their server.
    owned_by_server: bool = False


@dataclass
class Server:
    id: str
    name: str
    project_id: str
    user_id: str
    image_id: str
    flavor_id: str
    host: str
    zone: str
    port_ids: list[str]
    created: str
    ready_at: float
    metadata: dict[str, str] = field(default_factory=dict)
    key_name: str | None = None
    user_data: str | None = None
    security_groups: list[str] = field(default_factory=lambda: ["default"])
    status: str = "BUILD"
    # Set when the boot is doomed: the server goes to ERROR with this fault at ready_at.
    fail_message: str | None = None
    fault: str | None = None
    delete_at: float | None = None
    updated: str = ""
    # An os-stop in progress (task_state powering-off): SHUTOFF at this time; inf: a guest
    # that ignores the ACPI shutdown and never powers off.
    stop_at: float | None = None


@dataclass(frozen=True)
class PowerEvent:
    """A stop or a delete a client asked for, with the server's status at that moment."""

    server_id: str
    action: str  # "stop" | "delete"
    status: str
    at: float  # time.monotonic()


@dataclass
class Stack:
    id: str
    name: str
    project_id: str
    template: dict[str, Any]
    parameters: dict[str, Any]
    created: str
    ready_at: float
    action: str = "CREATE"
    status: str = "IN_PROGRESS"
    status_reason: str = "Stack CREATE started"
    # Logical resource name -> server id, for the OS::Nova::Server resources.
    servers: dict[str, str] = field(default_factory=dict)
    outputs: list[dict[str, Any]] = field(default_factory=list)
    delete_at: float | None = None
    updated: str | None = None

    @property
    def stack_status(self) -> str:
        return f"{self.action}_{self.status}"
