"""/v1.0/vims models. Secrets (password, application_credential_secret) are write-only:
SecretStr in requests (hidden from repr and logs), absent from every response model."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, Field, SecretStr

from servicevm_api.entrypoints.fields import Name, NonEmptyName, Strict

Secret = Annotated[SecretStr, Field(min_length=1, max_length=4096)]


def _http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an http or https URL, such as https://keystone.example.com/v3")
    return value


AuthUrl = Annotated[NonEmptyName, AfterValidator(_http_url)]


class VimCreate(Strict):
    tenant_id: NonEmptyName | None = None
    name: Name = ""
    description: Name = ""
    type: Literal["openstack"] = "openstack"
    auth_url: AuthUrl
    region_name: NonEmptyName | None = None
    project_name: NonEmptyName | None = None
    project_domain_name: NonEmptyName | None = None
    project_id: NonEmptyName | None = None
    user_name: NonEmptyName | None = None
    user_domain_name: NonEmptyName | None = None
    password: Secret | None = None
    application_credential_id: NonEmptyName | None = None
    application_credential_secret: Secret | None = None
    is_default: bool = False


class VimUpdate(Strict):
    name: Name | None = None
    description: Name | None = None
    is_default: bool | None = None
    # Credential rotation: the new secret of the VIM's own authentication method.
    password: Secret | None = None
    application_credential_secret: Secret | None = None


class VimPublic(BaseModel):
    id: uuid.UUID
    tenant_id: str
    name: str
    description: str
    type: str
    auth_url: str
    region_name: str | None
    project_name: str | None
    project_domain_name: str | None
    project_id: str | None
    user_name: str | None
    user_domain_name: str | None
    application_credential_id: str | None
    is_default: bool
    status: str
    status_reason: str | None


class VimCreateRequest(Strict):
    vim: VimCreate


class VimUpdateRequest(Strict):
    vim: VimUpdate


class VimResponse(BaseModel):
    vim: VimPublic


class VimList(BaseModel):
    vims: list[dict[str, Any]]
    # Links as in schemas.Link: {"rel": "next", "href": ...}
    vims_links: list[dict[str, str]] = Field(default_factory=list)
