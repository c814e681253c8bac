"""Request bodies of /vnfpkgm/v1 (SOL005 9.5.2). Unknown attributes are a 400."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

OnboardingState = Literal["CREATED", "UPLOADING", "PROCESSING", "ONBOARDED"]
OperationalState = Literal["ENABLED", "DISABLED"]
UsageState = Literal["IN_USE", "NOT_IN_USE"]

# KeyValuePairs kept as given; a bound on its size keeps a row small.
UserDefinedData = dict[str, Any]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


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


def merge_patch(target: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """RFC 7396 JSON merge patch: ``null`` removes a key, objects merge, the rest replaces."""
    merged = dict(target)
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge_patch(merged[key], value)
        else:
            merged[key] = value
    return merged
