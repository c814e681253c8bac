"""Tacker's VIM body maps onto ours; a VIM answer carries Tacker's attributes."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from pydantic import ValidationError

from servicevm_api.schemas.vims import VimCreateRequest, VimPublic


def tacker_body(**overrides: Any) -> dict[str, Any]:
    # What python-tackerclient's `vim register --config-file` sends.
    vim = {
        "name": "VIM0",
        "description": "",
        "type": "openstack",
        "auth_url": "http://keystone.example:5000/v3",
        "auth_cred": {
            "username": "nfv_user",
            "password": "devstack",
            "user_id": "",
            "user_domain_name": "Default",
            "cert_verify": "True",
        },
        "vim_project": {"id": "", "name": "nfv", "project_domain_name": "Default"},
        "is_default": True,
        **overrides,
    }
    return {"vim": vim}


def test_tacker_body_maps_onto_our_attributes() -> None:
    vim = VimCreateRequest.model_validate(tacker_body()).vim
    assert (vim.user_name, vim.user_domain_name) == ("nfv_user", "Default")
    assert (vim.project_name, vim.project_domain_name, vim.project_id) == ("nfv", "Default", None)
    assert vim.password is not None and vim.password.get_secret_value() == "devstack"
    assert vim.is_default is True and vim.auth_cred is None and vim.vim_project is None


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"user_name": "other"}, "auth_cred.username and user_name"),
        ({"auth_cred": {"username": "u", "password": "p", "cert_verify": "False"}}, "cert_verify"),
        ({"auth_cred": {"user_id": "abc", "password": "p"}}, "user_id"),
        ({"auth_cred": {"username": "u", "key_type": "x"}}, "key_type"),
    ],
)
def test_tacker_body_refusals_name_the_attribute(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        VimCreateRequest.model_validate(tacker_body(**overrides))


def test_answer_carries_auth_cred_without_password_and_vim_project() -> None:
    columns = {
        "id": "6f4a2b1e-8f3c-4d5e-9a7b-1c2d3e4f5a6b",
        "tenant_id": "p1",
        "name": "VIM0",
        "description": "",
        "type": "openstack",
        "auth_url": "http://keystone.example:5000/v3",
        "region_name": "RegionOne",
        "project_name": "nfv",
        "project_domain_name": "Default",
        "project_id": None,
        "user_name": "nfv_user",
        "user_domain_name": "Default",
        "application_credential_id": None,
        "is_default": True,
        "status": "REACHABLE",
        "status_reason": None,
    }
    row = SimpleNamespace(_mapping=columns, **columns)
    shown = VimPublic.model_validate(row, from_attributes=True).model_dump(mode="json")
    assert shown["auth_cred"] == {
        "username": "nfv_user",
        "user_domain_name": "Default",
        "cert_verify": True,
    }
    assert shown["vim_project"] == {"id": None, "name": "nfv", "project_domain_name": "Default"}
    assert shown["placement_attr"] == {"regions": ["RegionOne"]}
    assert shown["user_name"] == "nfv_user" and "password" not in str(shown)
