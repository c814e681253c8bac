"""``make run`` through outages and crashes: it waits for a server that does not answer yet
(saying which and how to start it) rather than stopping, gives up at once on a refused login,
and restarts a service process that dies with a growing delay instead of stopping the suite."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from shared.config import Settings
from shared.preflight import Probe, ServersNotReady, wait_for_servers
from shared.supervisor import Replica, Supervisor

UP = Probe("PostgreSQL", "postgresql://127.0.0.1:5432/postgres", "ok")
DOWN = Probe("PostgreSQL", "postgresql://127.0.0.1:5432/postgres", "missing", "refused")
REFUSED = Probe("PostgreSQL", "postgresql://127.0.0.1:5432/postgres", "login", "password")


def test_a_server_that_is_down_is_waited_for_with_a_message() -> None:
    answers = iter([[DOWN], [DOWN], [DOWN], [UP]])
    said: list[str] = []
    slept: list[float] = []
    wait_for_servers(
        Settings(),
        probe=lambda _s: next(answers),
        sleep=slept.append,
        say=said.append,
        interval=20.0,
    )
    assert len(slept) == 3
    assert said[0].startswith("Waiting for servers")
    assert "PostgreSQL is not running" in said[1] and "apt-get install" in said[1]
    assert any("Still waiting for PostgreSQL" in line for line in said)
    assert said[-1] == "All servers answer after 60s; starting."


def test_a_refused_login_is_not_waited_for() -> None:
    with pytest.raises(ServersNotReady) as raised:
        wait_for_servers(Settings(), probe=lambda _s: [REFUSED], sleep=lambda _x: None)
    assert not raised.value.worth_waiting
    assert ServersNotReady([DOWN]).worth_waiting


def test_replica_counts_and_ports() -> None:
    settings = Settings(replicas=2, lifecycle_replicas=3, api_port=9890, lifecycle_port=9892)
    replicas = Supervisor(settings, env={}).replicas
    lifecycle = [(r.name, r.port) for r in replicas if r.service == "lifecycle"]
    assert lifecycle == [("lifecycle", 9892), ("lifecycle-2", 9902), ("lifecycle-3", 9912)]
    assert [r.port for r in replicas if r.service == "api"] == [9890, 9900]


def test_a_dead_replica_is_restarted_after_a_growing_delay(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    clock = [1000.0]
    monkeypatch.setattr(time, "monotonic", lambda: clock[0])
    suite = Supervisor(Settings(), env={})
    spawned: list[str] = []

    def spawn(replica: Replica) -> None:
        # A process that dies at once, as a crashing service would.
        replica.process = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
        replica.process.wait()
        replica.started_at = clock[0]
        spawned.append(replica.name)

    monkeypatch.setattr(suite, "_spawn", spawn)
    lifecycle = next(r for r in suite.replicas if r.service == "lifecycle")
    suite.replicas = [lifecycle]
    spawn(lifecycle)
    delays = []
    for _ in range(3):
        suite.watch()  # notices the death, schedules the restart
        assert lifecycle.restart_at is not None
        delays.append(lifecycle.restart_at - clock[0])
        clock[0] = lifecycle.restart_at
        suite.watch()  # due: started again
    assert delays == [1.0, 2.0, 4.0]
    assert spawned == ["lifecycle"] * 4
    assert "lifecycle exited with status 3; restarting it in 1s" in capsys.readouterr().err
