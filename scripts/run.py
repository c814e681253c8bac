"""``make run``: check the servers (starting missing ones with Docker when it is there,
shared.compose_servers), prepare the database, start the four services, each as
SERVICEVM_REPLICAS processes (or SERVICEVM_<SERVICE>_REPLICAS), restarting any that dies
(shared.supervisor).

Ctrl-C (SIGINT to the process group) or SIGTERM stops them all.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from types import FrameType

from servicevm_mgmt.monitoring.engine import running_engine
from shared.compose_servers import ensure_servers
from shared.config import Settings, get_settings
from shared.db.bootstrap import create_database_and_roles, migrate
from shared.preflight import ServersNotReady, ensure_vhost, wait_for_servers
from shared.supervisor import Supervisor


def main() -> int:
    ensure_vhost(get_settings().amqp_url)
    settings, env = _servers(get_settings())
    asyncio.run(create_database_and_roles(settings))
    migrate(settings)
    log_dir = Path("var/log").resolve()
    suite = Supervisor(settings, env={**os.environ, **env}, log_dir=log_dir)
    stopping = False

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    monitoring = ExitStack()
    try:
        suite.start()
        # Health monitoring: a Celery worker and beat beside the services (mgmt owns them).
        monitoring.enter_context(running_engine(os.environ, log_dir))
        print(
            f"\nservicevm is running. API: {suite.url('api')}/v1.0  (docs: {suite.url('api')}/docs)"
        )
        print(f"Service logs (JSON lines): {log_dir}/<service>.log")
        replicas = ", ".join(f"{r.name}:{r.port}" for r in suite.replicas)
        print(f"Processes (restarted when one dies): {replicas}")
        print(
            "Embedded local cloud: a template with device_driver 'local' and mgmt_driver "
            "'http' gives real appliance processes on this machine (no OpenStack account)."
        )
        print("Real clouds: register one under /v1.0/vims and use device_driver 'nova' or 'heat'.")
        print("Press Ctrl-C to stop.\n", flush=True)
        while not stopping:
            suite.watch()
            time.sleep(0.5)
    finally:
        monitoring.close()
        suite.stop()
        print("servicevm stopped.", file=sys.stderr)
    return 0


def _servers(settings: Settings) -> tuple[Settings, dict[str, str]]:
    """Settings that reach every server: started with Docker when it is there, else waited
    for (a server still starting, or started by hand after this message)."""
    try:
        return ensure_servers(settings)
    except ServersNotReady as exc:
        if not exc.worth_waiting:
            raise
    wait_for_servers(settings)
    ensure_vhost(settings.amqp_url)
    return settings, {}


if __name__ == "__main__":
    sys.exit(main())
