"""Which SOL003 subscriptions a notification passes: each attribute of the filter given
must match; operationTypes and operationStates concern op occ notifications only."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from servicevm_mgmt.sol003.filters import Subject, matches
from shared.contracts.vnflcm import VnfIdentity

VNF = uuid.uuid4()
IDENTITY = VnfIdentity(
    id=VNF,
    tenant_id="p",
    name="fw-1",
    vnfd_id="vnfd-a",
    vnf_provider="Company",
    vnf_product_name="Firewall",
    vnf_software_version="1.0",
    vnfd_version="2.0",
)
OP = "VnfLcmOperationOccurrenceNotification"
STARTED = Subject(OP, str(VNF), IDENTITY, operation="INSTANTIATE", operation_state="STARTING")
CREATED = Subject("VnfIdentifierCreationNotification", str(VNF), IDENTITY)


def _instances(**wanted: Any) -> dict[str, Any]:
    return {"vnfInstanceSubscriptionFilter": wanted}


def _provider(name: str = "Firewall", versions: Any = None) -> dict[str, Any]:
    product: dict[str, Any] = {"vnfProductName": name}
    if versions is not None:
        product["versions"] = versions
    return {"vnfProvider": "Company", "vnfProducts": [product]}


@pytest.mark.parametrize(
    ("wanted", "subject", "passes"),
    [
        ({}, STARTED, True),
        (None, CREATED, True),
        ({"notificationTypes": [OP]}, STARTED, True),
        ({"notificationTypes": [OP]}, CREATED, False),
        ({"operationTypes": ["TERMINATE"]}, STARTED, False),
        ({"operationTypes": ["TERMINATE", "INSTANTIATE"]}, STARTED, True),
        # Not an op occ notification: operationTypes and operationStates do not apply.
        ({"operationTypes": ["TERMINATE"]}, CREATED, True),
        ({"operationStates": ["COMPLETED"]}, STARTED, False),
        ({"operationStates": ["STARTING"]}, STARTED, True),
        (_instances(vnfdIds=["vnfd-a"]), STARTED, True),
        (_instances(vnfdIds=["vnfd-b"]), STARTED, False),
        (_instances(vnfInstanceIds=[str(VNF)]), CREATED, True),
        (_instances(vnfInstanceIds=[str(uuid.uuid4())]), CREATED, False),
        (_instances(vnfInstanceNames=["fw-1"]), CREATED, True),
        (_instances(vnfInstanceNames=["fw-2"]), CREATED, False),
        (_instances(vnfProductsFromProviders=[{"vnfProvider": "Company"}]), STARTED, True),
        (_instances(vnfProductsFromProviders=[{"vnfProvider": "Other"}]), STARTED, False),
        (_instances(vnfProductsFromProviders=[_provider()]), STARTED, True),
        (_instances(vnfProductsFromProviders=[_provider("Router")]), STARTED, False),
        (
            _instances(
                vnfProductsFromProviders=[
                    _provider(versions=[{"vnfSoftwareVersion": "1.0", "vnfdVersions": ["2.0"]}])
                ]
            ),
            STARTED,
            True,
        ),
        (
            _instances(
                vnfProductsFromProviders=[
                    _provider(versions=[{"vnfSoftwareVersion": "1.0", "vnfdVersions": ["3.0"]}])
                ]
            ),
            STARTED,
            False,
        ),
        (
            {"notificationTypes": [OP], "operationStates": ["STARTING"], **_instances(vnfdIds=["x"])},
            STARTED,
            False,
        ),
    ],
)  # fmt: skip
def test_filter(wanted: dict[str, Any] | None, subject: Subject, passes: bool) -> None:
    assert matches(wanted, subject) is passes


def test_an_instance_mgmt_has_no_record_of_passes_only_filters_that_need_none() -> None:
    unknown = Subject(OP, str(VNF), None, operation="HEAL", operation_state="STARTING")
    assert matches(_instances(vnfInstanceIds=[str(VNF)]), unknown)
    assert not matches(_instances(vnfdIds=["vnfd-a"]), unknown)
