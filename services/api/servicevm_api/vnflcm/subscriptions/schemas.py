"""SOL003 LccnSubscriptionRequest (5.5.2.2) with its filter (5.5.3.12, SOL003 4.4.1.5) and
SOL013 SubscriptionAuthentication. Secrets are SecretStr: hidden from repr and logs, and
in no response. A member of the wrong type, or an unknown one, is a 400."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from servicevm_api.schemas.validators import CallbackUri
from shared.contracts.sol003 import NotificationType
from shared.contracts.vnflcm import OperationState, VnfLcmOperation

Name = Annotated[str, Field(min_length=1, max_length=255)]
Names = Annotated[list[Name], Field(min_length=1, max_length=100)]
Secret = Annotated[SecretStr, Field(min_length=1, max_length=4096)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class VnfProductVersion(_Strict):
    vnfSoftwareVersion: Name
    vnfdVersions: Names | None = None


class VnfProduct(_Strict):
    vnfProductName: Name
    versions: list[VnfProductVersion] | None = None


class VnfProductsFromProvider(_Strict):
    vnfProvider: Name
    vnfProducts: list[VnfProduct] | None = None


class VnfInstanceSubscriptionFilter(_Strict):
    vnfdIds: Names | None = None
    vnfProductsFromProviders: list[VnfProductsFromProvider] | None = None
    vnfInstanceIds: Names | None = None
    vnfInstanceNames: Names | None = None

    @model_validator(mode="after")
    def _alternatives(self) -> VnfInstanceSubscriptionFilter:
        """SOL003 4.4.1.5: each pair is one or the other."""
        if self.vnfdIds and self.vnfProductsFromProviders:
            raise ValueError("vnfdIds and vnfProductsFromProviders are alternatives: give one")
        if self.vnfInstanceIds and self.vnfInstanceNames:
            raise ValueError("vnfInstanceIds and vnfInstanceNames are alternatives: give one")
        return self


class LifecycleChangeNotificationsFilter(_Strict):
    vnfInstanceSubscriptionFilter: VnfInstanceSubscriptionFilter | None = None
    notificationTypes: list[NotificationType] | None = None
    operationTypes: list[VnfLcmOperation] | None = None
    operationStates: list[OperationState] | None = None


class ParamsBasic(_Strict):
    userName: Annotated[Name, Field(pattern=r"^[^:]+$")]
    password: Secret


class ParamsOauth2ClientCredentials(_Strict):
    clientId: Annotated[Name, Field(pattern=r"^[^:]+$")]
    clientPassword: Secret
    tokenEndpoint: CallbackUri


AuthType = Literal["BASIC", "OAUTH2_CLIENT_CREDENTIALS", "TLS_CERT"]


class SubscriptionAuthentication(_Strict):
    authType: Annotated[list[AuthType], Field(min_length=1)]
    paramsBasic: ParamsBasic | None = None
    paramsOauth2ClientCredentials: ParamsOauth2ClientCredentials | None = None

    @model_validator(mode="after")
    def _one_method_with_its_params(self) -> SubscriptionAuthentication:
        kinds = set(self.authType)
        if "TLS_CERT" in kinds:
            raise ValueError(
                "authType TLS_CERT is not supported: use BASIC or OAUTH2_CLIENT_CREDENTIALS"
            )
        if len(kinds) != 1:
            raise ValueError("give one authType: BASIC or OAUTH2_CLIENT_CREDENTIALS")
        if kinds == {"BASIC"} and self.paramsBasic is None:
            raise ValueError("authType BASIC needs paramsBasic (userName, password)")
        if kinds == {"OAUTH2_CLIENT_CREDENTIALS"} and self.paramsOauth2ClientCredentials is None:
            raise ValueError(
                "authType OAUTH2_CLIENT_CREDENTIALS needs paramsOauth2ClientCredentials "
                "(clientId, clientPassword, tokenEndpoint)"
            )
        return self


class LccnSubscriptionRequest(_Strict):
    filter: LifecycleChangeNotificationsFilter | None = None
    callbackUri: CallbackUri
    authentication: SubscriptionAuthentication | None = None

    def filter_json(self) -> dict[str, object]:
        """The filter as stored and shown: what was given, without nulls."""
        if self.filter is None:
            return {}
        return self.filter.model_dump(mode="json", exclude_none=True)
