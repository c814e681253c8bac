"""Process CPU time (user + system) from /proc, to charge each device its share of CPU.

Wall-clock throughput on a shared 2-core machine depends on whatever else runs; the CPU
seconds the services spend per device do not, so the benchmark reports both.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of one live process (Linux)."""
    fields = _stat_fields(pid)
    utime, stime = int(fields[11]), int(fields[12])
    return (utime + stime) / _TICKS


def snapshot(pids: Mapping[str, int]) -> dict[str, float]:
    return {name: cpu_seconds(pid) for name, pid in pids.items()}


def spent(before: Mapping[str, float], after: Mapping[str, float]) -> dict[str, float]:
    return {name: after[name] - before[name] for name in before}


def _stat_fields(pid: int) -> list[str]:
    """The fields after the command name (field 2, which may hold spaces and brackets)."""
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().rsplit(")", 1)[1].split()


class PostgresCpu:
    """CPU seconds spent by the local PostgreSQL server, its backends included: the
    postmaster's own time, the time of its children that have exited (its cutime and
    cstime) and that of those alive. The sum only grows, so the difference between two
    readings is what the server spent between them, whatever connections opened or closed.

    None when the server is not a local process this one can read (then the figure is left
    out, never guessed)."""

    def __init__(self, postmaster: int) -> None:
        self.postmaster = postmaster

    @classmethod
    def of_backend(cls, backend_pid: int) -> PostgresCpu | None:
        """From any backend's pid (``SELECT pg_backend_pid()``): its parent is the server."""
        try:
            return cls(int(_stat_fields(backend_pid)[1]))
        except (OSError, ValueError, IndexError):
            return None

    def seconds(self) -> float:
        # A backend that exits between the two reads below is missed once: connections
        # are pooled during a measured run, so that is rare and small.
        fields = _stat_fields(self.postmaster)
        total = sum(int(value) for value in fields[11:15])  # utime stime cutime cstime
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                child = _stat_fields(int(entry.name))
            except OSError:
                continue  # exited since the listing: its time is in cutime now
            if child[1] == str(self.postmaster):
                total += int(child[11]) + int(child[12])
        return total / _TICKS
