"""What a parsed package becomes: package info columns, templates, drivers, failures."""

from __future__ import annotations

import pytest

from servicevm_api.vnfpkgm.onboarding import (
    DEFAULT_DEVICE_DRIVER,
    failure_details,
    onboard,
    template_options,
)
from shared.vnfd.build import sample_package
from shared.vnfd.errors import VnfdError


def test_a_sample_gives_one_template_per_flavour_and_vdu_and_its_package_info() -> None:
    content = sample_package("two_flavours")
    result = onboard(content, package_id="pkg-1", user_defined_data={"mgmt_driver": "noop"})
    assert {f: sorted(v) for f, v in result.templates.items()} == {
        "complex": ["VDU1", "VDU2"],
        "simple": ["VDU1", "VDU2"],
    }
    body = result.templates["complex"]["VDU2"]
    assert body.device_driver == DEFAULT_DEVICE_DRIVER and body.mgmt_driver == "noop"
    assert body.attributes["vnf_package_id"] == "pkg-1"
    assert body.attributes["flavour_id"] == "complex" and body.attributes["vdu_id"] == "VDU2"
    columns = result.columns
    assert columns["vnfd_id"] == result.vnfd.descriptor_id
    assert columns["vnf_provider"] == "servicevm"
    assert columns["checksum"]["algorithm"] == "SHA-256" and len(columns["checksum"]["hash"]) == 64
    images = {image["id"]: image for image in columns["software_images"]}
    assert set(images) == {"VDU1", "VDU2"}
    # SOL005 counts minDisk in GB and minRam in MB; the VNFD in bytes.
    assert images["VDU1"]["minDisk"] == 1 and images["VDU1"]["minRam"] == 256
    assert images["VDU1"]["imagePath"].startswith("Files/images/")
    # The image is listed as a software image, not again as an additional artifact.
    assert all(
        a["artifactPath"] != images["VDU1"]["imagePath"] for a in columns["additional_artifacts"]
    )


def test_user_data_chooses_drivers_and_adds_attributes() -> None:
    options = template_options(
        {"device_driver": "noop", "template_attributes": {"flavor": "m1.tiny"}}
    )
    assert options == {
        "device_driver": "noop",
        "mgmt_driver": "http",
        "extra_attributes": {"flavor": "m1.tiny"},
    }
    with pytest.raises(VnfdError, match="device_driver"):
        template_options({"device_driver": 3})
    with pytest.raises(VnfdError, match="template_attributes"):
        template_options({"template_attributes": {"a": 1}})


def test_a_broken_archive_is_a_vnfd_error_shown_as_problem_details() -> None:
    with pytest.raises(VnfdError) as raised:
        onboard(b"PK\x05\x06" + b"\x00" * 18, package_id="p", user_defined_data={})
    details = failure_details(str(raised.value))
    assert details["status"] == 422 and details["detail"] == str(raised.value)
