"""The monitoring engine's Celery worker and beat beside the suite, and local appliances' pids."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from servicevm_mgmt.monitoring.engine import running_engine
from tests.support.environment import APPLIANCE_STATE_DIR

# Rounds twice a second, results written ten times a second: the tests' intervals are short.
ENGINE_ENV = {"SERVICEVM_MONITOR_ROUND_SECONDS": "0.5", "SERVICEVM_MONITOR_FLUSH_SECONDS": "0.1"}


@contextmanager
def monitoring_engine(env: dict[str, str], log_dir: Path) -> Iterator[None]:
    with running_engine({**os.environ, **env, **ENGINE_ENV}, log_dir, level="INFO"):
        yield


def appliance_pid(instance_id: str) -> int:
    """The pid of a local appliance, from the local driver's state file."""
    record: dict[str, Any] = json.loads((APPLIANCE_STATE_DIR / f"{instance_id}.json").read_text())
    return int(record["pid"])
