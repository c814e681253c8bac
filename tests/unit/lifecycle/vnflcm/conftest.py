"""A flavour spec and VNFs built from the ``simple`` sample package, for the plan tests."""

from __future__ import annotations

import uuid
from dataclasses import replace

import pytest

from servicevm_lifecycle.vnflcm.domain.model import Vnf, Vnfc
from shared.contracts.vnflcm import VnfFlavourSpec
from shared.vnfd.build import sample_package
from shared.vnfd.parser import parse_package


@pytest.fixture(scope="session")
def spec() -> VnfFlavourSpec:
    flavour = parse_package(sample_package("simple")).vnfd.flavour("simple")
    return VnfFlavourSpec(
        vnfd_id="d", flavour=flavour, vdu_templates={v: uuid.uuid4() for v in flavour.vdus}
    )


@pytest.fixture
def vnf(spec: VnfFlavourSpec) -> Vnf:
    """INSTANTIATED at the default level: one VNFC of VDU1, one of VDU2."""
    vnfcs = tuple(
        Vnfc(id=uuid.uuid4(), vdu_id=vdu, device_id=uuid.uuid4(), seq=seq)
        for seq, vdu in enumerate(("VDU1", "VDU2"))
    )
    return Vnf(
        id=uuid.uuid4(),
        tenant_id="p",
        instantiation_state="INSTANTIATED",
        flavour=spec,
        scale_status={"worker_instance": 0},
        vnf_state="STARTED",
        vnfcs=vnfcs,
    )


def with_workers(vnf: Vnf, count: int) -> Vnf:
    """The VNF with ``count`` more VDU2 VNFCs, each newer than the last."""
    extra = tuple(
        Vnfc(id=uuid.uuid4(), vdu_id="VDU2", device_id=uuid.uuid4(), seq=10 + i)
        for i in range(count)
    )
    return replace(vnf, vnfcs=vnf.vnfcs + extra, scale_status={"worker_instance": count})
