"""The local driver's processes and their state files, apart from the driver's flow.

Appliances are started through a short-lived launcher (a double fork): the appliance is
re-parented away from the lifecycle worker, in a session of its own, so a worker that
restarts neither kills it nor leaves a zombie or a waiting thread behind for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import socket
import sys
import uuid
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path

from servicevm_lifecycle.drivers.base import DeviceDriverError

# Run as ``python -c _LAUNCHER LOG_FILE CMD...``: starts CMD detached, prints its pid.
_LAUNCHER = """\
import subprocess, sys
with open(sys.argv[1], "ab") as log:
    child = subprocess.Popen(sys.argv[2:], stdin=subprocess.DEVNULL, stdout=log,
                             stderr=subprocess.STDOUT, start_new_session=True, close_fds=True)
print(child.pid, flush=True)
"""
LAUNCH_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class ApplianceRecord:
    """What a worker needs to find an appliance again (the per-instance state file)."""

    instance_id: str
    device_id: str
    pid: int
    port: int
    # The process's start time (clock ticks since boot): a pid reused later by another
    # process has another, so such a process is never taken for the appliance or signalled.
    start_ticks: int | None

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> ApplianceRecord:
        data = json.loads(text)
        return cls(
            instance_id=str(data["instance_id"]),
            device_id=str(data["device_id"]),
            pid=int(data["pid"]),
            port=int(data["port"]),
            start_ticks=None if data.get("start_ticks") is None else int(data["start_ticks"]),
        )


class StateDir:
    """One ``<instance>.json`` state file and one ``<instance>.log`` per appliance."""

    def __init__(self, path: Path) -> None:
        self.path = path.expanduser()

    def state_file(self, instance_id: str) -> Path:
        return self.path / f"{_safe(instance_id)}.json"

    def log_file(self, instance_id: str) -> Path:
        return self.path / f"{_safe(instance_id)}.log"

    def save(self, record: ApplianceRecord) -> None:
        # Write then rename: a concurrent reader sees the old file or the new, never half.
        target = self.state_file(record.instance_id)
        temporary = self._temporary(record)
        os.replace(temporary, target)

    def save_new(self, record: ApplianceRecord) -> None:
        """Write the record's state file unless one exists: another worker's ``save`` of
        the same appliance, whose record is the same, wins."""
        temporary = self._temporary(record)
        try:
            with contextlib.suppress(FileExistsError):
                os.link(temporary, self.state_file(record.instance_id))
        finally:
            temporary.unlink(missing_ok=True)

    def _temporary(self, record: ApplianceRecord) -> Path:
        """The record in a file of this writer's own (two workers may write one record)."""
        name = f".{_safe(record.instance_id)}.{os.getpid()}.{uuid.uuid4().hex}.tmp"
        temporary = self.path / name
        temporary.write_text(record.to_json())
        return temporary

    def load(self, instance_id: str) -> ApplianceRecord | None:
        try:
            return ApplianceRecord.from_json(self.state_file(instance_id).read_text())
        except FileNotFoundError:
            return None
        except (ValueError, KeyError, TypeError) as exc:
            raise DeviceDriverError(f"state file of {instance_id} is unreadable: {exc}") from exc

    def records(self) -> list[tuple[ApplianceRecord, float]]:
        """Every readable state file's record, with the file's modification time (seconds
        since the epoch); unreadable or vanishing files are skipped."""
        found = []
        for path in self.path.glob("*.json"):
            try:
                found.append((ApplianceRecord.from_json(path.read_text()), path.stat().st_mtime))
            except (OSError, ValueError, KeyError, TypeError):
                continue
        return found

    def adopt_untracked(self) -> None:
        """Give a state file to every appliance that runs with its log in this dir but has
        none. A worker killed after the launch and before ``save`` leaves such an appliance:
        without this its create, run again, would start a second one for the device, and
        nothing would ever stop the first. (One being launched right now may be adopted
        too: its record is the one its worker then saves.)"""
        for record in untracked_appliances(self):
            self.save_new(record)

    def forget(self, instance_id: str) -> None:
        for path in (self.state_file(instance_id), self.log_file(instance_id)):
            path.unlink(missing_ok=True)

    def log_tail(self, instance_id: str, limit: int = 600) -> str:
        try:
            text = self.log_file(instance_id).read_text(errors="replace")
        except FileNotFoundError:
            return ""
        return text[-limit:].strip()


def _safe(instance_id: str) -> str:
    """Instance ids come from the database; never let one name a path outside the dir."""
    if not instance_id or "/" in instance_id or instance_id.startswith("."):
        raise DeviceDriverError(f"not a local instance id: {instance_id!r}")
    return instance_id


@dataclass(frozen=True)
class ApplianceProcess:
    """An appliance process as /proc shows it."""

    pid: int
    argv: list[str]
    log: str  # the file its output goes to


def appliance_processes(state_dir: Path) -> list[ApplianceProcess]:
    """Every appliance process (in /proc) whose output goes to a file in ``state_dir``:
    the launcher opens the log before it starts the appliance, so this finds one whether
    or not a state file names it."""
    if not _has_proc():
        return []
    directory = state_dir.resolve()  # /proc shows the log's absolute, resolved path
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            argv = (proc / "cmdline").read_bytes().decode(errors="replace").split("\0")
            log = os.readlink(proc / "fd" / "1")
        except OSError:
            continue  # gone meanwhile, or not ours to look at
        if "servicevm_appliance" in argv and Path(log).parent == directory:
            found.append(ApplianceProcess(int(proc.name), argv, log))
    return found


# The log of an appliance the driver started: ``local-<uuid>.log``.
_LOG_NAME = re.compile(r"(?P<instance_id>local-[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12})\.log")


def untracked_appliances(state_dir: StateDir) -> list[ApplianceRecord]:
    """Appliances whose log is ``<dir>/<instance id>.log`` and that no state file of the
    dir names, with the instance id, device id and port their log and argv tell."""
    found = []
    for process in appliance_processes(state_dir.path):
        named = _LOG_NAME.fullmatch(Path(process.log).name)  # not "<log> (deleted)"
        if named is None:
            continue
        instance_id = named["instance_id"]
        if state_dir.state_file(instance_id).exists():
            continue
        record = _record_from_argv(instance_id, process.pid, process.argv)
        if record is not None:
            found.append(record)
    return found


def _record_from_argv(instance_id: str, pid: int, argv: list[str]) -> ApplianceRecord | None:
    try:
        device_id = argv[argv.index("--device-id") + 1]
        port = int(argv[argv.index("--port") + 1])
    except (ValueError, IndexError):
        return None  # not one the driver started
    ticks = start_ticks(pid)
    return None if ticks is None else ApplianceRecord(instance_id, device_id, pid, port, ticks)


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on now (the kernel's choice; another process may take it
    before the appliance binds, in which case the appliance exits and wait reports it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


async def launch_detached(argv: list[str], *, log_file: Path, env: dict[str, str]) -> int:
    """Start argv detached from this process; its pid."""
    launcher = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        _LAUNCHER,
        str(log_file),
        *argv,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    try:
        out, err = await asyncio.wait_for(launcher.communicate(), LAUNCH_TIMEOUT_SECONDS)
    except TimeoutError:
        launcher.kill()
        await launcher.wait()
        raise DeviceDriverError("the appliance launcher did not answer in time") from None
    if launcher.returncode != 0:
        raise DeviceDriverError(f"could not start the appliance: {err.decode().strip()}")
    return int(out.decode().strip())


@cache
def _has_proc() -> bool:
    return Path("/proc/self/stat").exists()


def start_ticks(pid: int) -> int | None:
    """The process's start time from /proc (None where there is no /proc or no process)."""
    if not _has_proc():
        return None
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return parse_stat(stat)[1]


def parse_stat(stat: str) -> tuple[str, int]:
    """(state letter, start ticks) from a /proc/<pid>/stat line; the command name in
    parentheses may itself hold spaces and parentheses, so split after its last ')'."""
    fields = stat[stat.rindex(")") + 2 :].split()
    return fields[0], int(fields[19])


def is_running(record: ApplianceRecord) -> bool:
    """Whether the record's process still runs: not gone, not a zombie, not a reused pid."""
    if not _has_proc():
        return _exists_without_proc(record.pid)
    try:
        stat = Path(f"/proc/{record.pid}/stat").read_text()
    except OSError:
        return False
    state, ticks = parse_stat(stat)
    if state in ("Z", "X"):
        return False
    return record.start_ticks is None or ticks == record.start_ticks


def is_stopped(record: ApplianceRecord) -> bool:
    """Whether the record's process is stopped by a signal (SIGSTOP): state T in /proc."""
    if not is_running(record) or not _has_proc():
        return False
    try:
        stat = Path(f"/proc/{record.pid}/stat").read_text()
    except OSError:
        return False
    return parse_stat(stat)[0] == "T"


def _exists_without_proc(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, as another user's process
    return True


def signal_group(record: ApplianceRecord, signum: signal.Signals) -> None:
    """Signal the appliance's session (it leads its own process group); gone is fine."""
    if not is_running(record):
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(record.pid, signum)
