"""Use cases of SOL003 subscriptions: create (303 for a duplicate), read, list, delete,
and an admin's re-send of what was given up. Another project's subscription is as good as
absent (404)."""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from servicevm_api.adapters.orm import lccn_subscriptions
from servicevm_api.caller import Caller
from servicevm_api.etsi.problem import not_found
from servicevm_api.vnflcm.subscriptions.schemas import LccnSubscriptionRequest
from shared.contracts import commands
from shared.contracts.events import SubscriptionDeliveryStateChanged
from shared.contracts.models import LccnSubscriptionSpec
from shared.db.uow import UnitOfWork
from shared.secrets import get_cipher


@dataclass(frozen=True)
class Created:
    row: Row[Any]
    # False: an identical subscription existed (303 See Other to it).
    new: bool


def fingerprint(request: LccnSubscriptionRequest) -> str:
    """Same callbackUri and same filter: the same subscription (SOL003 5.4.18.3.1)."""
    canonical = json.dumps(
        {"callbackUri": request.callbackUri, "filter": request.filter_json()}, sort_keys=True
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


async def existing(
    uow: UnitOfWork, caller: Caller, request: LccnSubscriptionRequest
) -> Row[Any] | None:
    query = select(lccn_subscriptions).where(
        lccn_subscriptions.c.tenant_id == caller.project_id,
        lccn_subscriptions.c.fingerprint == fingerprint(request),
    )
    return (await uow.conn.execute(query)).first()


def spec(request: LccnSubscriptionRequest, tenant_id: str) -> LccnSubscriptionSpec:
    """What mgmt stores: the secret only as a Fernet token."""
    auth = request.authentication
    values: dict[str, Any] = {"auth_type": "none"}
    if auth is not None and auth.paramsBasic is not None and "BASIC" in auth.authType:
        values = {
            "auth_type": "basic",
            "auth_username": auth.paramsBasic.userName,
            "encrypted_secret": get_cipher().encrypt(auth.paramsBasic.password.get_secret_value()),
        }
    elif auth is not None and auth.paramsOauth2ClientCredentials is not None:
        oauth = auth.paramsOauth2ClientCredentials
        values = {
            "auth_type": "oauth2",
            "auth_username": oauth.clientId,
            "encrypted_secret": get_cipher().encrypt(oauth.clientPassword.get_secret_value()),
            "token_endpoint": oauth.tokenEndpoint,
        }
    return LccnSubscriptionSpec(
        tenant_id=tenant_id,
        callback_uri=request.callbackUri,
        lccn_filter=request.filter_json(),
        **values,
    )


async def create(uow: UnitOfWork, caller: Caller, request: LccnSubscriptionRequest) -> Created:
    """The callback was tested already (``probe``)."""
    made = spec(request, caller.project_id)
    subscription_id = uuid.uuid4()
    inserted = await uow.conn.execute(
        pg_insert(lccn_subscriptions)
        .values(
            id=subscription_id,
            tenant_id=made.tenant_id,
            callback_uri=made.callback_uri,
            filter=made.lccn_filter,
            fingerprint=fingerprint(request),
            auth_type=made.auth_type,
        )
        .on_conflict_do_nothing()
        .returning(lccn_subscriptions.c.id)
    )
    if inserted.first() is None:  # made meanwhile by another request
        row = await existing(uow, caller, request)
        assert row is not None
        return Created(row=row, new=False)
    command = commands.CreateLccnSubscription(id=subscription_id, subscription=made)
    await uow.publish(command, tenant_id=made.tenant_id)
    await uow.commit()
    return Created(row=await get(uow, caller, subscription_id), new=True)


async def get(uow: UnitOfWork, caller: Caller, subscription_id: uuid.UUID) -> Row[Any]:
    query = select(lccn_subscriptions).where(lccn_subscriptions.c.id == subscription_id)
    row = (await uow.conn.execute(query)).first()
    if row is None or not caller.can_see(row.tenant_id):
        raise not_found(f"Subscription {subscription_id} not found")
    return row


async def list_all(uow: UnitOfWork, caller: Caller) -> list[Row[Any]]:
    query = select(lccn_subscriptions).order_by(lccn_subscriptions.c.id)
    if not caller.is_admin:
        query = query.where(lccn_subscriptions.c.tenant_id == caller.project_id)
    return list((await uow.conn.execute(query)).all())


async def remove(uow: UnitOfWork, caller: Caller, subscription_id: uuid.UUID) -> None:
    """Its undelivered notifications go with it (mgmt)."""
    row = await get(uow, caller, subscription_id)
    await uow.conn.execute(
        delete(lccn_subscriptions).where(lccn_subscriptions.c.id == subscription_id)
    )
    await uow.publish(commands.DeleteSubscription(id=subscription_id), tenant_id=row.tenant_id)
    await uow.commit()


async def redeliver(uow: UnitOfWork, caller: Caller, subscription_id: uuid.UUID) -> None:
    row = await get(uow, caller, subscription_id)
    command = commands.RedeliverNotifications(id=subscription_id)
    await uow.publish(command, tenant_id=row.tenant_id)
    await uow.commit()


async def apply_delivery_state(uow: UnitOfWork, event: SubscriptionDeliveryStateChanged) -> None:
    await uow.conn.execute(
        update(lccn_subscriptions)
        .where(
            lccn_subscriptions.c.id == event.subscription_id,
            lccn_subscriptions.c.state_revision < event.revision,
        )
        .values(
            pending=event.pending,
            undeliverable=event.undeliverable,
            oldest_undelivered_at=event.oldest_undelivered_at,
            last_error=event.last_error,
            undeliverable_ids=[str(i) for i in event.undeliverable_ids],
            state_revision=event.revision,
        )
    )
