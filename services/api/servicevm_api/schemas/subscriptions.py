"""/v1.0/subscriptions models, derived from the contract's field groups. Secrets (basic
password, HMAC secret) are write-only: SecretStr in requests (hidden from repr and logs),
absent from every response model."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, SecretStr, StringConstraints, model_validator

from servicevm_api.schemas.common import list_model, selection_of, show_model
from servicevm_api.schemas.fields import NonEmptyName, Public, RequestedTenant, Strict
from servicevm_api.schemas.validators import CallbackUri
from shared.contracts import resources as r
from shared.contracts.fields import Identified, Owned

Secret = Annotated[SecretStr, Field(min_length=1, max_length=4096)]


class SubscriptionFilter(Strict, r.SubscriptionFilterFields):
    pass


class NoAuthentication(Strict):
    type: Literal["none"]


class BasicAuthentication(Strict):
    type: Literal["basic"]
    username: Annotated[NonEmptyName, StringConstraints(pattern=r"^[^:]+$")]
    password: Secret


class HmacAuthentication(Strict):
    """The body is signed: header ``X-Servicevm-Signature: sha256=<hex HMAC-SHA256>``."""

    type: Literal["hmac"]
    secret: Secret


Authentication = Annotated[
    NoAuthentication | BasicAuthentication | HmacAuthentication, Field(discriminator="type")
]


class SubscriptionOptions(BaseModel):
    filter: SubscriptionFilter = Field(default_factory=SubscriptionFilter)
    authentication: Authentication = Field(default_factory=lambda: NoAuthentication(type="none"))


class SubscriptionCreate(
    Strict, r.SubscriptionScope, SubscriptionOptions, r.SubscriptionTarget, RequestedTenant
):
    """all_projects: every project's notifications, only for an admin (policy
    servicevm:subscription:all_projects)."""

    callback_uri: CallbackUri


class AuthenticationPublic(BaseModel):
    """The method, never the secret."""

    type: str
    username: str | None = None


class SubscriptionShown(BaseModel):
    filter: r.SubscriptionFilterFields
    authentication: AuthenticationPublic


class SubscriptionPublic(
    Public, r.SubscriptionScope, SubscriptionShown, r.SubscriptionTarget, Owned, Identified
):
    @model_validator(mode="before")
    @classmethod
    def _nest_columns(cls, data: Any) -> Any:
        """A row keeps the filter and the authentication method in flat columns."""
        mapping = getattr(data, "_mapping", None)
        if mapping is None:
            return data
        return {
            **mapping,
            "filter": {"event_types": data.event_types, "resource_types": data.resource_types},
            "authentication": {"type": data.auth_type, "username": data.auth_username},
        }


class SubscriptionCreateRequest(Strict):
    subscription: SubscriptionCreate


class SubscriptionResponse(BaseModel):
    subscription: SubscriptionPublic


SubscriptionSelection = selection_of(SubscriptionPublic, "a subscription")
SubscriptionShow = show_model("SubscriptionShow", "subscription", SubscriptionSelection)
SubscriptionList = list_model("SubscriptionList", "subscriptions", SubscriptionSelection)
