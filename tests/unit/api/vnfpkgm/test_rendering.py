"""VnfPkgInfo from a row, the PATCH merge, and a SOL013 list page of packages."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from servicevm_api.etsi.listing import list_page
from servicevm_api.etsi.selectors import SelectorError
from servicevm_api.vnfpkgm.rendering import SELECTORS, vnf_pkg_info
from servicevm_api.vnfpkgm.schemas import VnfPkgInfoModifications

BASE = "http://api.example"


def row(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "id": uuid.UUID(int=1),
        "vnfd_id": None,
        "vnf_provider": None,
        "vnf_product_name": None,
        "vnf_software_version": None,
        "vnfd_version": None,
        "checksum": None,
        "software_images": [],
        "additional_artifacts": [],
        "onboarding_state": "CREATED",
        "operational_state": "DISABLED",
        "usage_state": "NOT_IN_USE",
        "user_defined_data": {"a": "1"},
        "onboarding_failure_details": None,
    }
    return {**values, **overrides}


def test_a_created_package_has_no_vnfd_attributes_and_links_to_itself() -> None:
    info = vnf_pkg_info(row(), BASE)
    assert "vnfdId" not in info and "checksum" not in info
    assert info["_links"]["self"]["href"] == f"{BASE}/vnfpkgm/v1/vnf_packages/{uuid.UUID(int=1)}"
    assert info["_links"]["vnfd"]["href"].endswith("/vnfd")
    onboarded = vnf_pkg_info(row(vnfd_id="v", onboarding_state="ONBOARDED", checksum={}), BASE)
    assert onboarded["vnfdId"] == "v" and onboarded["checksum"] == {}


def test_modifications_need_something() -> None:
    with pytest.raises(ValueError):
        VnfPkgInfoModifications()
    with pytest.raises(ValueError):
        VnfPkgInfoModifications.model_validate({"operationalState": "ON"})


def items(count: int) -> list[dict[str, Any]]:
    return [vnf_pkg_info(row(id=uuid.UUID(int=i + 1)), BASE) for i in range(count)]


def test_a_list_leaves_out_default_excluded_attributes_and_pages() -> None:
    url = f"{BASE}/vnfpkgm/v1/vnf_packages"
    first = list_page(items(3), [], spec=SELECTORS, page_size=2, request_url=url)
    assert len(first.bodies) == 2 and "userDefinedData" not in first.bodies[0]
    assert first.link is not None and first.link.endswith('rel="next"')
    marker = first.link.split("nextpage_opaque_marker=")[1].split(">")[0]
    rest = list_page(
        items(3), [("nextpage_opaque_marker", marker)], spec=SELECTORS, page_size=2, request_url=url
    )
    assert [i["id"] for i in rest.bodies] == [str(uuid.UUID(int=3))] and rest.link is None
    everything = list_page(
        items(1), [("all_fields", "")], spec=SELECTORS, page_size=0, request_url=url
    )
    assert everything.bodies[0]["userDefinedData"] == {"a": "1"}


@pytest.mark.parametrize(
    "params",
    [
        [("limit", "1")],
        [("filter", "(eq,id,1)"), ("filter", "(eq,id,2)")],
        [("filter", "(eq,nothing,1)")],
        [("fields", "nothing")],
    ],
)
def test_unknown_repeated_or_bad_parameters_are_refused(params: list[tuple[str, str]]) -> None:
    with pytest.raises(SelectorError):
        list_page(items(1), params, spec=SELECTORS, page_size=0, request_url=BASE)
