"""The http mgmt driver's rules, without a server."""

from __future__ import annotations

import uuid

import pytest

from servicevm_mgmt.drivers.base import ManagedDevice, MgmtDriverError
from servicevm_mgmt.drivers.http import base_url_for, endpoint, same_json


def _device(address: str | None = "10.0.0.5", **parameters: str) -> ManagedDevice:
    return ManagedDevice(
        device_id=uuid.UUID(int=1),
        tenant_id="tenant one",
        mgmt_address=address,
        parameters=parameters,
        configuration={},
    )


@pytest.mark.parametrize(
    ("address", "scheme", "port", "expected"),
    [
        ("127.0.0.1:8080", "http", None, "http://127.0.0.1:8080"),
        ("127.0.0.1:8080", "http", "9000", "http://127.0.0.1:8080"),  # the address's port wins
        ("10.0.0.5", "https", "8443", "https://10.0.0.5:8443"),
        ("10.0.0.5", "http", None, "http://10.0.0.5"),
        ("fe80::1", "http", "80", "http://[fe80::1]:80"),
        ("[::1]:9000", "http", None, "http://[::1]:9000"),
        ("https://box.example:8443/api/", "http", "1", "https://box.example:8443/api"),
    ],
)
def test_http_base_url(address: str, scheme: str, port: str | None, expected: str) -> None:
    assert base_url_for(address, scheme=scheme, port=port) == expected


def test_http_endpoint_reads_its_parameters() -> None:
    where = endpoint(
        _device("10.0.0.5", mgmt_port="8080", mgmt_token="t", mgmt_timeout_seconds="2.5")
    )
    assert (where.base_url, where.token, where.timeout) == ("http://10.0.0.5:8080", "t", 2.5)
    assert endpoint(_device()).timeout == 10.0


@pytest.mark.parametrize(
    ("device", "message"),
    [
        (_device(None), "has no management address"),
        (_device(mgmt_timeout_seconds="soon"), "mgmt_timeout_seconds must be a number"),
        (_device(mgmt_scheme="ftp"), "mgmt_scheme must be http or https"),
    ],
)
def test_http_endpoint_rejects_bad_parameters(device: ManagedDevice, message: str) -> None:
    with pytest.raises(MgmtDriverError, match=message):
        endpoint(device)


def test_same_json_compares_as_json() -> None:
    assert same_json({"a": (1, 2)}, {"a": [1, 2]})
    assert not same_json({"a": 1}, {"a": 1, "b": 2})
