"""Who the client is and where the API is: Keystone (``OS_*`` variables or clouds.yaml,
read by openstacksdk's config loader) or, against a noauth API, the project and roles sent
as the headers the api's noauth mode reads (``X-Project-Id``, ``X-Roles``)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

from keystoneauth1 import exceptions as ks_exceptions
from keystoneauth1.session import Session
from openstack import config as os_config
from openstack import exceptions as os_exceptions

from servicevm_cli.errors import CliError, UsageError
from shared.config import DEFAULT_PORTS

# `make run`'s API: shared.config's default api port on loopback.
DEFAULT_URL = f"http://127.0.0.1:{DEFAULT_PORTS['api']}"
DEFAULT_ROLES = "member"


@dataclass(frozen=True)
class Options:
    """The global options, after the environment filled what the command line left out."""

    url: str
    project: str | None
    roles: str
    cloud: str | None
    http_timeout: float


def uses_keystone(options: Options, environ: Mapping[str, str] | None = None) -> bool:
    """Keystone when a cloud of clouds.yaml is named (``--os-cloud``/``OS_CLOUD``); else
    noauth when a project is given (``--project``/``SERVICEVM_PROJECT_ID``), so that OS_*
    variables left in an operator's shell do not get in the way of `make run`'s API; else
    Keystone if ``OS_AUTH_URL`` is set."""
    env = os.environ if environ is None else environ
    if options.cloud or env.get("OS_CLOUD"):
        return True
    return not options.project and bool(env.get("OS_AUTH_URL"))


class Identity:
    """The headers every request carries, and the project notifications are tailed for."""

    def __init__(self, options: Options) -> None:
        self.options = options

    @cached_property
    def keystone(self) -> Session | None:
        if not uses_keystone(self.options):
            return None
        try:
            region = os_config.OpenStackConfig().get_one(cloud=self.options.cloud)
            session: Session = region.get_session()
        except (os_exceptions.ConfigException, ks_exceptions.ClientException) as exc:
            raise CliError(f"Keystone configuration: {exc}") from None
        return session

    def headers(self) -> dict[str, str]:
        session = self.keystone
        if session is None:
            return {"X-Project-Id": self.project_id(), "X-Roles": self.options.roles}
        try:
            token = session.get_token()
        except ks_exceptions.ClientException as exc:
            raise CliError(f"Keystone authentication failed: {exc}") from None
        if not token:
            raise CliError("Keystone authentication gave no token.")
        return {"X-Auth-Token": token}

    def project_id(self) -> str:
        session = self.keystone
        if session is not None:
            project = session.get_project_id()
            if not project:
                raise CliError("Keystone authentication is not scoped to a project.")
            return str(project)
        if not self.options.project:
            raise UsageError(
                "No identity: give --project (or SERVICEVM_PROJECT_ID) for a noauth API, "
                "or --os-cloud / OS_* variables for Keystone."
            )
        return self.options.project
