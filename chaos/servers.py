"""A private RabbitMQ node and a private PostgreSQL cluster, the only servers a chaos run
restarts: the machine's shared servers (other suites use them) are never touched.

Both run from the distribution's own binaries, with every file under one temporary
directory, on ports of their own; each is started in the foreground of a child process whose
pid the harness holds, so it can be stopped, killed or restarted by pid.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

RABBITMQ_BIN = Path("/usr/lib/rabbitmq/bin")
START_TIMEOUT = 90.0


class ServerError(RuntimeError):
    pass


def port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def wait_port(port: int, what: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while not port_open(port):
        if process.poll() is not None:
            raise ServerError(f"{what} exited with {process.returncode}; see {log}")
        if time.monotonic() > deadline:
            raise ServerError(
                f"{what} not listening on {port} after {START_TIMEOUT:.0f}s; see {log}"
            )
        time.sleep(0.2)


def stop_process(process: subprocess.Popen[bytes] | None, timeout: float = 30.0) -> None:
    """SIGTERM, then SIGKILL after ``timeout``; the process group too (the server's children)."""
    if process is None or process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@dataclass
class PrivateRabbitMQ:
    """``rabbitmq-server`` as a node of its own name, AMQP and distribution ports, cookie
    (HOME) and data; no plugins (the shared node's management port stays free)."""

    root: Path
    port: int
    node: str = "servicevm-chaos@localhost"
    process: subprocess.Popen[bytes] | None = None

    @property
    def amqp_url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}/%2F"

    def _env(self) -> dict[str, str]:
        return {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.root),  # its own Erlang cookie
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(self.port + 20000),
            "RABBITMQ_MNESIA_BASE": str(self.root / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.root / "log"),
            "RABBITMQ_CONFIG_FILE": str(self.root / "rabbitmq.conf"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.root / "enabled_plugins"),
            # Not the machine's rabbitmq-env.conf: it names the shared node.
            "RABBITMQ_CONF_ENV_FILE": "/dev/null",
            "ERL_EPMD_ADDRESS": "127.0.0.1",
            "ERL_FLAGS": "-kernel inet_dist_use_interface {127,0,0,1}",
        }

    def start(self) -> None:
        if not (RABBITMQ_BIN / "rabbitmq-server").exists():
            raise ServerError(f"rabbitmq-server not found in {RABBITMQ_BIN}")
        if port_open(self.port):
            raise ServerError(f"port {self.port} is taken: is another chaos run going?")
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / "rabbitmq.conf").write_text(
            f"listeners.tcp.1 = 127.0.0.1:{self.port}\nloopback_users = none\n"
        )
        (self.root / "enabled_plugins").write_text("[].\n")
        log = self.root / "server.out"
        self.process = subprocess.Popen(
            [str(RABBITMQ_BIN / "rabbitmq-server")],
            env=self._env(),
            stdout=log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_port(self.port, "private RabbitMQ", self.process, log)

    def stop(self) -> None:
        """SIGTERM: the Erlang VM shuts the node down cleanly (rabbitmqctl stop can take
        minutes on a busy machine); SIGKILL if it has not within 30 s."""
        stop_process(self.process, timeout=30.0)

    def restart(self) -> None:
        self.stop()
        self.start()


@dataclass
class PrivatePostgres:
    """``initdb`` + ``postgres`` on its own port and socket directory, trust auth on
    loopback, fsync off (its data is thrown away). As root it runs as ``postgres`` (initdb
    refuses root)."""

    root: Path
    port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    @property
    def data(self) -> Path:
        return self.root / "data"

    def _bin(self, name: str) -> str:
        found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
        path = found[-1] if found else shutil.which(name)
        if path is None:
            raise ServerError(f"PostgreSQL's {name} not found")
        return path

    def _as_owner(self) -> list[str]:
        return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def start(self) -> None:
        if port_open(self.port):
            raise ServerError(f"port {self.port} is taken: is another chaos run going?")
        if not self.data.exists():
            self._initdb()
        log = self.root / "server.log"
        options = [
            "-p", str(self.port), "-k", str(self.root), "-c", "listen_addresses=127.0.0.1",
            "-c", "fsync=off", "-c", "max_connections=300",
        ]  # fmt: skip
        self.process = subprocess.Popen(
            [*self._as_owner(), self._bin("postgres"), "-D", str(self.data), *options],
            stdout=log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_port(self.port, "private PostgreSQL", self.process, log)

    def _initdb(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
            os.chown(self.root, owner.pw_uid, owner.pw_gid)
        result = subprocess.run(
            [*self._as_owner(), self._bin("initdb"), "-D", str(self.data), "-U", "postgres",
             "--auth=trust", "-E", "UTF8", "--no-sync"],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if result.returncode != 0:
            raise ServerError(f"initdb failed: {result.stderr.strip()}")

    def stop(self, *, crash: bool = False) -> None:
        """Fast shutdown, or with ``crash`` an immediate one (recovery at the next start)."""
        if self.process is None or self.process.poll() is not None:
            return
        # The postmaster is the process itself (runuser execs nothing else in between
        # that forwards signals): SIGQUIT is an immediate shutdown, SIGINT a fast one.
        postmaster = _postmaster_pid(self.data) or self.process.pid
        with contextlib.suppress(ProcessLookupError):
            os.kill(postmaster, signal.SIGQUIT if crash else signal.SIGINT)
        try:
            self.process.wait(60)
        except subprocess.TimeoutExpired:
            stop_process(self.process)

    def restart(self, *, crash: bool = True) -> None:
        self.stop(crash=crash)
        self.start()


def _postmaster_pid(data: Path) -> int | None:
    with contextlib.suppress(OSError, ValueError, IndexError):
        return int((data / "postmaster.pid").read_text().split()[0])
    return None
