"""The SOL003 request bodies (v2.6.1, as Tacker's /vnflcm/v1 takes them), pydantic.

Extra members are allowed and kept (SOL003 lets requests carry vendor extensions, and
NFVO tools send what Tacker accepts); a member of the wrong type is a 400.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class TaskRequest(BaseModel):
    model_config = ConfigDict(extra="allow")

    def params(self) -> dict[str, Any]:
        """The request as operationParams: what was sent, camelCase, without nulls."""
        return self.model_dump(mode="json", exclude_none=True)


class VimConnectionInfo(TaskRequest):
    id: str = Field(min_length=1)
    vimId: str | None = None
    vimType: str = Field(min_length=1)
    interfaceInfo: dict[str, Any] | None = None
    accessInfo: dict[str, Any] | None = None
    extra: dict[str, Any] | None = None


class CreateVnfRequest(TaskRequest):
    vnfdId: str = Field(min_length=1, max_length=255)
    vnfInstanceName: str | None = Field(default=None, max_length=255)
    vnfInstanceDescription: str | None = Field(default=None, max_length=1024)
    metadata: dict[str, Any] | None = None


class VnfInfoModificationRequest(TaskRequest):
    """A JSON merge patch (RFC 7396) of the instance's modifiable attributes."""

    vnfInstanceName: str | None = Field(default=None, max_length=255)
    vnfInstanceDescription: str | None = Field(default=None, max_length=1024)
    metadata: dict[str, Any] | None = None
    extensions: dict[str, Any] | None = None
    vnfConfigurableProperties: dict[str, Any] | None = None
    vimConnectionInfo: list[VimConnectionInfo] | None = None


class InstantiateVnfRequest(TaskRequest):
    flavourId: str = Field(min_length=1)
    instantiationLevelId: str | None = None
    extVirtualLinks: list[dict[str, Any]] | None = None
    extManagedVirtualLinks: list[dict[str, Any]] | None = None
    vimConnectionInfo: list[VimConnectionInfo] | None = None
    localizationLanguage: str | None = None
    additionalParams: dict[str, Any] | None = None


class TerminateVnfRequest(TaskRequest):
    terminationType: Literal["FORCEFUL", "GRACEFUL"]
    gracefulTerminationTimeout: int | None = Field(default=None, ge=0)
    additionalParams: dict[str, Any] | None = None


class ScaleVnfRequest(TaskRequest):
    type: Literal["SCALE_OUT", "SCALE_IN"]
    aspectId: str = Field(min_length=1)
    numberOfSteps: int = Field(default=1, ge=1)
    additionalParams: dict[str, Any] | None = None


class ScaleInfoBody(TaskRequest):
    aspectId: str = Field(min_length=1)
    scaleLevel: int = Field(ge=0)


class ScaleVnfToLevelRequest(TaskRequest):
    instantiationLevelId: str | None = None
    scaleInfo: list[ScaleInfoBody] | None = None
    additionalParams: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _one_target(self) -> ScaleVnfToLevelRequest:
        if (self.instantiationLevelId is None) == (self.scaleInfo is None):
            raise ValueError("give exactly one of instantiationLevelId and scaleInfo")
        return self


class HealVnfRequest(TaskRequest):
    vnfcInstanceId: list[str] | None = None
    cause: str | None = None
    additionalParams: dict[str, Any] | None = None


class OperateVnfRequest(TaskRequest):
    changeStateTo: Literal["STARTED", "STOPPED"]
    stopType: Literal["FORCEFUL", "GRACEFUL"] | None = None
    gracefulStopTimeout: int | None = Field(default=None, ge=0)
    additionalParams: dict[str, Any] | None = None


class ChangeVnfFlavourRequest(TaskRequest):
    newFlavourId: str = Field(min_length=1)
    instantiationLevelId: str | None = None
    extVirtualLinks: list[dict[str, Any]] | None = None
    extManagedVirtualLinks: list[dict[str, Any]] | None = None
    vimConnectionInfo: list[VimConnectionInfo] | None = None
    additionalParams: dict[str, Any] | None = None


class ChangeExtVnfConnectivityRequest(TaskRequest):
    extVirtualLinks: list[dict[str, Any]] = Field(min_length=1)
    vimConnectionInfo: list[VimConnectionInfo] | None = None
    additionalParams: dict[str, Any] | None = None


class CancelModeRequest(TaskRequest):
    cancelMode: Literal["GRACEFUL", "FORCEFUL"] = "GRACEFUL"
