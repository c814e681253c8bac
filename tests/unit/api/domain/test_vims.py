"""Which VIM credentials make sense together, and which secret a rotation takes."""

from __future__ import annotations

from typing import Any

import pytest

from servicevm_api.domain.vims import credential_problem, rotation_problem

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
