"""VNF packages over /vnfpkgm/v1 (SOL005): onboarding in the background to device templates,
the VNFD and artifacts, PATCH and DELETE state rules, a bad package, lists, ETSI errors
(ProblemDetails, Version), tenancy."""

from __future__ import annotations

import http.client
import io
import time
import uuid
import zipfile
from urllib.parse import urlsplit

from shared.contracts.vnfpkgm import OnboardVnfPackage
from shared.devstack import Suite
from shared.vnfd.build import sample_package
from tests.support.api import Api
from tests.support.bus import envelope_for, publish_command
from tests.support.db import fetch
from tests.support.vnf_packages import (
    PACKAGES,
    create,
    onboard,
    sample_file,
    sample_with,
    show,
    upload,
    wait_settled,
)

TOP = "Definitions/sample_vnfd_top.yaml"
DF = "Definitions/sample_vnfd_df_simple.yaml"
SIMPLE_VNFD_ID = "5c8a3d4e-8f0b-4f6e-9a51-3c1d2e7f9b10"


def assert_problem(response: object, status: int) -> dict[str, object]:
    assert getattr(response, "status_code", None) == status, getattr(response, "text", "")
    headers = response.headers  # type: ignore[attr-defined]
    assert headers["content-type"].startswith("application/problem+json")
    body: dict[str, object] = response.json()  # type: ignore[attr-defined]
    assert body["status"] == status and body["detail"] and body["title"]
    return body


def raw_header_names(api: Api, method: str, path: str, body: bytes | None = None) -> set[str]:
    """Header names as sent on the wire (httpx lowercases them)."""
    url = urlsplit(api.base_url)
    connection = http.client.HTTPConnection(url.hostname or "", url.port, timeout=10)
    try:
        headers = {
            "X-Project-Id": api.project,
            "X-Roles": "member",
            "Content-Type": "application/json",
        }
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        return {name for name, _ in response.getheaders()}
    finally:
        connection.close()


def with_vnfd_id(vnfd_id: str) -> bytes:
    """The simple sample under another vnfdId (its VNF type constrains the id too)."""
    changed = {
        path: sample_file("simple", path).replace(SIMPLE_VNFD_ID, vnfd_id).encode()
        for path in (TOP, "Definitions/sample_vnfd_types.yaml")
    }
    return sample_with("simple", changed)


def test_a_package_onboards_to_device_templates_of_each_flavour_and_vdu(api: Api) -> None:
    created = create(api, device_driver="noop", mgmt_driver="noop")
    assert created["onboardingState"] == "CREATED"
    assert created["operationalState"] == "DISABLED" and created["usageState"] == "NOT_IN_USE"
    assert created["_links"]["packageContent"]["href"].endswith(
        f"/vnf_packages/{created['id']}/package_content"
    )
    content = sample_package("two_flavours")
    upload(api, created["id"], content)
    package = wait_settled(api, created["id"])
    assert package["onboardingState"] == "ONBOARDED", package
    assert package["operationalState"] == "ENABLED"
    assert package["vnfProvider"] == "servicevm" and package["vnfdId"]
    assert package["checksum"]["algorithm"] == "SHA-256"
    assert {image["id"] for image in package["softwareImages"]} == {"VDU1", "VDU2"}
    templates = api.get("/v1.0/device_templates").json()["device_templates"]
    ours = [t for t in templates if t["attributes"].get("vnf_package_id") == created["id"]]
    keys = {(t["attributes"]["flavour_id"], t["attributes"]["vdu_id"]) for t in ours}
    assert keys == {
        ("simple", "VDU1"),
        ("simple", "VDU2"),
        ("complex", "VDU1"),
        ("complex", "VDU2"),
    }
    assert {t["device_driver"] for t in ours} == {"noop"}
    assert all(t["attributes"]["vnfd_id"] == package["vnfdId"] for t in ours)
    # The content comes back as uploaded; the VNFD as the zip of Definitions/.
    fetched = api.get(f"{PACKAGES}/{created['id']}/package_content")
    assert fetched.status_code == 200 and fetched.content == content
    assert fetched.headers["content-type"] == "application/zip"


def test_the_vnfd_and_artifacts_are_fetched_once_onboarded(api: Api) -> None:
    package = create(api)
    vnfd_url = f"{PACKAGES}/{package['id']}/vnfd"
    assert_problem(api.http.get(vnfd_url, headers={"Accept": "application/zip"}), 409)
    package = onboard(api)
    vnfd_url = f"{PACKAGES}/{package['id']}/vnfd"
    response = api.http.get(vnfd_url, headers={"Accept": "application/zip"})
    assert response.status_code == 200 and response.headers["content-type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
    assert TOP in names and DF in names and all(n.startswith("Definitions/") for n in names)
    # The VNFD is several files: text/plain alone cannot give it.
    assert_problem(api.http.get(vnfd_url, headers={"Accept": "text/plain"}), 406)
    image = api.get(
        f"{PACKAGES}/{package['id']}/artifacts/Files/images/servicevm-appliance-0.1.img"
    )
    assert image.status_code == 200 and image.content
    assert_problem(api.get(f"{PACKAGES}/{package['id']}/artifacts/Files/nothing"), 404)


def test_patch_enables_and_disables_and_merges_user_data(api: Api) -> None:
    package = onboard(api, content=with_vnfd_id(str(uuid.uuid4())), owner="a", keep="b")
    url = f"{PACKAGES}/{package['id']}"
    assert_problem(api.http.patch(url, json={"operationalState": "ENABLED"}), 409)
    response = api.http.patch(
        url,
        json={"operationalState": "DISABLED", "userDefinedData": {"owner": None, "new": "c"}},
        headers={"Content-Type": "application/merge-patch+json"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["operationalState"] == "DISABLED"
    seen = show(api, package["id"])
    assert seen["operationalState"] == "DISABLED"
    assert seen["userDefinedData"] == {"keep": "b", "new": "c"}
    assert_problem(api.http.patch(url, json={}), 400)
    assert_problem(api.http.patch(url, json={"operationalState": "BROKEN"}), 400)


def test_delete_needs_a_disabled_package_and_takes_its_templates(api: Api) -> None:
    package = onboard(api, content=with_vnfd_id(str(uuid.uuid4())), device_driver="noop")
    url = f"{PACKAGES}/{package['id']}"
    assert_problem(api.delete(url), 409)
    assert api.http.patch(url, json={"operationalState": "DISABLED"}).status_code == 200
    assert api.delete(url).status_code == 204
    assert_problem(api.get(url), 404)
    templates = api.get("/v1.0/device_templates").json()["device_templates"]
    assert not [t for t in templates if t["attributes"].get("vnf_package_id") == package["id"]]
    # A CREATED package (never onboarded) is DISABLED: it can go at once.
    assert api.delete(f"{PACKAGES}/{create(api)['id']}").status_code == 204


def test_a_package_whose_templates_are_in_use_cannot_be_deleted(api: Api) -> None:
    package = onboard(
        api, content=with_vnfd_id(str(uuid.uuid4())), device_driver="noop", mgmt_driver="noop"
    )
    templates = api.get("/v1.0/device_templates").json()["device_templates"]
    template = next(t for t in templates if t["attributes"].get("vnf_package_id") == package["id"])
    device = api.create_device(template["id"])
    url = f"{PACKAGES}/{package['id']}"
    assert api.http.patch(url, json={"operationalState": "DISABLED"}).status_code == 200
    assert "still use" in str(assert_problem(api.delete(url), 409)["detail"])
    api.wait_for_status(device["id"], "ACTIVE")
    assert api.delete(f"/v1.0/devices/{device['id']}").status_code == 204
    api.wait_until_gone(device["id"])
    assert api.delete(url).status_code == 204


def test_a_bad_package_goes_back_to_created_naming_the_file_and_node(api: Api) -> None:
    broken = sample_file("simple", DF).replace("          max_number_of_instances: 3\n", "")
    package = create(api)
    upload(api, package["id"], sample_with("simple", {DF: broken.encode()}))
    failed = wait_settled(api, package["id"])
    assert failed["onboardingState"] == "CREATED" and failed["operationalState"] == "DISABLED"
    detail = failed["onboardingFailureDetails"]["detail"]
    assert DF in detail and "VDU2" in detail and "max_number_of_instances" in detail
    # Fixed, the same package onboards.
    upload(api, package["id"], sample_package("simple"))
    assert wait_settled(api, package["id"])["onboardingState"] == "ONBOARDED"
    # The same vnfdId again in the project is refused.
    again = create(api)
    upload(api, again["id"], sample_package("simple"))
    refused = wait_settled(api, again["id"])
    assert refused["onboardingState"] == "CREATED"
    assert SIMPLE_VNFD_ID in refused["onboardingFailureDetails"]["detail"]


def test_upload_rules(api: Api) -> None:
    package = create(api)
    url = f"{PACKAGES}/{package['id']}/package_content"
    assert_problem(
        api.http.put(url, content=b"not a zip", headers={"Content-Type": "application/zip"}), 400
    )
    onboarded = onboard(api, content=with_vnfd_id(str(uuid.uuid4())))
    done_url = f"{PACKAGES}/{onboarded['id']}/package_content"
    assert_problem(api.http.put(done_url, content=sample_package("simple")), 409)
    # The form upload Tacker also accepts.
    files = {"file": ("simple.zip", sample_package("simple"), "application/zip")}
    assert api.http.put(url, files=files).status_code == 202
    assert wait_settled(api, package["id"])["onboardingState"] == "ONBOARDED"
    from_uri = api.post(
        f"{url}/upload_from_uri", {"addressInformation": "http://example.com/p.zip"}
    )
    assert "network" in str(assert_problem(from_uri, 400)["detail"])


def test_lists_filter_select_and_page(api: Api) -> None:
    ids = sorted(create(api, n=str(i))["id"] for i in range(5))
    listed = api.get(PACKAGES)
    assert listed.status_code == 200
    items = listed.json()
    assert sorted(p["id"] for p in items) == ids
    assert all("userDefinedData" not in p and "softwareImages" not in p for p in items)
    assert all(p["onboardingState"] == "CREATED" for p in items)
    full = api.get(PACKAGES, all_fields="").json()
    assert all("userDefinedData" in p for p in full)
    only = api.get(PACKAGES, fields="userDefinedData").json()
    assert set(only[0]) == {"id", "userDefinedData"}
    excluded = api.get(PACKAGES, exclude_fields="_links").json()
    assert all("_links" not in p for p in excluded)
    filtered = api.get(PACKAGES, filter=f"(eq,id,{ids[2]})").json()
    assert [p["id"] for p in filtered] == [ids[2]]
    assert api.get(PACKAGES, filter="(eq,onboardingState,ONBOARDED)").json() == []
    assert_problem(api.get(PACKAGES, filter="(bad"), 400)
    assert_problem(api.get(PACKAGES, sort="id"), 400)
    assert_problem(api.get(PACKAGES, fields="nothing"), 400)


def test_paging_follows_the_link_header(noauth_project_suite: Suite) -> None:
    # That api process answers pages of NOAUTH_PAGE_SIZE items.
    api = Api(noauth_project_suite.url("api"))
    ids = sorted(create(api)["id"] for _ in range(5))
    seen: list[str] = []
    response = api.get(PACKAGES)
    while True:
        assert response.status_code == 200
        seen += [p["id"] for p in response.json()]
        link = response.headers.get("Link")
        if link is None:
            break
        assert link.endswith('rel="next"') and "nextpage_opaque_marker" in link
        response = api.http.get(link[link.index("<") + 1 : link.index(">")])
    assert seen == ids
    api.close()


def test_etsi_errors_are_problem_details_with_version(api: Api) -> None:
    missing = api.get(f"{PACKAGES}/{uuid.uuid4()}")
    assert_problem(missing, 404)
    assert missing.headers["version"] == "2.1.0"
    assert_problem(api.http.put(PACKAGES, json={}), 405)
    assert_problem(api.get(f"{PACKAGES}/not-a-uuid"), 400)
    assert_problem(api.post(PACKAGES, {"unknown": 1}), 400)
    assert_problem(api.http.get(PACKAGES, headers={"Version": "9.9.9"}), 406)
    assert_problem(api.http.get(PACKAGES, headers={"X-Project-Id": ""}), 401)
    reader = api.as_project(api.project, roles="reader")
    assert_problem(reader.post(PACKAGES, {}), 403)
    assert reader.get(PACKAGES).status_code == 200
    versions = api.get("/vnfpkgm/v1/api_versions")
    assert versions.status_code == 200 and versions.json()["uriPrefix"] == "/vnfpkgm/v1"
    assert api.get("/vnflcm/api_versions").json()["uriPrefix"] == "/vnflcm"
    names = raw_header_names(api, "POST", PACKAGES, b"{}")
    assert {"Location", "Version", "Content-Type"} <= names
    # A problem (404) too: uvicorn's httptools protocol would write them all lowercase.
    unknown = f"{PACKAGES}/{uuid.uuid4()}"
    assert {"Version", "Content-Type"} <= raw_header_names(api, "GET", unknown)
    # /v1.0 keeps Neutron's error form.
    legacy = api.get(f"/v1.0/devices/{uuid.uuid4()}")
    assert "NeutronError" in legacy.json()


def test_packages_are_per_project(api: Api) -> None:
    package = create(api)
    other = api.as_project(f"other-{uuid.uuid4().hex[:8]}")
    assert_problem(other.get(f"{PACKAGES}/{package['id']}"), 404)
    assert_problem(other.delete(f"{PACKAGES}/{package['id']}"), 404)
    assert package["id"] not in [p["id"] for p in other.get(PACKAGES).json()]
    other.close()


def test_a_redelivered_onboarding_command_does_nothing_twice(suite: Suite, api: Api) -> None:
    package = onboard(api, content=with_vnfd_id(str(uuid.uuid4())))
    command = OnboardVnfPackage(id=uuid.UUID(package["id"]), upload=1)
    # The same upload's command again, as a new message and as a redelivery of one.
    envelope, fresh = envelope_for(command, api.project), envelope_for(command, api.project)
    for sent in (envelope, envelope, fresh):
        publish_command(suite.settings.amqp_url, sent)
    deadline = time.monotonic() + 30
    processed = 0
    while processed < 2 and time.monotonic() < deadline:
        rows = fetch(
            suite.settings,
            "api",
            "SELECT count(*) AS n FROM processed_messages WHERE message_id = ANY($1::uuid[])",
            [envelope.message_id, fresh.message_id],
        )
        processed = rows[0]["n"]
        time.sleep(0.1)
    assert processed == 2
    templates = api.get("/v1.0/device_templates").json()["device_templates"]
    ours = [t for t in templates if t["attributes"].get("vnf_package_id") == package["id"]]
    assert len(ours) == 2
    assert show(api, package["id"])["onboardingState"] == "ONBOARDED"


def test_an_unknown_driver_in_user_data_fails_onboarding(api: Api) -> None:
    package = create(api, device_driver="no-such-driver")
    upload(api, package["id"], with_vnfd_id(str(uuid.uuid4())))
    failed = wait_settled(api, package["id"])
    assert failed["onboardingState"] == "CREATED"
    assert "no-such-driver" in failed["onboardingFailureDetails"]["detail"]
    templates = api.get("/v1.0/device_templates").json()["device_templates"]
    assert not [t for t in templates if t["attributes"].get("vnf_package_id") == package["id"]]
