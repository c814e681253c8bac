"""Starting the monitoring engine on this machine (``make run``, the tests): one Celery
worker (threads; each keeps an event loop and probes concurrently) and one beat, stopped
by pid."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from servicevm_mgmt.monitoring.celery_app import QUEUE

CELERY_APP = "servicevm_mgmt.monitoring.celery_app:app"


def commands(log_dir: Path, *, level: str = "WARNING") -> dict[str, list[str]]:
    celery = [sys.executable, "-m", "celery", "-A", CELERY_APP]
    worker = [*celery, "worker", "--pool=threads", "--concurrency=4", "-Q", QUEUE]
    quiet = ["--without-gossip", "--without-mingle", "--without-heartbeat"]
    return {
        "worker": [*worker, *quiet, "-l", level],
        "beat": [*celery, "beat", "-s", str(log_dir / "celery-beat-schedule"), "-l", level],
    }


@contextmanager
def running_engine(
    env: Mapping[str, str], log_dir: Path, *, level: str = "WARNING"
) -> Iterator[None]:
    """The worker and beat run while the block does; logs in ``celery-<role>.log``."""
    log_dir.mkdir(parents=True, exist_ok=True)
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for role, argv in commands(log_dir, level=level).items():
            with (log_dir / f"celery-{role}.log").open("ab") as log:
                processes.append(
                    subprocess.Popen(argv, env=dict(env), stdout=log, stderr=subprocess.STDOUT)
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
