"""/v1.0/topology models: the tree itself is the domain's (domain.topology)."""

from __future__ import annotations

from pydantic import BaseModel

from servicevm_api.domain.topology import Topology


class TopologyResponse(BaseModel):
    topology: Topology
