"""Tacker's VIM body, accepted by /v1.0/vims beside ours, and the Tacker attributes every
VIM answer carries so that Tacker's client (``openstack vim show``) reads it.

Tacker's client sends ``{"vim": {"name", "description", "type", "auth_url", "is_default",
"auth_cred": {"username", "password", "user_id", "user_domain_name", "cert_verify"},
"vim_project": {"id", "name", "project_domain_name"}}}``, with "" for what its config file
left out. It maps onto our flat attributes: auth_cred.username -> user_name,
auth_cred.password -> password, auth_cred.user_domain_name -> user_domain_name,
vim_project.name/id/project_domain_name -> project_name/project_id/project_domain_name.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError, model_validator
from pydantic_core import PydanticCustomError

from servicevm_api.schemas.fields import Strict

# Tacker's (nested) attribute -> ours (flat).
AUTH_CRED = {
    "username": "user_name",
    "password": "password",
    "user_domain_name": "user_domain_name",
}
VIM_PROJECT = {
    "name": "project_name",
    "id": "project_id",
    "project_domain_name": "project_domain_name",
}


class TackerAuthCred(Strict):
    """Tacker's credentials of an OpenStack VIM (a password user)."""

    username: str = ""
    password: str = ""
    # Tacker's client sends it, empty unless the config file names a user by id.
    user_id: str = ""
    user_domain_name: str = ""
    # Always verified here: false is refused rather than silently ignored.
    cert_verify: bool = True


class TackerVimProject(Strict):
    id: str = ""
    name: str = ""
    project_domain_name: str = ""


Nested = TypeVar("Nested", bound=BaseModel)


def _refuse(message: str) -> PydanticCustomError:
    return PydanticCustomError("tacker_vim", message)


def _nested(model: type[Nested], key: str, value: Any) -> Nested:
    """The nested object, or one refusal naming the attribute (auth_cred.key_type: ...)."""
    try:
        return model.model_validate(value or {})
    except ValidationError as exc:
        reasons = "; ".join(
            f"{'.'.join([key, *map(str, error['loc'])])}: {error['msg']}" for error in exc.errors()
        )
        raise _refuse(reasons) from None


def flatten_tacker_vim(data: Any) -> Any:
    """A create body in Tacker's form as ours: auth_cred and vim_project become the flat
    attributes ("" is absent, as Tacker's client sends it); one also given flat is refused."""
    if not isinstance(data, dict) or not ({"auth_cred", "vim_project"} & data.keys()):
        return data
    flat = {k: v for k, v in data.items() if k not in ("auth_cred", "vim_project")}
    auth_cred = _nested(TackerAuthCred, "auth_cred", data.get("auth_cred"))
    project = _nested(TackerVimProject, "vim_project", data.get("vim_project"))
    if auth_cred.user_id:
        raise _refuse("auth_cred.user_id is not supported: name the user (auth_cred.username).")
    if not auth_cred.cert_verify:
        raise _refuse(
            "auth_cred.cert_verify false is not supported: VIM certificates are verified."
        )
    for source, mapping, prefix in (
        (auth_cred, AUTH_CRED, "auth_cred"),
        (project, VIM_PROJECT, "vim_project"),
    ):
        for theirs, ours in mapping.items():
            value = getattr(source, theirs)
            if not value:
                continue
            if ours in flat:
                raise _refuse(f"{prefix}.{theirs} and {ours} are the same attribute; give one.")
            flat[ours] = value
    return flat


class TackerVimRequest(BaseModel):
    """Documents Tacker's form in the create body (flatten_tacker_vim reads it first)."""

    auth_cred: TackerAuthCred | None = None
    vim_project: TackerVimProject | None = None

    @model_validator(mode="before")
    @classmethod
    def _flatten(cls, data: Any) -> Any:
        return flatten_tacker_vim(data)


class AuthCredPublic(BaseModel):
    username: str | None
    user_domain_name: str | None
    cert_verify: bool


class VimProjectPublic(BaseModel):
    id: str | None
    name: str | None
    project_domain_name: str | None


class PlacementAttr(BaseModel):
    regions: list[str]


class TackerVimShown(BaseModel):
    """Tacker's view of the VIM's own attributes (never its secret)."""

    auth_cred: AuthCredPublic
    vim_project: VimProjectPublic
    placement_attr: PlacementAttr


def tacker_view(mapping: Any) -> dict[str, Any]:
    return {
        "auth_cred": {
            "username": mapping["user_name"],
            "user_domain_name": mapping["user_domain_name"],
            "cert_verify": True,
        },
        "vim_project": {
            "id": mapping["project_id"],
            "name": mapping["project_name"],
            "project_domain_name": mapping["project_domain_name"],
        },
        "placement_attr": {"regions": [mapping["region_name"]] if mapping["region_name"] else []},
    }
