"""/v1.0/subscriptions: HTTP callbacks for lifecycle notifications.

mgmt makes the notifications, so mgmt owns the subscriptions and delivers them; the api
keeps the view clients read (no secret) and sends mgmt the commands. A basic password or
HMAC secret is encrypted here at once (shared.secrets): only its Fernet token leaves the api.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Request, Response
from oslo_policy import policy
from sqlalchemy import Row, delete, insert

from servicevm_api.adapters.orm import subscriptions
from servicevm_api.entrypoints.deps import Caller, UowDep, authorize
from servicevm_api.entrypoints.errors import ApiError
from servicevm_api.entrypoints.listing import boolean
from servicevm_api.entrypoints.resources import Resource
from servicevm_api.entrypoints.schemas import ERROR_RESPONSES
from servicevm_api.entrypoints.subscription_schemas import (
    BasicAuthentication,
    HmacAuthentication,
    SubscriptionCreate,
    SubscriptionCreateRequest,
    SubscriptionList,
    SubscriptionPublic,
    SubscriptionResponse,
)
from servicevm_api.policy import SUBSCRIPTION_ALL_PROJECTS
from shared.contracts import commands
from shared.contracts.models import SubscriptionSpec
from shared.secrets import get_cipher

router = APIRouter(prefix="/v1.0/subscriptions", tags=["subscriptions"], responses=ERROR_RESPONSES)

FILTERABLE: dict[str, Callable[[str], Any]] = {
    "id": uuid.UUID,
    "tenant_id": str,
    "callback_uri": str,
    "all_projects": boolean,
}


def to_public(row: Row[Any]) -> SubscriptionPublic:
    return SubscriptionPublic(
        id=row.id,
        tenant_id=row.tenant_id,
        callback_uri=row.callback_uri,
        filter={"event_types": row.event_types, "resource_types": row.resource_types},
        authentication={"type": row.auth_type, "username": row.auth_username},
        all_projects=row.all_projects,
    )


SUBSCRIPTIONS = Resource("subscription", subscriptions, FILTERABLE, to_public)


def _spec(request: SubscriptionCreate, tenant_id: str) -> SubscriptionSpec:
    auth = request.authentication
    username: str | None = None
    secret: str | None = None
    if isinstance(auth, BasicAuthentication):
        username, secret = auth.username, auth.password.get_secret_value()
    elif isinstance(auth, HmacAuthentication):
        secret = auth.secret.get_secret_value()
    return SubscriptionSpec(
        tenant_id=tenant_id,
        callback_uri=request.callback_uri,
        event_types=request.filter.event_types,
        resource_types=list(request.filter.resource_types),
        all_projects=request.all_projects,
        auth_type=auth.type,
        auth_username=username,
        encrypted_secret=get_cipher().encrypt(secret) if secret is not None else None,
    )


def _check_all_projects(request: Request, caller: Caller) -> None:
    enforcer: policy.Enforcer = request.app.state.enforcer
    target = {"project_id": caller.project_id, "tenant_id": caller.project_id}
    if not enforcer.enforce(SUBSCRIPTION_ALL_PROJECTS, target, caller.credentials):
        raise ApiError(
            403,
            "PolicyNotAuthorized",
            f"Policy doesn't allow {SUBSCRIPTION_ALL_PROJECTS} to be performed.",
        )


@router.post("", status_code=201, response_model=SubscriptionResponse)
async def create_subscription(
    body: SubscriptionCreateRequest,
    request: Request,
    caller: Annotated[Caller, authorize("subscription", "create")],
    uow: UowDep,
) -> SubscriptionResponse:
    wanted = body.subscription
    if wanted.all_projects:
        _check_all_projects(request, caller)
    spec = _spec(wanted, caller.tenant_for_new_resource(wanted.tenant_id))
    subscription_id = uuid.uuid4()
    values = spec.model_dump(exclude={"encrypted_secret"})
    await uow.conn.execute(insert(subscriptions).values(id=subscription_id, **values))
    command = commands.CreateSubscription(id=subscription_id, subscription=spec)
    await uow.publish(command, tenant_id=spec.tenant_id)
    await uow.commit()
    row = await SUBSCRIPTIONS.visible_row(uow, caller, subscription_id)
    return SubscriptionResponse(subscription=to_public(row))


@router.get("", response_model=SubscriptionList)
async def list_subscriptions(
    request: Request,
    caller: Annotated[Caller, authorize("subscription", "get_all")],
    uow: UowDep,
) -> SubscriptionList:
    page, links = await SUBSCRIPTIONS.list_page(uow, caller, request)
    return SubscriptionList(
        subscriptions=page, subscriptions_links=[link.model_dump() for link in links]
    )


@router.get("/{subscription_id}")
async def show_subscription(
    subscription_id: uuid.UUID,
    request: Request,
    caller: Annotated[Caller, authorize("subscription", "get")],
    uow: UowDep,
) -> dict[str, Any]:
    return await SUBSCRIPTIONS.show(uow, caller, request, subscription_id)


@router.delete("/{subscription_id}", status_code=204, response_class=Response)
async def delete_subscription(
    subscription_id: uuid.UUID,
    caller: Annotated[Caller, authorize("subscription", "delete")],
    uow: UowDep,
) -> Response:
    row = await SUBSCRIPTIONS.visible_row(uow, caller, subscription_id, lock="update")
    await uow.conn.execute(delete(subscriptions).where(subscriptions.c.id == subscription_id))
    await uow.publish(commands.DeleteSubscription(id=subscription_id), tenant_id=row.tenant_id)
    await uow.commit()
    return Response(status_code=204)
