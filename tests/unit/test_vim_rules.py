"""VIM credential rules (api), check failure reasons and credentials (lifecycle)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from cryptography.fernet import Fernet
from keystoneauth1 import exceptions as ksa_exc
from openstack import exceptions as sdk_exc

from servicevm_api.domain.vims import credential_problem, rotation_problem
from servicevm_lifecycle.vims import credentials, failure_reason
from shared.secrets import Cipher

PASSWORD = {
    "user_name": "demo",
    "user_domain_name": "Default",
    "password": "pw",
    "project_name": "demo",
    "project_domain_name": "Default",
}
APP_CREDENTIAL = {"application_credential_id": "id", "application_credential_secret": "s"}


@pytest.mark.parametrize(
    "given",
    [
        PASSWORD,
        {**PASSWORD, "project_name": None, "project_domain_name": None, "project_id": "p"},
        APP_CREDENTIAL,
    ],
)
def test_one_complete_method_is_fine(given: dict[str, Any]) -> None:
    assert credential_problem(given) is None


@pytest.mark.parametrize(
    ("given", "words"),
    [
        ({}, "credentials required"),
        ({**PASSWORD, **APP_CREDENTIAL}, "not both"),
        ({**PASSWORD, "password": None}, "Invalid input for password"),
        ({**PASSWORD, "user_domain_name": None}, "Invalid input for user_domain_name"),
        ({**PASSWORD, "project_domain_name": None}, "Invalid input for project_domain_name"),
        ({**PASSWORD, "project_id": "p"}, "Invalid input for project_name"),
        ({"application_credential_id": "id"}, "Invalid input for application_credential_secret"),
        ({**APP_CREDENTIAL, "project_id": "p"}, "Invalid input for project_id"),
    ],
)
def test_problems_name_the_attribute(given: dict[str, Any], words: str) -> None:
    problem = credential_problem(given)
    assert problem is not None and words in problem


def test_rotation_takes_the_vims_own_method() -> None:
    assert rotation_problem(uses_app_credential=False, password=True, app_secret=False) is None
    assert rotation_problem(uses_app_credential=True, password=False, app_secret=True) is None
    assert rotation_problem(uses_app_credential=True, password=True, app_secret=False)
    assert rotation_problem(uses_app_credential=False, password=False, app_secret=True)
    assert rotation_problem(uses_app_credential=False, password=True, app_secret=True)


def test_failure_reasons() -> None:
    url = "http://keystone:5000/v3"
    wrapped = sdk_exc.SDKException("authorize failed")
    wrapped.__cause__ = ksa_exc.Unauthorized("no")
    assert failure_reason(wrapped, url) == "authentication failed (HTTP 401)"
    refused = ksa_exc.ConnectFailure("[Errno 111] Connection refused")
    assert failure_reason(refused, url) == f"cannot connect to {url}: connection refused"
    assert "timed out" in failure_reason(ksa_exc.ConnectTimeout("slow"), url)


def _row(**fields: Any) -> SimpleNamespace:
    base = dict.fromkeys(
        (
            "region_name",
            "project_name",
            "project_domain_name",
            "project_id",
            "user_name",
            "user_domain_name",
            "application_credential_id",
        )
    )
    return SimpleNamespace(**{**base, "auth_url": "http://k/v3", **fields})


def test_credentials_decrypt_the_secret_of_the_vims_method_and_hide_it() -> None:
    cipher = Cipher([Fernet.generate_key()])
    by_password = credentials(
        _row(user_name="demo", encrypted_secret=cipher.encrypt("pw-123")),  # type: ignore[arg-type]
        cipher,
    )
    assert by_password.password == "pw-123" and by_password.application_credential_secret is None
    assert "pw-123" not in repr(by_password)
    by_app = credentials(
        _row(application_credential_id="ac", encrypted_secret=cipher.encrypt("as-1")),  # type: ignore[arg-type]
        cipher,
    )
    assert by_app.application_credential_secret == "as-1" and by_app.password is None
    assert by_app.uses_application_credential
