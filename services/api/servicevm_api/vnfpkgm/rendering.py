"""A VNF package row as SOL005 VnfPkgInfo, and what its list accepts. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from servicevm_api.etsi.fields import SelectorSpec

BASE_PATH = "/vnfpkgm/v1/vnf_packages"

# SOL005 9.5.2.5 VnfPkgInfo attributes, in the order they are rendered.
ATTRIBUTES = (
    "id",
    "vnfdId",
    "vnfProvider",
    "vnfProductName",
    "vnfSoftwareVersion",
    "vnfdVersion",
    "checksum",
    "softwareImages",
    "additionalArtifacts",
    "onboardingState",
    "operationalState",
    "usageState",
    "userDefinedData",
    "onboardingFailureDetails",
    "_links",
)
# SOL005 9.4.2.3.2: left out of a list unless asked for.
SELECTORS = SelectorSpec(
    default_excluded=("softwareImages", "additionalArtifacts", "checksum", "userDefinedData"),
    attributes=frozenset(ATTRIBUTES),
)

_COLUMNS = {
    "vnfdId": "vnfd_id",
    "vnfProvider": "vnf_provider",
    "vnfProductName": "vnf_product_name",
    "vnfSoftwareVersion": "vnf_software_version",
    "vnfdVersion": "vnfd_version",
    "checksum": "checksum",
    "softwareImages": "software_images",
    "additionalArtifacts": "additional_artifacts",
    "onboardingState": "onboarding_state",
    "operationalState": "operational_state",
    "usageState": "usage_state",
    "userDefinedData": "user_defined_data",
    "onboardingFailureDetails": "onboarding_failure_details",
}
# Only meaningful once onboarded: absent before (SOL005 makes them conditional).
_ONBOARDED_ONLY = frozenset(
    {"vnfdId", "vnfProvider", "vnfProductName", "vnfSoftwareVersion", "vnfdVersion", "checksum"}
)


def package_path(package_id: object) -> str:
    return f"{BASE_PATH}/{package_id}"


def links(base_url: str, package_id: object) -> dict[str, dict[str, str]]:
    own = base_url.rstrip("/") + package_path(package_id)
    return {
        "self": {"href": own},
        "vnfd": {"href": f"{own}/vnfd"},
        "packageContent": {"href": f"{own}/package_content"},
    }


def vnf_pkg_info(row: Mapping[Any, Any], base_url: str) -> dict[str, Any]:
    """The package as VnfPkgInfo; attributes without a value are left out."""
    body: dict[str, Any] = {"id": str(row["id"])}
    for attribute, column in _COLUMNS.items():
        value = row[column]
        if value is None or (attribute in _ONBOARDED_ONLY and not row["vnfd_id"]):
            continue
        body[attribute] = value
    body["_links"] = links(base_url, row["id"])
    return body
