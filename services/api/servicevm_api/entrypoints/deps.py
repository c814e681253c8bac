"""Dependencies of the routes: who calls, whether policy lets them, and a unit of work."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader
from oslo_policy import policy

from servicevm_api.caller import Caller
from servicevm_api.errors import ApiError, not_authorized
from servicevm_api.identity import Authenticator, IdentityUnavailable, Unauthenticated
from servicevm_api.policy import CONTEXT_IS_ADMIN, RATE_LIMITED, Verb, action, credentials

__all__ = ["Caller", "CallerDep", "UowDep", "authorize", "check_rule"]
from servicevm_api.ratelimit import WriteRateLimiter
from shared.db.uow import UnitOfWork
from shared.messaging.dispatch import ServiceStore

# Documents the token in the OpenAPI document; the authenticator reads the headers itself.
_TOKEN_HEADER = APIKeyHeader(name="X-Auth-Token", auto_error=False, scheme_name="keystone")


async def get_caller(
    request: Request, _token: Annotated[str | None, Security(_TOKEN_HEADER)] = None
) -> Caller:
    authenticator: Authenticator = request.app.state.authenticator
    try:
        identity = await authenticator.identify(request.headers)
    except Unauthenticated as exc:
        raise ApiError(
            401, "HTTPUnauthorized", str(exc), {"WWW-Authenticate": "Keystone uri=''"}
        ) from None
    except IdentityUnavailable as exc:
        raise ApiError(503, "HTTPServiceUnavailable", str(exc)) from None
    enforcer: policy.Enforcer = request.app.state.enforcer
    creds = credentials(identity.project_id, identity.roles, identity.user_id)
    return Caller(
        project_id=identity.project_id,
        roles=identity.roles,
        user_id=identity.user_id,
        admin=bool(enforcer.enforce(CONTEXT_IS_ADMIN, {}, creds)),
    )


CallerDep = Annotated[Caller, Depends(get_caller)]


def authorize(resource: str, verb: Verb) -> Any:
    """``Depends`` that lets the caller through if policy allows the action (else 403), and
    counts writes against the project's rate limit (429 past it)."""
    name = action(resource, verb)

    async def authorized(request: Request, caller: CallerDep) -> Caller:
        enforcer: policy.Enforcer = request.app.state.enforcer
        target = {"project_id": caller.project_id, "tenant_id": caller.project_id}
        if not enforcer.enforce(name, target, caller.credentials):
            raise not_authorized(name)
        if verb in RATE_LIMITED:
            await _count_write(request, caller)
        return caller

    return Depends(authorized)


def check_rule(request: Request, caller: Caller, rule: str) -> None:
    """A further policy rule a route needs (subscription all_projects): 403 unless allowed."""
    enforcer: policy.Enforcer = request.app.state.enforcer
    target = {"project_id": caller.project_id, "tenant_id": caller.project_id}
    if not enforcer.enforce(rule, target, caller.credentials):
        raise not_authorized(rule)


async def _count_write(request: Request, caller: Caller) -> None:
    limiter: WriteRateLimiter | None = getattr(request.app.state, "rate_limiter", None)
    if limiter is None:
        return
    verdict = await limiter.hit(caller.project_id)
    if not verdict.allowed:
        raise ApiError(
            429,
            "OverLimit",
            f"Too many write requests for project {caller.project_id}: at most "
            f"{limiter.limit} per {limiter.window} seconds. Retry after {verdict.retry_after} seconds.",
            {"Retry-After": str(verdict.retry_after)},
        )


async def get_store(request: Request) -> ServiceStore:
    store: ServiceStore = request.app.state.store
    return store


async def get_uow(
    request: Request, store: Annotated[ServiceStore, Depends(get_store)]
) -> AsyncIterator[UnitOfWork]:
    async with store.unit_of_work(request.state.request_id) as uow:
        yield uow


UowDep = Annotated[UnitOfWork, Depends(get_uow)]
