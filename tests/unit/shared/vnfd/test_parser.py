import urllib.request

import pytest

from shared.vnfd.build import build_csar_from_files, sample_package
from shared.vnfd.errors import VnfdError
from shared.vnfd.parser import parse_package
from tests.unit.shared.vnfd.packages import (
    DF_COMPLEX,
    DF_SIMPLE,
    IMAGE,
    TOP,
    TYPES,
    replaced,
    sample_files,
)

VDU1_PROFILE_MAX = """          min_number_of_instances: 1
          max_number_of_instances: 1
"""


def test_the_simple_sample_gives_its_vnf_flavour_vdus_and_policies() -> None:
    vnfd = parse_package(sample_package("simple")).vnfd
    assert vnfd.descriptor_id == "5c8a3d4e-8f0b-4f6e-9a51-3c1d2e7f9b10"
    assert (vnfd.provider, vnfd.product_name, vnfd.software_version) == (
        "servicevm",
        "Sample VNF",
        "1.0",
    )
    assert vnfd.descriptor_version == "1.0"
    assert vnfd.vnfm_info == ("servicevm",)
    [flavour] = vnfd.flavours.values()
    assert flavour.flavour_id == "simple"
    assert flavour.description == "One front end and one to three workers"
    front, worker = flavour.vdus["VDU1"], flavour.vdus["VDU2"]
    assert (front.name, worker.name) == ("front", "worker")
    assert front.vdu_profile.max_number_of_instances == 1
    assert worker.vdu_profile.max_number_of_instances == 3
    assert front.virtual_compute.num_virtual_cpu == 1
    assert front.virtual_compute.virtual_mem_size == 512_000_000
    assert front.virtual_compute.virtual_local_storage == (1_000_000_000,)
    image = front.sw_image_data
    assert image is not None
    assert (image.name, image.version, image.disk_format, image.container_format) == (
        "servicevm-appliance",
        "0.1",
        "raw",
        "bare",
    )
    assert (image.min_disk, image.min_ram, image.size) == (1_000_000_000, 256_000_000, 91)
    assert image.checksum.algorithm == "sha-256"
    assert image.artifact == IMAGE
    assert worker.virtual_storages == ("VirtualStorage",)
    assert flavour.storages["VirtualStorage"].size_of_storage == 2_000_000_000
    assert flavour.cps["CP1"].vdu_id == "VDU1" and flavour.cps["CP1"].virtual_link_id is None
    assert flavour.cps["CP3"].virtual_link_id == "internalVL1"
    link = flavour.virtual_links["internalVL1"]
    assert link.layer_protocols == ("ipv4",)
    assert link.protocol_data[0].cidr == "10.10.0.0/24"
    aspect = flavour.aspects["worker_instance"]
    assert (aspect.max_scale_level, aspect.step_deltas) == (2, ("delta_1",))
    assert flavour.vdu_initial_deltas == {"VDU2": 1}
    assert flavour.aspect_deltas == {"worker_instance": {"VDU2": {"delta_1": 1}}}
    assert flavour.default_instantiation_level_id == "instantiation_level_1"
    level = flavour.instantiation_levels["instantiation_level_2"]
    assert level.scale_info == {"worker_instance": 2}
    assert level.vdu_instances == {"VDU1": 1, "VDU2": 3}


def test_the_two_flavour_sample_gives_both_flavours() -> None:
    vnfd = parse_package(sample_package("two_flavours")).vnfd
    assert sorted(vnfd.flavours) == ["complex", "simple"]
    complex_ = vnfd.flavours["complex"]
    assert complex_.aspects["worker_instance"].step_deltas == ("delta_1", "delta_2")
    assert complex_.instances_at_level("large") == {"VDU1": 2, "VDU2": 5}
    assert vnfd.flavours["simple"].instances_at_level() == {"VDU1": 1, "VDU2": 1}


def _refused(data: bytes) -> str:
    with pytest.raises(VnfdError) as caught:
        parse_package(data)
    return str(caught.value)


def test_a_missing_vdu_profile_value_names_file_and_node() -> None:
    files = sample_files()
    data = replaced(files, DF_SIMPLE, VDU1_PROFILE_MAX, "          min_number_of_instances: 1\n")
    assert (
        _refused(data) == f"{DF_SIMPLE}: node VDU1: vdu_profile.max_number_of_instances is missing"
    )


def test_a_missing_required_property_names_file_and_node() -> None:
    data = replaced(sample_files(), DF_SIMPLE, "        name: worker\n", "")
    assert _refused(data) == f"{DF_SIMPLE}: node VDU2: name is missing"


def test_an_ill_typed_value_names_file_and_node() -> None:
    data = replaced(sample_files(), DF_SIMPLE, "num_virtual_cpu: 2", "num_virtual_cpu: two")
    assert _refused(data) == (
        f"{DF_SIMPLE}: node VDU2: virtual_compute.virtual_cpu.num_virtual_cpu must be an "
        "integer, not 'two'"
    )


def test_an_unknown_node_type_names_file_and_node() -> None:
    data = replaced(
        sample_files(), DF_SIMPLE, "type: tosca.nodes.nfv.VnfVirtualLink", "type: acme.nodes.Link"
    )
    message = _refused(data)
    assert message.startswith(f"{DF_SIMPLE}: node internalVL1: type acme.nodes.Link is unknown")


def test_a_value_outside_the_sol001_constraints_is_refused_by_tosca_parser() -> None:
    data = replaced(sample_files(), DF_SIMPLE, "disk_format: raw", "disk_format: floppy")
    message = _refused(data)
    assert message.startswith(f"{DF_SIMPLE}: ")
    assert "floppy" in message


def test_a_url_import_is_refused_naming_the_file_without_fetching(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("the parser tried the network")

    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    url = "https://example.invalid/etsi_nfv_sol001_vnfd_types.yaml"
    data = replaced(sample_files(), TYPES, "  - etsi_nfv_sol001_vnfd_types.yaml", f"  - {url}")
    assert (
        _refused(data) == f"{TYPES}: import {url} is a URL; imports must resolve inside the package"
    )


def test_a_repository_import_is_refused() -> None:
    data = replaced(
        sample_files(),
        TOP,
        "  - sample_vnfd_types.yaml",
        "  - file: sample_vnfd_types.yaml\n    repository: upstream",
    )
    assert "names repository 'upstream'" in _refused(data)


@pytest.mark.parametrize(
    ("target", "reason"),
    [
        ("../../etc/passwd", "climbs out of the package"),
        ("/etc/passwd", "is an absolute path"),
        ("missing_types.yaml", "is not in the package (looked for Definitions/missing_types.yaml)"),
    ],
)
def test_imports_must_stay_in_the_package(target: str, reason: str) -> None:
    data = replaced(sample_files(), TOP, "  - sample_vnfd_types.yaml", f"  - {target}")
    assert _refused(data) == f"{TOP}: import {target} {reason}"


def test_invalid_yaml_names_the_file() -> None:
    data = replaced(sample_files(), DF_SIMPLE, "topology_template:", "topology_template: [")
    assert _refused(data).startswith(f"{DF_SIMPLE}: is not valid YAML")


def test_an_image_whose_checksum_does_not_match_is_refused() -> None:
    files = sample_files()
    files[IMAGE] = b"another image"
    assert "node VDU1: sw_image_data.checksum.hash does not match" in _refused(
        build_csar_from_files(files)
    )


def test_an_image_artifact_missing_from_the_package_is_refused() -> None:
    files = sample_files()
    del files[IMAGE]
    assert _refused(build_csar_from_files(files)) == (
        f"{DF_SIMPLE}: node VDU1: artifact sw_image file "
        "'../Files/images/servicevm-appliance-0.1.img' is not in the package"
    )


def test_a_policy_targeting_an_unknown_vdu_names_the_policy() -> None:
    data = replaced(sample_files(), DF_SIMPLE, "targets: [ VDU2 ]", "targets: [ VDU9 ]")
    message = _refused(data)
    assert message.startswith(f"{DF_SIMPLE}: ")
    assert "VDU9" in message


def test_deltas_of_an_unknown_aspect_are_refused() -> None:
    data = replaced(sample_files(), DF_SIMPLE, "aspect: worker_instance", "aspect: nowhere")
    assert _refused(data) == (
        f"{DF_SIMPLE}: policy VDU2_scaling_aspect_deltas: aspect nowhere is not in the "
        "flavour's ScalingAspects"
    )


def test_a_level_disagreeing_with_its_scale_levels_is_refused() -> None:
    old = "            instantiation_level_2:\n              number_of_instances: 3"
    data = replaced(sample_files(), DF_SIMPLE, old, old.replace("3", "2"))
    assert _refused(data) == (
        f"{DF_SIMPLE}: instantiation level instantiation_level_2 gives VDU VDU2 2 instances "
        "but its scale levels give 3 (initial delta plus aspect deltas)"
    )


def test_a_level_above_the_aspect_maximum_is_refused() -> None:
    data = replaced(
        sample_files(),
        DF_SIMPLE,
        "                  scale_level: 2",
        "                  scale_level: 5",
    )
    assert "above its max_scale_level 2" in _refused(data)


def test_min_above_max_instances_is_refused() -> None:
    old = "          min_number_of_instances: 1\n          max_number_of_instances: 3"
    data = replaced(sample_files(), DF_SIMPLE, old, old.replace("1", "4"))
    assert _refused(data) == (
        f"{DF_SIMPLE}: node VDU2: vdu_profile.min_number_of_instances 4 is more than "
        "max_number_of_instances 3"
    )


def test_a_top_vnfd_breaking_its_vnf_type_constraints_names_the_top_file() -> None:
    data = replaced(sample_files(), TOP, "provider: servicevm", "provider: someone else")
    message = _refused(data)
    assert message.startswith(f"{TOP}: node VNF: ")
    assert "someone else" in message


def test_two_flavours_with_one_id_are_refused() -> None:
    data = replaced(
        sample_files("two_flavours"), DF_COMPLEX, "flavour_id: complex", "flavour_id: simple"
    )
    assert "flavour simple is defined twice" in _refused(data)


def test_a_single_file_vnfd_without_meta_parses() -> None:
    files = sample_files()
    top = (
        files[DF_SIMPLE]
        .decode()
        .replace(
            "topology_template:",
            "metadata: {template_name: one, template_author: me, template_version: '1'}\n\n"
            "topology_template:",
            1,
        )
    )
    top = (
        top.replace("etsi_nfv_sol001", "Definitions/etsi_nfv_sol001")
        .replace("  - sample_vnfd_types.yaml", "  - Definitions/sample_vnfd_types.yaml")
        .replace("../Files/", "Files/")
    )
    single = {
        "vnfd.yaml": top.encode(),
        IMAGE: files[IMAGE],
        **{p: b for p, b in files.items() if "etsi" in p or p == TYPES},
    }
    vnfd = parse_package(build_csar_from_files(single)).vnfd
    assert list(vnfd.flavours) == ["simple"]
    assert vnfd.descriptor_id == "5c8a3d4e-8f0b-4f6e-9a51-3c1d2e7f9b10"


def test_parses_in_threads_keep_their_own_errors() -> None:
    """tosca-parser collects errors process-wide: concurrent parses must not mix them."""
    from concurrent.futures import ThreadPoolExecutor

    good = sample_package("simple")
    bad = replaced(sample_files(), DF_SIMPLE, "disk_format: raw", "disk_format: floppy")

    def outcome(data: bytes) -> str:
        try:
            return parse_package(data).vnfd.descriptor_id
        except VnfdError as exc:
            return str(exc)

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(outcome, [good, bad, good, bad]))
    assert results[0] == results[2] == "5c8a3d4e-8f0b-4f6e-9a51-3c1d2e7f9b10"
    assert "floppy" in results[1] and "floppy" in results[3]


def test_vnf_requirements_left_to_the_nsd_are_accepted() -> None:
    """Tacker's sample VNF types declare internal and external link requirements that no
    flavour maps; the links are the NSD's business, so the VNFD is still valid."""
    extra = (
        "          occurrences: [ 0, UNBOUNDED ]\n"
        "      - virtual_link_internal:\n"
        "          capability: tosca.capabilities.nfv.VirtualLinkable\n"
    )
    data = replaced(sample_files(), TYPES, "          occurrences: [ 0, UNBOUNDED ]\n", extra)
    assert parse_package(data).vnfd.product_name == "Sample VNF"


def test_a_flavour_file_without_its_own_vnf_node_takes_the_mapped_flavour_id() -> None:
    files = sample_files()
    text = files[DF_SIMPLE].decode()
    start = text.index("    VNF:\n")
    end = text.index("    VDU1:\n")
    files[DF_SIMPLE] = (text[:start] + text[end:]).encode()
    vnfd = parse_package(build_csar_from_files(files)).vnfd
    assert vnfd.flavours["simple"].description == ""


def test_a_top_vnfd_without_a_vnf_node_is_refused() -> None:
    files = sample_files()
    text = files[TOP].decode()
    files[TOP] = text[: text.index("  node_templates:")].encode() + b"  node_templates: {}\n"
    assert _refused(build_csar_from_files(files)) == (
        f"{TOP}: no node derived from tosca.nodes.nfv.VNF"
    )
