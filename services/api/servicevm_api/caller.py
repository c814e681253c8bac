"""Who is asking: the service layer decides what a caller may see and own."""

from __future__ import annotations

from dataclasses import dataclass

from servicevm_api.errors import ApiError
from servicevm_api.policy import credentials


@dataclass(frozen=True)
class Caller:
    """From a Keystone token, or from noauth headers in development."""

    project_id: str
    roles: frozenset[str]
    user_id: str | None = None
    # Decided by the policy rule context_is_admin (by default: the admin role).
    admin: bool = False

    @property
    def is_admin(self) -> bool:
        return self.admin

    @property
    def credentials(self) -> dict[str, object]:
        return credentials(self.project_id, self.roles, self.user_id)

    def can_see(self, tenant_id: str) -> bool:
        return self.is_admin or tenant_id == self.project_id

    @property
    def visible_tenant(self) -> str | None:
        """The project whose resources a list shows: None (every project's) for an admin."""
        return None if self.is_admin else self.project_id

    def tenant_for_new_resource(self, requested: str | None) -> str:
        if requested is None or requested == self.project_id:
            return self.project_id
        if not self.is_admin:
            raise ApiError(
                403,
                "PolicyNotAuthorized",
                "Specifying 'tenant_id' other than the authenticated project requires admin privileges.",
            )
        return requested
