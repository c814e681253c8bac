"""Which VIM credentials make sense together. Pure: the routes turn a problem into a 400."""

from __future__ import annotations

from collections.abc import Mapping

PASSWORD_FIELDS = ("user_name", "user_domain_name", "password")
APP_CREDENTIAL_FIELDS = ("application_credential_id", "application_credential_secret")
PROJECT_FIELDS = ("project_name", "project_domain_name", "project_id")


def credential_problem(given: Mapping[str, object]) -> str | None:
    """What is wrong with a registration's credentials, naming the attribute; None if
    it uses exactly one method: a user's password in a project, or an application
    credential (which implies its user and project)."""
    present = {name for name, value in given.items() if value is not None}
    by_password = present & {"user_name", "password"}
    by_app_credential = present & set(APP_CREDENTIAL_FIELDS)
    if by_password and by_app_credential:
        return (
            "Invalid input: give either user_name and password or application_credential_id "
            "and application_credential_secret, not both."
        )
    if by_app_credential:
        return _app_credential_problem(present)
    if by_password:
        return _password_problem(present)
    return (
        "Invalid input: credentials required: user_name, user_domain_name and password, or "
        "application_credential_id and application_credential_secret."
    )


def _app_credential_problem(present: set[str]) -> str | None:
    for name in APP_CREDENTIAL_FIELDS:
        if name not in present:
            return f"Invalid input for {name}: required with an application credential."
    for name in (*PROJECT_FIELDS, "user_domain_name"):
        if name in present:
            return (
                f"Invalid input for {name}: not allowed with an application credential, "
                "which implies its user and project."
            )
    return None


def _password_problem(present: set[str]) -> str | None:
    for name in PASSWORD_FIELDS:
        if name not in present:
            return f"Invalid input for {name}: required with user_name and password."
    if "project_id" in present:
        for name in ("project_name", "project_domain_name"):
            if name in present:
                return f"Invalid input for {name}: give project_id or a project name, not both."
        return None
    for name in ("project_name", "project_domain_name"):
        if name not in present:
            return f"Invalid input for {name}: required unless project_id is given."
    return None


def rotation_problem(*, uses_app_credential: bool, password: bool, app_secret: bool) -> str | None:
    """A new secret must be the VIM's own method's."""
    if password and app_secret:
        return "Invalid input: give password or application_credential_secret, not both."
    if password and uses_app_credential:
        return "Invalid input for password: this VIM authenticates with an application credential."
    if app_secret and not uses_app_credential:
        return (
            "Invalid input for application_credential_secret: this VIM authenticates with "
            "a password."
        )
    return None
