"""Settings for every service, read from environment variables prefixed ``SERVICEVM_``.

One class for the whole suite so that every service reads the same names; each service
uses the part it needs (its database role, its ops port).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import quote

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

ServiceName = Literal["api", "scheduler", "lifecycle", "mgmt"]
SERVICES: tuple[ServiceName, ...] = ("api", "scheduler", "lifecycle", "mgmt")

# Each service's ops server (/healthz, /readyz, /metrics); the api serves its REST API there too.
DEFAULT_PORTS: dict[ServiceName, int] = {
    "api": 9890,
    "scheduler": 9891,
    "lifecycle": 9892,
    "mgmt": 9893,
}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SERVICEVM_", extra="ignore")

    # PostgreSQL: one database, one schema and one login role per service.
    db_host: str = "127.0.0.1"
    db_port: int = 5432
    db_name: str = "servicevm"
    db_role_password: str = "servicevm"
    # Per process: at least the prefetch count, so concurrent handlers do not churn
    # connections; four services share the server's max_connections (100 by default).
    db_pool_size: int = 10
    db_max_overflow: int = 5
    # Superuser used only to create the database, roles and schemas.
    db_admin_url: str = "postgresql://postgres@127.0.0.1:5432/postgres"

    amqp_url: str = "amqp://guest:guest@127.0.0.1:5672/%2F"
    redis_url: str = "redis://127.0.0.1:6379/0"

    bind_host: str = "127.0.0.1"
    api_port: int = DEFAULT_PORTS["api"]
    scheduler_port: int = DEFAULT_PORTS["scheduler"]
    lifecycle_port: int = DEFAULT_PORTS["lifecycle"]
    mgmt_port: int = DEFAULT_PORTS["mgmt"]

    # `make run`: processes per service (SERVICEVM_REPLICAS), or per service
    # (SERVICEVM_LIFECYCLE_REPLICAS=3); replica k listens on its service's port + 10 * k.
    replicas: int = 1
    api_replicas: int | None = None
    scheduler_replicas: int | None = None
    lifecycle_replicas: int | None = None
    mgmt_replicas: int | None = None
    # Messages a consumer may hold unacknowledged; bounds memory and redelivery on a crash.
    prefetch_count: int = 10
    # Batches of one-transaction messages every service runs at once (messaging.batching),
    # instead of its own choice (ServiceDefinition.batch_slots: 2 for the scheduler, 1 for
    # the others). With 2 the messages waiting are shared between two transactions, one's
    # statements running while the other's handlers run Python.
    batch_slots: int | None = Field(default=None, ge=1)
    # Commits wake the relay (db.relay_wakeup); this is only the poll for a missed wake-up.
    relay_poll_seconds: float = 1.0
    relay_batch_size: int = 200
    # Upper bound of any one device driver call (create, wait, update, delete).
    driver_timeout_seconds: float = 900.0
    # A device operation still pending after this long is given up as ERROR (its command was
    # lost to a bug and parked); longer than any driver and configuration step can take.
    stuck_operation_seconds: float = 3600.0
    # How often lifecycle looks at the VNFCs a GRACEFUL terminate or stop waits for.
    graceful_stop_poll_seconds: float = 1.0
    # Replicas (shared.messaging.handoff): a resource's lease lives this long unless renewed
    # (a dead replica's operation is resumed by another after it); a handler still running
    # after handoff_after_seconds settles its message and goes on under its lease, well
    # within RabbitMQ's consumer_timeout (30 min by default); expired leases are swept this
    # often.
    lease_seconds: float = 20.0
    handoff_after_seconds: float = 60.0
    lease_sweep_seconds: float = 5.0
    # A message that came before a resource another message creates (a device before its
    # template, across replicas) is handled again for up to this long, then fails as before
    # (shared.messaging.not_yet).
    dependency_wait_seconds: float = 30.0
    # Cloud (VIM) drivers: calls in flight at once per VIM, each HTTP request's timeout,
    # retries of transient failures (5xx, lost connections) with capped exponential backoff,
    # and how long a server or stack may take to become ready, polled with growing pauses.
    vim_max_concurrency: int = 8
    vim_api_timeout_seconds: float = 60.0
    vim_retry_attempts: int = 4
    vim_retry_base_seconds: float = 0.5
    vim_retry_max_seconds: float = 8.0
    vim_ready_timeout_seconds: float = 600.0
    vim_poll_min_seconds: float = 0.5
    vim_poll_max_seconds: float = 10.0
    reconcile_interval_seconds: float = 30.0
    # The orphan reconciler: how often it lists what the drivers hold (the local cloud's
    # state dir, each reachable VIM's servers and stacks) and how old a server, stack or
    # appliance no device owns must be before it is removed (a create in flight owns its
    # instance through its device row, so the grace only covers clocks and races). The
    # state dir and the VIM projects must be this deployment's own: what another deployment
    # built there is no device's here. 0 turns the reconciler off.
    orphan_scan_interval_seconds: float = 300.0
    orphan_grace_seconds: float = 600.0
    # A device the scheduler added to a pool is given back after being empty this long.
    pool_idle_seconds: float = 600.0
    # The local device driver's appliances: one JSON state file and one log per instance,
    # so that any lifecycle worker on this machine finds the processes again.
    local_state_dir: Path = Path("~/.local/state/servicevm/appliances")
    # Fernet keys that encrypt VIM credentials at rest, comma-separated: the first encrypts,
    # every one decrypts (rotation: prepend a new key, re-encrypt, then drop the old one).
    # Unset, a key is generated once into fernet_key_file (mode 0600), so a development
    # machine works with nothing configured; every service of the suite must see the same keys.
    fernet_keys: str = ""
    fernet_key_file: Path = Path("~/.local/state/servicevm/fernet.key")
    # Bound of a VIM check at registration (Keystone authentication and catalog).
    vim_check_timeout_seconds: float = 15.0
    log_level: str = "INFO"

    # --- the api's front door (authentication, authorization, hostile input) ----------
    # "keystone": X-Auth-Token validated against Keystone v3, identity from the token only.
    # "noauth": identity from X-Project-Id / X-Roles (development; loopback only unless forced).
    auth_strategy: Literal["noauth", "keystone"] = "noauth"
    allow_noauth_on_public_address: bool = False
    # noauth: the project (role member) of a request that names none (no X-Project-Id), as
    # ``openstack --os-auth-type none`` sends; empty: such a request is refused (401).
    noauth_project: str = ""
    # Keystone v3 endpoint (".../v3") and the service user that may validate tokens.
    keystone_url: str = "http://127.0.0.1:5000/v3"
    keystone_service_user: str = "servicevm"
    keystone_service_password: str = ""
    keystone_service_project: str = "service"
    keystone_service_domain: str = "Default"
    keystone_timeout_seconds: float = 5.0
    # A valid token is remembered until it expires, but never longer than this.
    token_cache_seconds: float = 300.0
    # oslo.policy file (yaml or json) overriding the rules registered in code; empty: defaults.
    policy_file: str = ""
    max_body_bytes: int = 1024 * 1024
    # The body of PUT /vnfpkgm/v1/vnf_packages/{id}/package_content (a CSAR zip).
    max_package_bytes: int = 64 * 1024 * 1024
    # Items per page of an ETSI list (/vnfpkgm, /vnflcm); the rest via nextpage_opaque_marker.
    etsi_page_size: int = 100
    request_timeout_seconds: float = 30.0
    # Writes (POST, PUT, DELETE) per project per window, counted in Redis; 0 disables.
    write_rate_limit: int = 600
    write_rate_window_seconds: int = 60
    # Callback URIs: hosts always allowed, and whether loopback/link-local/private are.
    allowed_callback_hosts: list[str] = []
    allow_private_callbacks: bool = False

    # --- HTTP notification delivery (mgmt) ---------------------------------------------
    # Each POST's timeout, POSTs in flight at once per mgmt process, attempts before a
    # delivery is given up (5xx, timeouts and lost connections are retried with capped
    # exponential backoff), and how often pending deliveries are looked for.
    delivery_timeout_seconds: float = 10.0
    delivery_concurrency: int = 16
    # 0: no limit on the attempts, only the window below.
    delivery_attempts: int = 0
    delivery_retry_base_seconds: float = 1.0
    delivery_retry_max_seconds: float = 300.0
    # A notification still undelivered this long after it was made is given up (kept, with
    # its last error, for an admin to re-send); until then it is retried with the backoff.
    delivery_retry_window_seconds: float = 24 * 3600.0
    # How often mgmt reports the delivery state of the SOL003 subscriptions to the api.
    delivery_state_seconds: float = 5.0
    # The api's address as subscribers reach it: the _links of the SOL003 notifications.
    # Empty: http://<bind_host>:<api_port>.
    public_api_url: str = ""
    delivery_poll_seconds: float = 0.5
    # The poll while a NOTIFY wakes the deliverer on new deliveries (the safety net).
    delivery_safety_poll_seconds: float = 5.0

    # --- an external NFVO (SOL003 grants, onboarded packages) ---------------------------
    # Set: every LCM operation asks the NFVO for a grant (POST {nfvo_url}/grant/v1/grants)
    # before touching resources, and a vnfdId not onboarded here is fetched from its
    # /vnfpkgm/v1/onboarded_vnf_packages. Empty: grants are given locally.
    nfvo_url: str = ""
    # OAuth2 client credentials (RFC 6749 4.4) for the NFVO; empty token URL: no token sent.
    nfvo_token_url: str = ""
    nfvo_client_id: str = ""
    nfvo_client_secret: str = ""
    # Each HTTP request's bound; past it the NFVO counts as down (the op ends FAILED_TEMP).
    nfvo_timeout_seconds: float = 10.0
    # An asynchronous grant (202) is polled this often, and given up after this long.
    nfvo_grant_poll_seconds: float = 1.0
    nfvo_grant_wait_seconds: float = 300.0
    # How the NFVO reaches this VNFM's API (the grant request's _links); empty: api_port.
    vnfm_public_url: str = ""

    # --- the notification stream (servicevm.notifications.stream, for replay) -----------
    # Retention of the RabbitMQ stream holding every project's notifications: by age
    # (x-max-age: a number and Y, M, D, h, m or s; "7D") and/or by size (x-max-length-bytes);
    # empty or 0 leaves that limit off. The broker drops whole segments
    # (x-stream-max-segment-size-bytes) once they are past a limit. These are the stream's
    # arguments when first declared; to change them on an existing stream, use a policy.
    notification_stream_max_age: str = Field(default="7D", pattern=r"^(\d+[YMDhms])?$")
    notification_stream_max_bytes: int = Field(default=10 * 1024**3, ge=0)
    notification_stream_segment_bytes: int = Field(default=100 * 1024**2, gt=0)

    def api_base_url(self) -> str:
        return (self.public_api_url or f"http://{self.bind_host}:{self.api_port}").rstrip("/")

    def role(self, service: ServiceName) -> str:
        return f"servicevm_{service}"

    def database_url(self, service: ServiceName, *, driver: str = "postgresql+asyncpg") -> str:
        password = quote(self.db_role_password, safe="")
        return f"{driver}://{self.role(service)}:{password}@{self.db_host}:{self.db_port}/{self.db_name}"

    def replica_count(self, service: ServiceName) -> int:
        counts: dict[ServiceName, int | None] = {
            "api": self.api_replicas,
            "scheduler": self.scheduler_replicas,
            "lifecycle": self.lifecycle_replicas,
            "mgmt": self.mgmt_replicas,
        }
        return max(1, counts[service] or self.replicas)

    def port(self, service: ServiceName) -> int:
        ports: dict[ServiceName, int] = {
            "api": self.api_port,
            "scheduler": self.scheduler_port,
            "lifecycle": self.lifecycle_port,
            "mgmt": self.mgmt_port,
        }
        return ports[service]


@lru_cache
def get_settings() -> Settings:
    return Settings()
