"""A device's health monitoring policy: the template attribute ``monitoring``. Pure.

The value is an object, or its JSON text (template attributes are strings on the wire), and a
device may override it whole with its own kwargs ``monitoring``. For example::

    {"monitors": [{"type": "ping", "interval": 2, "timeout": 1, "threshold": 2},
                  {"type": "http", "path": "/health", "expected_status": 200}],
     "action": "respawn", "respawn_limit": 3, "respawn_window_seconds": 600}

- ``ping``: a TCP connect to the management address (``host:port``; ``port`` overrides it).
- ``http``: GET ``http://<mgmt address><path>`` answers ``expected_status``.
- ``mgmt``: the management driver's ``health()`` says ``ok``.
- ``driver``: the device driver's ``status()`` says the instance runs (``ACTIVE``, or a Heat
  stack's last action ``*_COMPLETE``; probed by lifecycle).
- each monitor: ``interval`` between probes, ``timeout`` of one probe (seconds), and the
  ``threshold`` of consecutive failures that makes the device unhealthy.
- ``action``: ``none`` (mark DEAD only), ``respawn`` (replace the device through its driver,
  at most ``respawn_limit`` times per template per ``respawn_window_seconds``), or ``heal``
  (a VNFC: its VNF's SOL003 heal of that VNFC, as an automatic op occ, within the same
  limit; any other device: respawn).

The api validates the attribute (a 400 naming it); mgmt and lifecycle read it with ``of``.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

ATTRIBUTE = "monitoring"
MonitorType = Literal["ping", "http", "driver", "mgmt"]
Action = Literal["none", "respawn", "heal"]


class InvalidMonitoring(ValueError):
    """The monitoring policy is unusable; the message names the field."""


class Monitor(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    type: MonitorType
    interval: float = Field(default=10.0, ge=0.2, le=86400)
    timeout: float = Field(default=5.0, gt=0, le=600)
    threshold: int = Field(default=3, ge=1, le=1000)
    # http only
    path: str = Field(default="/health", max_length=255, pattern=r"^/")
    expected_status: int = Field(default=200, ge=100, le=599)
    # ping only: the TCP port, when not the management address's own
    port: int | None = Field(default=None, ge=1, le=65535)

    @model_validator(mode="after")
    def _timeout_within_interval(self) -> Monitor:
        # A probe that may outlast its interval would overlap the next one.
        if self.timeout > self.interval:
            raise ValueError("timeout must not exceed interval")
        return self

    @property
    def name(self) -> str:
        return self.type


class MonitoringPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    monitors: list[Monitor] = Field(default_factory=list, max_length=8)
    action: Action = "none"
    respawn_limit: int = Field(default=3, ge=0, le=1000)
    respawn_window_seconds: float = Field(default=600.0, gt=0, le=7 * 86400)

    @model_validator(mode="after")
    def _one_monitor_per_type(self) -> MonitoringPolicy:
        types = [m.type for m in self.monitors]
        if len(types) != len(set(types)):
            raise ValueError("at most one monitor of each type")
        return self

    @classmethod
    def parse(cls, raw: object) -> MonitoringPolicy:
        """From an object or its JSON text. Raises InvalidMonitoring naming the field."""
        if isinstance(raw, str):
            try:
                raw = json.loads(raw)
            except ValueError:
                raise InvalidMonitoring(f"attribute {ATTRIBUTE} is not valid JSON") from None
        try:
            return cls.model_validate(raw)
        except ValidationError as exc:
            raise InvalidMonitoring(_describe(exc)) from None

    @classmethod
    def of(cls, attributes: dict[str, str], kwargs: dict[str, Any]) -> MonitoringPolicy | None:
        """The device's policy (its kwargs override the template's), None when it has none
        or when it is unusable (the api refused those; never raises)."""
        raw = kwargs.get(ATTRIBUTE, attributes.get(ATTRIBUTE))
        if raw is None:
            return None
        try:
            return cls.parse(raw)
        except InvalidMonitoring:
            return None

    def monitor(self, monitor_type: str) -> Monitor | None:
        return next((m for m in self.monitors if m.type == monitor_type), None)


def check(attributes: dict[str, str], kwargs: dict[str, Any] | None = None) -> None:
    """Raises InvalidMonitoring when the template's (or the device's) policy is unusable."""
    for source in (attributes, kwargs or {}):
        if ATTRIBUTE in source:
            MonitoringPolicy.parse(source[ATTRIBUTE])


def _describe(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(part) for part in (ATTRIBUTE, *first["loc"]))
    return f"attribute {where}: {first['msg']}"
