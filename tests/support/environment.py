"""Settings of the test suite: its own database, vhost and ports, beside any `make run`."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from cryptography.fernet import Fernet

from shared.config import Settings
from shared.devstack import isolated_settings

# Several checkouts on one machine can each run the suite with their own base port and names.
_PORT_BASE = int(os.environ.get("SERVICEVM_TEST_PORT_BASE", "19890"))

# The local cloud's appliance state files of this suite (pids), away from `make run`'s: the
# suite stops whatever is left there when it ends (tests.conftest).
APPLIANCE_STATE_DIR = Path(tempfile.gettempdir()) / f"servicevm-test-appliances-{_PORT_BASE}"

TEST_ENV = {
    "SERVICEVM_LOCAL_STATE_DIR": str(APPLIANCE_STATE_DIR),
    "SERVICEVM_DB_NAME": os.environ.get("SERVICEVM_TEST_DB_NAME", "servicevm_test"),
    "SERVICEVM_AMQP_URL": os.environ.get(
        "SERVICEVM_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/servicevm_test"
    ),
    "SERVICEVM_API_PORT": str(_PORT_BASE),
    "SERVICEVM_SCHEDULER_PORT": str(_PORT_BASE + 1),
    "SERVICEVM_LIFECYCLE_PORT": str(_PORT_BASE + 2),
    "SERVICEVM_MGMT_PORT": str(_PORT_BASE + 3),
    "SERVICEVM_RELAY_POLL_SECONDS": "0.5",
    "SERVICEVM_RECONCILE_INTERVAL_SECONDS": "1",
    # What never comes (a device of a deleted template) fails within the tests' waits.
    "SERVICEVM_DEPENDENCY_WAIT_SECONDS": "10",
    "SERVICEVM_POOL_IDLE_SECONDS": "2",
    # Orphan servers and appliances (what no device owns) are removed within seconds.
    "SERVICEVM_ORPHAN_SCAN_INTERVAL_SECONDS": "1",
    "SERVICEVM_ORPHAN_GRACE_SECONDS": "2",
    "SERVICEVM_LOG_LEVEL": "INFO",
    # The fuzz run and the concurrency tests write far faster than any client should; the
    # limit itself is tested on the keystone api process and against Redis directly.
    "SERVICEVM_WRITE_RATE_LIMIT": "0",
    # The suite's own key (never the developer's key file); every service process shares it.
    "SERVICEVM_FERNET_KEYS": os.environ.get("SERVICEVM_TEST_FERNET_KEYS")
    or Fernet.generate_key().decode(),
    "SERVICEVM_VIM_CHECK_TIMEOUT_SECONDS": "5",
    # The tests' callback receivers listen on 127.0.0.1; short timeouts and retries.
    "SERVICEVM_ALLOW_PRIVATE_CALLBACKS": "true",
    "SERVICEVM_DELIVERY_TIMEOUT_SECONDS": "2",
    "SERVICEVM_DELIVERY_RETRY_BASE_SECONDS": "0.2",
    "SERVICEVM_DELIVERY_RETRY_MAX_SECONDS": "1",
    "SERVICEVM_DELIVERY_POLL_SECONDS": "0.2",
    # The SOL003 subscriptions' delivery state, as GET shows it, within a second.
    "SERVICEVM_DELIVERY_STATE_SECONDS": "1",
}


# A second api process, validating Keystone tokens, beside the noauth suite and sharing it.
KEYSTONE_API_PORT = _PORT_BASE + 10
# Writes per project per minute there: above what the auth matrix's projects write.
KEYSTONE_WRITE_LIMIT = 40
# A third api process, noauth with SERVICEVM_NOAUTH_PROJECT (for `openstack --os-auth-type
# none`, which sends no project) and small ETSI pages.
NOAUTH_PROJECT_API_PORT = _PORT_BASE + 11
NOAUTH_PROJECT = "cli-project"
NOAUTH_PAGE_SIZE = 2
# The suite in external NFVO mode (tests.support.nfvo): its four services' ports from here.
PORT_BASE_NFVO = _PORT_BASE + 30
# A second mgmt process beside the suite's (several replicas delivering at once).
SECOND_MGMT_PORT = _PORT_BASE + 12
# The reduced fault suite's two replicas of every service (base + 10r + i, r = 0, 1).
CHAOS_PORT_BASE = _PORT_BASE + 60


def suite_settings() -> Settings:
    return isolated_settings(TEST_ENV)
