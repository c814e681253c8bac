"""Wires mgmt: its tables and its handlers."""

from __future__ import annotations

from servicevm_mgmt.adapters.orm import metadata
from servicevm_mgmt.handlers import HANDLERS
from shared.runtime import ServiceDefinition

DEFINITION = ServiceDefinition(name="mgmt", metadata=metadata, handlers=HANDLERS)
