"""Keystone for the tests: the cloud simulator's identity service over real HTTP, with
users of two projects, a reader, an admin and the service user that validates tokens."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx

from servicevm_cloudsim import CloudSimulator
from tests.support.secrets import remember

SERVICE_USER = "servicevm"


@dataclass
class Keystone:
    sim: CloudSimulator
    service_password: str
    passwords: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.sim.auth_url

    def add_user(self, name: str, project: str, roles: tuple[str, ...]) -> None:
        password = remember(secrets.token_urlsafe(12))
        self.sim.cloud.add_user(name, password, project, roles)
        self.passwords[name] = password

    def project_id(self, user: str) -> str:
        return self.sim.cloud.users[user].project.id

    def login(self, user: str) -> str:
        """A token for ``user`` from POST /v3/auth/tokens, as a client gets one."""
        body = {
            "auth": {
                "identity": {
                    "methods": ["password"],
                    "password": {
                        "user": {
                            "name": user,
                            "domain": {"name": "Default"},
                            "password": self.passwords[user],
                        }
                    },
                }
            }
        }
        response = httpx.post(f"{self.url}/auth/tokens", json=body, timeout=5)
        assert response.status_code == 201, response.text
        return remember(response.headers["X-Subject-Token"])

    def token(self, user: str, ttl_seconds: float) -> str:
        """A token that expires after ``ttl_seconds`` (already expired if negative)."""
        return remember(self.sim.cloud.issue_token(user, ttl_seconds))

    def env(self) -> dict[str, str]:
        """What an api process needs to validate tokens here."""
        return {
            "SERVICEVM_AUTH_STRATEGY": "keystone",
            "SERVICEVM_KEYSTONE_URL": self.url,
            "SERVICEVM_KEYSTONE_SERVICE_USER": SERVICE_USER,
            "SERVICEVM_KEYSTONE_SERVICE_PASSWORD": self.service_password,
            "SERVICEVM_KEYSTONE_SERVICE_PROJECT": "service",
        }


def running_keystone() -> Iterator[Keystone]:
    with CloudSimulator() as sim:
        keystone = Keystone(sim=sim, service_password=remember(secrets.token_urlsafe(16)))
        sim.cloud.add_user(SERVICE_USER, keystone.service_password, "service", ("service",))
        keystone.add_user("alice", "project-a", ("member", "reader"))
        keystone.add_user("rita", "project-a", ("reader",))
        keystone.add_user("bob", "project-b", ("member", "reader"))
        keystone.add_user("root", "admin", ("admin", "member", "reader"))
        keystone.add_user("carl", "project-c", ("member", "reader"))
        yield keystone
