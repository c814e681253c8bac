"""/v1.0/vims models, derived from the contract's field groups (and Tacker's VIM body,
schemas.tacker). Secrets (password, application_credential_secret) are write-only:
SecretStr in requests (hidden from repr and logs), absent from every response model."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Field, SecretStr, model_validator

from servicevm_api.schemas.common import list_model, selection_of, show_model
from servicevm_api.schemas.fields import Name, Public, RequestedTenant, Strict
from servicevm_api.schemas.tacker import TackerVimRequest, TackerVimShown, tacker_view
from shared.contracts import resources as r
from shared.contracts.fields import Identified, Owned

Secret = Annotated[SecretStr, Field(min_length=1, max_length=4096)]


class Password(BaseModel):
    password: Secret | None = None


class AppCredentialSecret(BaseModel):
    application_credential_secret: Secret | None = None


class VimCreate(
    Strict,
    TackerVimRequest,
    r.VimDefault,
    AppCredentialSecret,
    r.VimAppCredential,
    Password,
    r.VimUser,
    r.VimNaming,
    RequestedTenant,
):
    pass


class VimUpdate(Strict):
    name: Name | None = None
    description: Name | None = None
    is_default: bool | None = None
    # Credential rotation: the new secret of the VIM's own authentication method.
    password: Secret | None = None
    application_credential_secret: Secret | None = None


class VimPublic(
    Public,
    TackerVimShown,
    r.VimCheck,
    r.VimDefault,
    r.VimAppCredential,
    r.VimUser,
    r.VimNaming,
    Owned,
    Identified,
):
    @model_validator(mode="before")
    @classmethod
    def _tacker_view(cls, data: Any) -> Any:
        """A row's attributes, with Tacker's auth_cred, vim_project and placement_attr."""
        mapping = getattr(data, "_mapping", None)
        if mapping is None:
            return data
        return {**mapping, **tacker_view(mapping)}


class VimCreateRequest(Strict):
    vim: VimCreate


class VimUpdateRequest(Strict):
    vim: VimUpdate


class VimResponse(BaseModel):
    vim: VimPublic


VimSelection = selection_of(VimPublic, "a VIM")
VimShow = show_model("VimShow", "vim", VimSelection)
VimList = list_model("VimList", "vims", VimSelection)
