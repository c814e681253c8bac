"""Callback URIs: http(s) only, no credentials, no loopback/link-local/private unless allowed."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ValidationError

from servicevm_api.schemas.validators import CallbackUri, InvalidCallback, check_callback_uri


@pytest.mark.parametrize(
    "uri",
    ["https://nfvo.example.com/notify", "http://8.8.8.8:8080/cb", "https://[2606:4700::1111]/x"],
)
def test_public_http_and_https_callbacks_are_accepted(uri: str) -> None:
    assert check_callback_uri(uri) == uri


@pytest.mark.parametrize(
    ("uri", "reason"),
    [
        ("ftp://example.com/x", "scheme"),
        ("file:///etc/passwd", "scheme"),
        ("javascript:alert(1)", "scheme"),
        ("http:///nohost", "no host"),
        ("http://user:pass@example.com/", "credentials"),
        ("http://example.com:port/", "not a valid URI"),
        ("http://localhost:9890/", "this machine"),
        ("http://api.localhost/", "this machine"),
        ("http://127.0.0.1/", "loopback"),
        ("http://127.1/", "loopback"),
        ("http://0x7f000001/", "loopback"),
        ("http://2130706433/", "loopback"),
        ("http://[::1]/", "loopback"),
        ("http://[::ffff:127.0.0.1]/", "loopback"),
        ("http://169.254.169.254/latest/meta-data", "link-local"),
        ("http://[fe80::1]/", "link-local"),
        ("http://10.1.2.3/", "private"),
        ("http://192.168.0.10/", "private"),
        ("http://0.0.0.0/", "unspecified"),
        ("http://224.0.0.1/", "multicast"),
        ("http://203.0.113.7/", "private"),  # documentation ranges count as private
    ],
)
def test_hostile_callbacks_are_refused_with_a_reason(uri: str, reason: str) -> None:
    with pytest.raises(InvalidCallback, match=reason):
        check_callback_uri(uri)


def test_operator_may_allow_hosts_or_private_networks() -> None:
    assert check_callback_uri("http://127.0.0.1:9000/cb", allowed_hosts=["127.0.0.1"])
    assert check_callback_uri("http://10.0.0.5/cb", allow_private=True)
    with pytest.raises(InvalidCallback):
        check_callback_uri("http://10.0.0.5/cb", allowed_hosts=["10.0.0.6"])
    # Never another scheme or credentials, whatever is allowed.
    with pytest.raises(InvalidCallback):
        check_callback_uri("gopher://10.0.0.5/", allow_private=True)


def test_callback_uri_is_a_pydantic_type() -> None:
    class Subscription(BaseModel):
        callback_uri: CallbackUri

    assert Subscription(callback_uri=" https://example.com/n ").callback_uri == (
        "https://example.com/n"
    )
    with pytest.raises(ValidationError, match="loopback"):
        Subscription(callback_uri="http://127.0.0.1/")
    with pytest.raises(ValidationError):
        Subscription(callback_uri="https://example.com/" + "a" * 3000)
