"""The monitoring engine's Celery worker and beat, started beside the suite, stopped by pid."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from shared.config import get_settings

CELERY_APP = "servicevm_mgmt.monitoring.celery_app:app"
ENGINE_ENV = {"SERVICEVM_MONITOR_ROUND_SECONDS": "0.5", "SERVICEVM_MONITOR_FLUSH_SECONDS": "0.1"}


@contextmanager
def monitoring_engine(env: dict[str, str], log_dir: Path) -> Iterator[None]:
    full_env = {**os.environ, **env, **ENGINE_ENV}
    celery = [sys.executable, "-m", "celery", "-A", CELERY_APP]
    commands = {
        "worker": [
            *celery,
            "worker",
            "--pool=threads",
            "--concurrency=4",
            "-Q",
            "servicevm.monitoring",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-l",
            "INFO",
        ],
        "beat": [*celery, "beat", "-s", str(log_dir / "beat-schedule"), "-l", "WARNING"],
    }
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for name, argv in commands.items():
            log = (log_dir / f"celery-{name}.log").open("wb")
            processes.append(
                subprocess.Popen(argv, env=full_env, stdout=log, stderr=subprocess.STDOUT)
            )
        yield
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def appliance_pid(instance_id: str) -> int:
    """The pid of a local appliance, from the local driver's state file."""
    state_dir = Path(os.environ.get("SERVICEVM_LOCAL_STATE_DIR") or get_settings().local_state_dir)
    record: dict[str, Any] = json.loads(
        (state_dir.expanduser() / f"{instance_id}.json").read_text()
    )
    return int(record["pid"])
