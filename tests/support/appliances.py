"""No local appliance outlives the tests that made it: every appliance the local driver
started is named by a state file (pid and start time), and the tests stop what is left."""

from __future__ import annotations

import contextlib
import os
import signal
from pathlib import Path

from servicevm_lifecycle.drivers.local_process import ApplianceRecord, StateDir


def stat_fields(pid: int) -> list[str] | None:
    """Independent of the driver: /proc/<pid>/stat after the command name, or None."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return None
    return stat[stat.rindex(")") + 2 :].split()


def kill_leftovers(state_dir: Path) -> list[int]:
    """SIGKILL every appliance a state file in ``state_dir`` names that still runs (and its
    session), and every one running with its log there that none names; a pid now used by
    another process (other start time) is left alone."""
    killed = []
    if state_dir.is_dir():
        # Appliances a killed worker launched and never recorded get a state file first.
        StateDir(state_dir).adopt_untracked()
    for state_file in state_dir.glob("*.json"):
        with contextlib.suppress(ValueError, KeyError, TypeError, OSError):
            record = ApplianceRecord.from_json(state_file.read_text())
            fields = stat_fields(record.pid)
            if fields is None or fields[0] in "ZX" or int(fields[19]) != record.start_ticks:
                continue  # gone, or its pid now belongs to another process
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(record.pid, signal.SIGKILL)  # its session, should it have children
            with contextlib.suppress(ProcessLookupError):
                os.kill(record.pid, signal.SIGKILL)  # in case it leads no group
            killed.append(record.pid)
    return killed
