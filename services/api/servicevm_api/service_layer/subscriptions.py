"""Subscriptions: HTTP callbacks for lifecycle notifications.

mgmt makes the notifications, so mgmt owns the subscriptions and delivers them; the api
keeps the view clients read (no secret) and sends mgmt the commands. A basic password or
HMAC secret is encrypted here at once (shared.secrets): only its Fernet token leaves the api.
The caller's right to all_projects is policy, checked by the route before this is called.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Row, delete, insert

from servicevm_api.adapters.orm import subscriptions
from servicevm_api.caller import Caller
from servicevm_api.schemas.subscriptions import (
    BasicAuthentication,
    HmacAuthentication,
    SubscriptionCreate,
)
from servicevm_api.service_layer.access import Collection, ListQuery
from shared.contracts import commands
from shared.contracts.models import SubscriptionSpec
from shared.db.uow import UnitOfWork
from shared.secrets import get_cipher

SUBSCRIPTIONS = Collection("subscription", subscriptions)


async def get_subscription(
    uow: UnitOfWork, caller: Caller, subscription_id: uuid.UUID, *, lock: str | None = None
) -> Row[Any]:
    return await SUBSCRIPTIONS.get(uow, caller, subscription_id, lock=lock)


async def list_subscriptions(uow: UnitOfWork, caller: Caller, query: ListQuery) -> list[Row[Any]]:
    return await SUBSCRIPTIONS.list(uow, caller, query)


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
        **request.filter.model_dump(),
        all_projects=request.all_projects,
        auth_type=auth.type,
        auth_username=username,
        encrypted_secret=get_cipher().encrypt(secret) if secret is not None else None,
    )


async def create_subscription(
    uow: UnitOfWork, caller: Caller, request: SubscriptionCreate
) -> Row[Any]:
    spec = _spec(request, caller.tenant_for_new_resource(request.tenant_id))
    subscription_id = uuid.uuid4()
    values = spec.model_dump(exclude={"encrypted_secret"})
    await uow.conn.execute(insert(subscriptions).values(id=subscription_id, **values))
    command = commands.CreateSubscription(id=subscription_id, subscription=spec)
    await uow.publish(command, tenant_id=spec.tenant_id)
    await uow.commit()
    return await get_subscription(uow, caller, subscription_id)


async def delete_subscription(uow: UnitOfWork, caller: Caller, subscription_id: uuid.UUID) -> None:
    row = await get_subscription(uow, caller, subscription_id, lock="update")
    await uow.conn.execute(delete(subscriptions).where(subscriptions.c.id == subscription_id))
    await uow.publish(commands.DeleteSubscription(id=subscription_id), tenant_id=row.tenant_id)
    await uow.commit()
