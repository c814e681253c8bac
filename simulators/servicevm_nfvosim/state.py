"""What the simulated NFVO knows: how it answers grants, what it was asked, its packages."""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field
from typing import Any, Literal

GrantMode = Literal["grant", "refuse", "async", "error"]


@dataclass
class Behaviour:
    """How the next grant requests are answered.

    grant: 201 with the Grant; refuse: 403 ProblemDetails with ``reason``; async: 202 and a
    Location that answers 202 for ``async_polls`` GETs, then 200 with the Grant; error: 503.
    ``delay_seconds`` delays every grant answer (a slow NFVO). A Grant names ``vim_id``
    (vimConnectionInfo) and puts every added resource in ``zone_id``, when they are set."""

    mode: GrantMode = "grant"
    reason: str = "the NFVO refuses this operation"
    delay_seconds: float = 0.0
    async_polls: int = 2
    vim_id: str | None = None
    zone_id: str | None = None


@dataclass
class Package:
    """An onboarded package: its VnfPkgInfo and the CSAR bytes."""

    info: dict[str, Any]
    content: bytes
    vnfd: bytes


@dataclass
class NfvoState:
    client_id: str = "vnfm"
    client_secret: str = "vnfm-secret"
    behaviour: Behaviour = field(default_factory=Behaviour)
    # Every grant request received, in order (the body as sent).
    grant_requests: list[dict[str, Any]] = field(default_factory=list)
    # Asynchronous grants: id -> [polls left, the Grant or a refusal (None: refused)].
    pending: dict[str, tuple[int, dict[str, Any] | None]] = field(default_factory=dict)
    # The Grant id given to each op occ (vnfLcmOpOccId -> grant id), last one given.
    grants: dict[str, str] = field(default_factory=dict)
    packages: dict[str, Package] = field(default_factory=dict)
    tokens: set[str] = field(default_factory=set)
    token_requests: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def issue_token(self) -> str:
        token = uuid.uuid4().hex
        with self.lock:
            self.tokens.add(token)
            self.token_requests += 1
        return token

    def requests_for(self, op_occ_id: str) -> list[dict[str, Any]]:
        with self.lock:
            return [r for r in self.grant_requests if r.get("vnfLcmOpOccId") == op_occ_id]

    def grant_for(self, request: dict[str, Any]) -> dict[str, Any]:
        """The Grant answering ``request`` under the current behaviour."""
        grant_id = str(uuid.uuid4())
        zone = self.behaviour.zone_id
        grant: dict[str, Any] = {
            "id": grant_id,
            "vnfInstanceId": request.get("vnfInstanceId"),
            "vnfLcmOpOccId": request.get("vnfLcmOpOccId"),
            "addResources": [
                {"resourceDefinitionId": r.get("id"), **({"zoneId": "zone-1"} if zone else {})}
                for r in request.get("addResources") or []
            ],
            "removeResources": [
                {"resourceDefinitionId": r.get("id")} for r in request.get("removeResources") or []
            ],
            "_links": {
                "self": {"href": f"/grant/v1/grants/{grant_id}"},
                "vnfLcmOpOcc": (request.get("_links") or {}).get("vnfLcmOpOcc", {}),
                "vnfInstance": (request.get("_links") or {}).get("vnfInstance", {}),
            },
        }
        if zone:
            grant["zones"] = [{"id": "zone-1", "zoneId": zone}]
        self.grants[str(request.get("vnfLcmOpOccId"))] = grant_id
        if self.behaviour.vim_id:
            grant["vimConnectionInfo"] = {
                "vim1": {"id": "vim1", "vimId": self.behaviour.vim_id, "vimType": "openstack"}
            }
        return grant
