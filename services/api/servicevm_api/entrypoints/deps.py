"""Dependencies of the routes: the caller's identity and a unit of work in the api schema."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, Request

from servicevm_api.entrypoints.errors import ApiError
from shared.db.uow import UnitOfWork
from shared.messaging.dispatch import ServiceStore

ADMIN_ROLE = "admin"


@dataclass(frozen=True)
class Caller:
    """Who is asking. For now from keystonemiddleware's headers; token validation comes later."""

    project_id: str
    roles: frozenset[str]
    user_id: str | None = None

    @property
    def is_admin(self) -> bool:
        return ADMIN_ROLE in self.roles

    def can_see(self, tenant_id: str) -> bool:
        return self.is_admin or tenant_id == self.project_id

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


async def get_caller(
    x_project_id: Annotated[str | None, Header()] = None,
    x_roles: Annotated[str | None, Header()] = None,
    x_user_id: Annotated[str | None, Header()] = None,
) -> Caller:
    if not x_project_id or not x_project_id.strip():
        raise ApiError(401, "HTTPUnauthorized", "Authentication required: no X-Project-Id header.")
    roles = frozenset(role.strip().lower() for role in (x_roles or "").split(",") if role.strip())
    return Caller(project_id=x_project_id.strip(), roles=roles, user_id=x_user_id)


async def get_store(request: Request) -> ServiceStore:
    store: ServiceStore = request.app.state.store
    return store


async def get_uow(
    request: Request, store: Annotated[ServiceStore, Depends(get_store)]
) -> AsyncIterator[UnitOfWork]:
    async with store.unit_of_work(request.state.request_id) as uow:
        yield uow


CallerDep = Annotated[Caller, Depends(get_caller)]
UowDep = Annotated[UnitOfWork, Depends(get_uow)]
