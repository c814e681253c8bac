"""Why a VIM check failed, in an operator's words."""

from __future__ import annotations

from keystoneauth1 import exceptions as ksa_exc
from openstack import exceptions as sdk_exc

from servicevm_lifecycle.vims.checks import failure_reason


def test_failure_reasons() -> None:
    url = "http://keystone:5000/v3"
    wrapped = sdk_exc.SDKException("authorize failed")
    wrapped.__cause__ = ksa_exc.Unauthorized("no")
    assert failure_reason(wrapped, url) == "authentication failed (HTTP 401)"
    refused = ksa_exc.ConnectFailure("[Errno 111] Connection refused")
    assert failure_reason(refused, url) == f"cannot connect to {url}: connection refused"
    assert "timed out" in failure_reason(ksa_exc.ConnectTimeout("slow"), url)
