"""``make run``: check the servers (starting missing ones with Docker when it is there,
shared.compose_servers), prepare the database, start the four services.

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
from shared.config import get_settings
from shared.db.bootstrap import create_database_and_roles, migrate
from shared.devstack import Suite
from shared.preflight import ensure_vhost


def main() -> int:
    ensure_vhost(get_settings().amqp_url)
    settings, env = ensure_servers(get_settings())
    asyncio.run(create_database_and_roles(settings))
    migrate(settings)
    log_dir = Path("var/log").resolve()
    suite = Suite(settings, env=env, log_dir=log_dir)
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
        print(
            "Embedded local cloud: a template with device_driver 'local' and mgmt_driver "
            "'http' gives real appliance processes on this machine (no OpenStack account)."
        )
        print("Real clouds: register one under /v1.0/vims and use device_driver 'nova' or 'heat'.")
        print("Press Ctrl-C to stop.\n", flush=True)
        while not stopping:
            crashed = suite.first_exited()
            if crashed is not None:
                print(f"{crashed} exited; stopping the suite", file=sys.stderr)
                return 1
            time.sleep(0.5)
    finally:
        monitoring.close()
        suite.stop()
        print("servicevm stopped.", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
