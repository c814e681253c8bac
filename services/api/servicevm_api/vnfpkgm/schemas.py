"""Request bodies of /vnfpkgm/v1 (SOL005 9.5.2). Unknown attributes are a 400."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from servicevm_api.schemas.fields import nul_path

OnboardingState = Literal["CREATED", "UPLOADING", "PROCESSING", "ONBOARDED"]
OperationalState = Literal["ENABLED", "DISABLED"]
UsageState = Literal["IN_USE", "NOT_IN_USE"]

# KeyValuePairs kept as given; a bound on its size keeps a row small.
UserDefinedData = dict[str, Any]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data: Any) -> Any:
        # PostgreSQL's JSONB cannot hold U+0000: refused here as a 400, not a 500 there.
        where = nul_path(data)
        if where is not None:
            raise ValueError(f"NUL characters are not allowed (at {where})")
        return data


class CreateVnfPkgInfoRequest(_Strict):
    userDefinedData: UserDefinedData | None = Field(default=None, max_length=256)


class VnfPkgInfoModifications(_Strict):
    """PATCH body: a new operationalState and/or userDefinedData merged in (RFC 7396)."""

    operationalState: OperationalState | None = None
    userDefinedData: UserDefinedData | None = Field(default=None, max_length=256)

    @model_validator(mode="after")
    def _something(self) -> VnfPkgInfoModifications:
        if self.operationalState is None and self.userDefinedData is None:
            raise ValueError("give operationalState and/or userDefinedData")
        return self


class UploadVnfPkgFromUriRequest(_Strict):
    addressInformation: str
    userName: str | None = None
    password: str | None = None


class VnfPkgInfo(BaseModel):
    """SOL005 9.5.2.5, as answered (documentation of the response; attributes without a
    value are left out, and a list leaves out those its attribute selector does)."""

    model_config = ConfigDict(extra="allow")

    id: str
    vnfdId: str | None = None
    vnfProvider: str | None = None
    vnfProductName: str | None = None
    vnfSoftwareVersion: str | None = None
    vnfdVersion: str | None = None
    checksum: dict[str, str] | None = None
    softwareImages: list[dict[str, Any]] | None = None
    additionalArtifacts: list[dict[str, Any]] | None = None
    onboardingState: OnboardingState | None = None
    operationalState: OperationalState | None = None
    usageState: UsageState | None = None
    userDefinedData: dict[str, Any] | None = None
    onboardingFailureDetails: dict[str, Any] | None = None
    links: dict[str, dict[str, str]] | None = Field(default=None, alias="_links")
