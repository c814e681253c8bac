"""Pure rules of the nova and heat drivers: NICs, management address, HOT, backoff, errors."""

from __future__ import annotations

import base64
import uuid
from typing import Any

import pytest
from keystoneauth1 import exceptions as ksa_exc
from openstack import exceptions as sdk_exc

from servicevm_lifecycle.drivers import cloud_spec, heat_template
from servicevm_lifecycle.drivers.backoff import poll_until, retry_delays
from servicevm_lifecycle.drivers.base import DeviceDriverError, DeviceSpec, VimCredentials
from servicevm_lifecycle.drivers.cloud_spec import PortFacts
from servicevm_lifecycle.drivers.vim import cloud_message, connection_args, is_transient
from shared.contracts.models import ServiceContext

NET_A, NET_B, PORT = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()


def spec(
    attrs: dict[str, str] | None = None, contexts: list[ServiceContext] | None = None, **kwargs: Any
) -> DeviceSpec:
    return DeviceSpec(
        device_id=uuid.UUID(int=7),
        tenant_id="t",
        template_attributes=attrs or {"image": "cirros", "flavor": "m1.small"},
        kwargs=kwargs,
        service_contexts=contexts or [],
    )


def test_nics_follow_index_and_prefer_ports() -> None:
    contexts = [
        ServiceContext(network_id=NET_A, index=2),
        ServiceContext(network_id=NET_B, port_id=PORT, index=0),
        ServiceContext(router_id=uuid.uuid4()),  # no NIC
    ]
    assert cloud_spec.nics(spec(contexts=contexts)) == [{"port": str(PORT)}, {"uuid": str(NET_A)}]


def test_server_request_from_attributes_and_kwargs() -> None:
    attrs = {
        "image": "i",
        "flavor": "f",
        "security_groups": " a, ,b ",
        "user_data": "hi",
        "key_name": "k",
    }
    request = cloud_spec.server_request(spec(attrs, name="lb-1", metadata={"x": 1}))
    assert request["name"] == "lb-1"
    assert request["metadata"] == {"x": "1", "servicevm_device_id": str(uuid.UUID(int=7))}
    assert request["security_groups"] == [{"name": "a"}, {"name": "b"}]
    assert base64.b64decode(request["user_data"]) == b"hi"
    assert request["key_name"] == "k" and "networks" not in request


def test_a_granted_zone_in_kwargs_wins_over_the_templates() -> None:
    attrs = {"image": "i", "flavor": "f", "availability_zone": "az-template"}
    assert cloud_spec.server_request(spec(attrs))["availability_zone"] == "az-template"
    granted = spec(attrs, availability_zone="az-granted")
    assert cloud_spec.server_request(granted)["availability_zone"] == "az-granted"


def test_mgmt_address_prefers_management_nic() -> None:
    contexts = [
        ServiceContext(network_id=NET_A, role="data"),
        ServiceContext(network_id=NET_B, role="management"),
    ]
    ports = [PortFacts("p1", str(NET_A), ("10.0.0.5",)), PortFacts("p2", str(NET_B), ("10.1.0.7",))]
    addresses = {"a": [{"addr": "10.0.0.5"}], "b": [{"addr": "10.1.0.7"}]}
    assert cloud_spec.pick_mgmt_address(contexts, ports, addresses) == "10.1.0.7"


def test_mgmt_address_by_port_then_first_address() -> None:
    ports = [PortFacts(str(PORT), str(NET_A), ("10.0.0.9",))]
    by_port = [ServiceContext(port_id=PORT, role="management")]
    assert cloud_spec.pick_mgmt_address(by_port, ports, {}) == "10.0.0.9"
    no_role = [ServiceContext(network_id=NET_A)]
    assert (
        cloud_spec.pick_mgmt_address(no_role, ports, {"a": [{"addr": "192.0.2.1"}]}) == "192.0.2.1"
    )
    assert cloud_spec.pick_mgmt_address([], [], {}) is None


def test_generated_hot_uses_management_network_for_the_output() -> None:
    contexts = [
        ServiceContext(network_id=NET_A),
        ServiceContext(network_id=NET_B, role="management"),
    ]
    template = heat_template.generated_template(spec(contexts=contexts))
    server = template["resources"]["server"]
    assert server["type"] == "OS::Nova::Server"
    assert server["properties"]["networks"] == [{"network": str(NET_A)}, {"network": str(NET_B)}]
    assert template["parameters"]["image"]["default"] == "cirros"
    assert template["outputs"]["mgmt_address"]["value"] == {
        "get_attr": ["server", "networks", str(NET_B), 0]
    }


def test_generated_hot_needs_image_and_flavor() -> None:
    with pytest.raises(DeviceDriverError, match="'flavor'"):
        heat_template.generated_template(spec({"image": "cirros"}))


def test_heat_template_attribute_keeps_version_a_string() -> None:
    text = "heat_template_version: 2018-08-31\nresources: {}\n"
    assert (
        heat_template.template_for(spec({"heat_template": text}))["heat_template_version"]
        == "2018-08-31"
    )
    with pytest.raises(DeviceDriverError, match="not a HOT template"):
        heat_template.template_for(spec({"heat_template": "just: yaml"}))


def test_stack_parameters_from_kwargs() -> None:
    template: dict[str, Any] = {"parameters": {"flavor": {}, "image": {}}}
    kwargs = {
        "flavor": "m1.tiny",
        "other": "ignored",
        "image": {"not": "scalar"},
        "parameters": {"image": "vyos"},
    }
    assert heat_template.stack_parameters(template, kwargs) == {
        "flavor": "m1.tiny",
        "image": "vyos",
    }


def test_facts_from_outputs() -> None:
    outputs = [
        {"output_key": "mgmt_ip", "output_value": "10.0.0.1"},
        {"output_key": "host", "output_value": "compute-1"},
    ]
    facts = heat_template.facts_from_outputs(outputs)
    assert (facts.mgmt_address, facts.host, facts.availability_zone) == (
        "10.0.0.1",
        "compute-1",
        None,
    )


def test_retry_delays_are_capped_exponential() -> None:
    assert retry_delays(5, 0.5, 3.0) == [0.5, 1.0, 2.0, 3.0]
    assert retry_delays(1, 0.5, 3.0) == []


async def test_poll_until_times_out_with_last_status() -> None:
    async def fetch() -> str:
        return "BUILD"

    with pytest.raises(
        DeviceDriverError, match=r"timed out after 0.05 s waiting for x \(last seen: BUILD\)"
    ):
        await poll_until(
            fetch,
            lambda s: s == "ACTIVE",
            within=0.05,
            min_interval=0.01,
            max_interval=0.02,
            what="x",
        )


def test_vim_credentials_hide_secrets() -> None:
    vim = VimCredentials(
        auth_url="http://k", user_name="u", password="p4ss", application_credential_secret="s3c"
    )
    assert "p4ss" not in repr(vim) and "s3c" not in str(vim) and "user_name='u'" in repr(vim)


def test_connection_args_pick_auth_type() -> None:
    app = VimCredentials(
        auth_url="http://k", application_credential_id="i", application_credential_secret="s"
    )
    assert connection_args(app)["auth_type"] == "v3applicationcredential"
    password = VimCredentials(auth_url="http://k", user_name="u", password="p", project_name="demo")
    args = connection_args(password)
    assert args["auth_type"] == "password"
    assert args["auth"] == {
        "auth_url": "http://k",
        "username": "u",
        "password": "p",
        "project_name": "demo",
    }


def test_transient_errors_and_messages() -> None:
    assert is_transient(sdk_exc.HttpException(message="x", http_status=503))
    assert not is_transient(sdk_exc.HttpException(message="x", http_status=403))
    assert is_transient(ksa_exc.ConnectFailure("down"))
    assert not is_transient(ValueError("bug"))
    assert "VIM authentication failed" in cloud_message(ksa_exc.Unauthorized("nope"))
