from shared.contracts.template_policy import TemplatePolicy
from shared.vnfd.build import sample_package
from shared.vnfd.parser import parse_package
from shared.vnfd.templates import flavour_templates, vdu_template


def test_each_vdu_of_a_flavour_gets_a_template_with_compute_and_image_attributes() -> None:
    vnfd = parse_package(sample_package("simple")).vnfd
    templates = flavour_templates(vnfd, "simple", vnf_package_id="pkg-1")
    assert sorted(templates) == ["VDU1", "VDU2"]
    front = templates["VDU1"]
    assert front.name == "Sample VNF simple VDU1"
    assert front.description == "The front end of the sample VNF"
    assert (front.device_driver, front.mgmt_driver, front.service_types) == ("local", "http", [])
    attributes = front.attributes
    assert attributes["vcpus"] == "1"
    assert attributes["ram_mb"] == "512"
    assert attributes["disk_gb"] == "1"
    assert attributes["image"] == "servicevm-appliance"
    assert attributes["image_file"] == "Files/images/servicevm-appliance-0.1.img"
    assert attributes["image_checksum"].startswith("sha-256:13f45f35")
    assert attributes["vnfd_id"] == vnfd.descriptor_id
    assert (attributes["flavour_id"], attributes["vdu_id"]) == ("simple", "VDU1")
    assert attributes["vnf_package_id"] == "pkg-1"
    assert (attributes["min_instances"], attributes["max_instances"]) == ("1", "1")
    assert attributes["cps"] == "CP1,CP2"
    assert attributes["cp.CP1.virtual_link"] == "external"
    assert attributes["cp.CP2.virtual_link"] == "internalVL1"
    assert "flavor" not in attributes
    worker = templates["VDU2"].attributes
    assert (worker["vcpus"], worker["ram_mb"], worker["disk_gb"]) == ("2", "1000", "1")


def test_templates_are_valid_device_template_attributes() -> None:
    vnfd = parse_package(sample_package("two_flavours")).vnfd
    for flavour_id in vnfd.flavours:
        for template in flavour_templates(vnfd, flavour_id).values():
            policy = TemplatePolicy.from_attributes(template.attributes)
            assert policy.slot_capacity == 1
            assert all(isinstance(v, str) for v in template.attributes.values())


def test_drivers_flavor_and_extra_attributes_are_the_callers() -> None:
    vnfd = parse_package(sample_package("simple")).vnfd
    template = vdu_template(
        vnfd,
        "simple",
        "VDU2",
        device_driver="nova",
        mgmt_driver="noop",
        flavor="m1.small",
        extra_attributes={"image": "cirros", "key_name": "ops"},
    )
    assert (template.device_driver, template.mgmt_driver) == ("nova", "noop")
    assert template.attributes["flavor"] == "m1.small"
    assert template.attributes["image"] == "cirros"
    assert template.attributes["key_name"] == "ops"
