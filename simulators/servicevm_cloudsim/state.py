"""The whole simulated cloud as the HTTP routes see it."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from servicevm_cloudsim.cloud import Cloud
from servicevm_cloudsim.orchestration import Orchestration


@dataclass
class RequestRecord:
    method: str
    path: str
    status: int


@dataclass
class SimState:
    cloud: Cloud
    orchestration: Orchestration
    base_url: str = ""
    region: str = "RegionOne"
    # Services outside the simulator that its catalog names: type -> (name, URL); e.g.
    # servicevm's api as "nfv-orchestration", where python-tackerclient looks for it.
    external_services: dict[str, tuple[str, str]] = field(default_factory=dict)
    # The last requests served, newest last: what a client really asked for.
    requests: deque[RequestRecord] = field(default_factory=lambda: deque(maxlen=5000))

    @classmethod
    def new(cls, cloud: Cloud | None = None) -> SimState:
        cloud = cloud or Cloud()
        return cls(cloud=cloud, orchestration=Orchestration(cloud))
