"""VNF instance and op occ rows as SOL003 VnfInstance / VnfLcmOpOcc, lifecycle's snapshot
as instantiatedVnfInfo, and what the lists accept. Pure."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from servicevm_api.etsi.fields import LCM_OP_OCC_SELECTORS, VNF_INSTANCE_SELECTORS
from shared.contracts.vnflcm import VnfInstanceSnapshot

INSTANCES_PATH = "/vnflcm/v1/vnf_instances"
OP_OCCS_PATH = "/vnflcm/v1/vnf_lcm_op_occs"
# What a device is to a VIM-level consumer of computeResource.
DEVICE_RESOURCE_TYPE = "servicevm.device"

INSTANCE_ATTRIBUTES = (
    "id",
    "vnfInstanceName",
    "vnfInstanceDescription",
    "vnfdId",
    "vnfProvider",
    "vnfProductName",
    "vnfSoftwareVersion",
    "vnfdVersion",
    "vnfPkgId",
    "vnfConfigurableProperties",
    "vimConnectionInfo",
    "instantiationState",
    "instantiatedVnfInfo",
    "metadata",
    "extensions",
    "_links",
)
OP_OCC_ATTRIBUTES = (
    "id",
    "operationState",
    "stateEnteredTime",
    "startTime",
    "vnfInstanceId",
    "grantId",
    "operation",
    "isAutomaticInvocation",
    "operationParams",
    "isCancelPending",
    "cancelMode",
    "error",
    "resourceChanges",
    "changedInfo",
    "changedExtConnectivity",
    "_links",
)
INSTANCE_SELECTORS = dataclasses.replace(
    VNF_INSTANCE_SELECTORS, attributes=frozenset(INSTANCE_ATTRIBUTES)
)
OP_OCC_SELECTORS = dataclasses.replace(
    LCM_OP_OCC_SELECTORS, attributes=frozenset(OP_OCC_ATTRIBUTES)
)

# Task (URI segment) -> the links an INSTANTIATED instance offers.
TASK_LINKS = {
    "terminate": "terminate",
    "scale": "scale",
    "scaleToLevel": "scale_to_level",
    "changeFlavour": "change_flavour",
    "heal": "heal",
    "operate": "operate",
    "changeExtConn": "change_ext_conn",
}


def instance_path(instance_id: object) -> str:
    return f"{INSTANCES_PATH}/{instance_id}"


def op_occ_path(op_occ_id: object) -> str:
    return f"{OP_OCCS_PATH}/{op_occ_id}"


def etag(row: Mapping[Any, Any]) -> str:
    return f'"{row["id"]}-{row["version"]}"'


def vnf_instance(row: Mapping[Any, Any], base_url: str) -> dict[str, Any]:
    own = base_url + instance_path(row["id"])
    instantiated = row["instantiation_state"] == "INSTANTIATED"
    body: dict[str, Any] = {
        "id": str(row["id"]),
        "vnfInstanceName": row["name"],
        "vnfInstanceDescription": row["description"],
        "vnfdId": row["vnfd_id"],
        "vnfProvider": row["vnf_provider"],
        "vnfProductName": row["vnf_product_name"],
        "vnfSoftwareVersion": row["vnf_software_version"],
        "vnfdVersion": row["vnfd_version"],
        "vnfPkgId": str(row["vnf_package_id"]),
        "vnfConfigurableProperties": row["vnf_configurable_properties"],
        "vimConnectionInfo": row["vim_connection_info"],
        "instantiationState": row["instantiation_state"],
        "metadata": row["vnf_metadata"],
        "extensions": row["extensions"],
    }
    body = {key: value for key, value in body.items() if value is not None}
    if instantiated and row["instantiated_vnf_info"] is not None:
        body["instantiatedVnfInfo"] = row["instantiated_vnf_info"]
    links: dict[str, Any] = {"self": {"href": own}}
    if instantiated:
        links.update({name: {"href": f"{own}/{path}"} for name, path in TASK_LINKS.items()})
    else:
        links["instantiate"] = {"href": f"{own}/instantiate"}
    body["_links"] = links
    return body


def instantiated_vnf_info(vnf: VnfInstanceSnapshot) -> dict[str, Any] | None:
    """SOL003 InstantiatedVnfInfo of lifecycle's snapshot (None when not instantiated).
    Each VNFC's computeResource names the device behind it (``/v1.0/devices/{id}``)."""
    if vnf.instantiation_state != "INSTANTIATED":
        return None
    info: dict[str, Any] = {
        "flavourId": vnf.flavour_id,
        "vnfState": vnf.vnf_state or "STARTED",
        "scaleStatus": [
            {"aspectId": s.aspect_id, "scaleLevel": s.scale_level} for s in vnf.scale_status
        ],
        "extCpInfo": [],
        "extVirtualLinkInfo": vnf.ext_virtual_links,
        "vnfcResourceInfo": [
            {
                "id": str(vnfc.id),
                "vduId": vnfc.vdu_id,
                "computeResource": {
                    "vimConnectionId": str(vnf.vim_id) if vnf.vim_id else None,
                    "resourceId": str(vnfc.device_id),
                    "vimLevelResourceType": DEVICE_RESOURCE_TYPE,
                },
                "metadata": {"status": vnfc.status, "powerState": vnfc.power_state},
            }
            for vnfc in vnf.vnfc_resource_info
        ],
    }
    if vnf.instantiation_level_id:
        info["instantiationLevelId"] = vnf.instantiation_level_id
    return info


def vnf_lcm_op_occ(row: Mapping[Any, Any], base_url: str) -> dict[str, Any]:
    own = base_url + op_occ_path(row["id"])
    body: dict[str, Any] = {
        "id": str(row["id"]),
        "operationState": row["operation_state"],
        "stateEnteredTime": _time(row["state_entered_time"]),
        "startTime": _time(row["start_time"]),
        "vnfInstanceId": str(row["vnf_instance_id"]),
        "operation": row["operation"],
        "isAutomaticInvocation": row["is_automatic_invocation"],
        "operationParams": row["operation_params"],
        "isCancelPending": row["is_cancel_pending"],
        "resourceChanges": {
            "affectedVnfcs": [_affected(vnfc) for vnfc in row["affected_vnfcs"]],
            "affectedVirtualLinks": [],
            "affectedVirtualStorages": [],
        },
    }
    optional = {
        "cancelMode": row["cancel_mode"],
        "error": row["error"],
        "changedInfo": row["changed_info"],
        "changedExtConnectivity": row["changed_ext_connectivity"],
        "grantId": row.get("grant_id"),
    }
    body.update({key: value for key, value in optional.items() if value is not None})
    body["_links"] = {
        "self": {"href": own},
        "vnfInstance": {"href": base_url + instance_path(row["vnf_instance_id"])},
        **{
            action: {"href": f"{own}/{action}"}
            for action in ("retry", "rollback", "fail", "cancel")
        },
    }
    return body


def _affected(vnfc: Mapping[Any, Any]) -> dict[str, Any]:
    return {
        "id": vnfc["id"],
        "vduId": vnfc["vdu_id"],
        "changeType": vnfc["change_type"],
        "computeResource": {
            "resourceId": vnfc["compute_resource"],
            "vimLevelResourceType": DEVICE_RESOURCE_TYPE,
        },
    }


def _time(value: datetime) -> str:
    return value.isoformat()
