"""VNF packages over /vnfpkgm/v1: create, upload a CSAR, wait for onboarding to settle."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from shared.vnfd.build import SAMPLES_DIR, build_csar_from_files, package_files, sample_package
from tests.support.api import Api

PACKAGES = "/vnfpkgm/v1/vnf_packages"


def create(api: Api, **user_data: Any) -> dict[str, Any]:
    response = api.post(PACKAGES, {"userDefinedData": user_data} if user_data else {})
    assert response.status_code == 201, response.text
    package: dict[str, Any] = response.json()
    return package


def upload(api: Api, package_id: str, content: bytes) -> None:
    response = api.http.put(
        f"{PACKAGES}/{package_id}/package_content",
        content=content,
        headers={"Content-Type": "application/zip"},
    )
    assert response.status_code == 202, response.text


def show(api: Api, package_id: str) -> dict[str, Any]:
    response = api.get(f"{PACKAGES}/{package_id}")
    assert response.status_code == 200, response.text
    package: dict[str, Any] = response.json()
    return package


def wait_settled(api: Api, package_id: str, timeout: float = 60) -> dict[str, Any]:
    """The package once onboarding is over (ONBOARDED, or back to CREATED)."""
    deadline = time.monotonic() + timeout
    seen: dict[str, Any] = {}
    while time.monotonic() < deadline:
        seen = show(api, package_id)
        if seen["onboardingState"] in ("ONBOARDED", "CREATED"):
            return seen
        time.sleep(0.1)
    raise AssertionError(f"package {package_id} still onboarding after {timeout}s: {seen}")


def onboard(api: Api, content: bytes | None = None, **user_data: Any) -> dict[str, Any]:
    package = create(api, **user_data)
    upload(api, package["id"], content or sample_package("simple"))
    onboarded = wait_settled(api, package["id"])
    assert onboarded["onboardingState"] == "ONBOARDED", onboarded
    return onboarded


def sample_with(name: str, changes: Mapping[str, bytes | None]) -> bytes:
    """The sample package ``name`` with files replaced (None: removed)."""
    files = package_files(SAMPLES_DIR / name)
    for path, body in changes.items():
        if body is None:
            files.pop(path, None)
        else:
            files[path] = body
    return build_csar_from_files(files)


def sample_file(name: str, path: str) -> str:
    return (SAMPLES_DIR / name / path).read_text()
