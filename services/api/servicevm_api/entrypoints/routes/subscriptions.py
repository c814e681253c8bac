"""/v1.0/subscriptions: parse, authorize (all_projects is a further policy rule), call the
service layer, render."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Request, Response

from servicevm_api.entrypoints.deps import Caller, UowDep, authorize, check_rule
from servicevm_api.entrypoints.errors import ERROR_RESPONSES
from servicevm_api.entrypoints.listing import boolean
from servicevm_api.entrypoints.rendering import Rendering
from servicevm_api.policy import SUBSCRIPTION_ALL_PROJECTS
from servicevm_api.schemas.subscriptions import (
    SubscriptionCreateRequest,
    SubscriptionList,
    SubscriptionPublic,
    SubscriptionResponse,
    SubscriptionShow,
)
from servicevm_api.service_layer import subscriptions as service

router = APIRouter(prefix="/v1.0/subscriptions", tags=["subscriptions"], responses=ERROR_RESPONSES)
FILTERABLE: dict[str, Callable[[str], Any]] = {
    "id": uuid.UUID,
    "tenant_id": str,
    "callback_uri": str,
    "all_projects": boolean,
}
SUBSCRIPTION = Rendering("subscription", SubscriptionPublic, FILTERABLE)


@router.post("", status_code=201, response_model=SubscriptionResponse)
async def create_subscription(
    body: SubscriptionCreateRequest,
    request: Request,
    caller: Annotated[Caller, authorize("subscription", "create")],
    uow: UowDep,
) -> SubscriptionResponse:
    if body.subscription.all_projects:
        check_rule(request, caller, SUBSCRIPTION_ALL_PROJECTS)
    row = await service.create_subscription(uow, caller, body.subscription)
    return SubscriptionResponse(subscription=SUBSCRIPTION.one(row))


@router.get("", response_model=SubscriptionList, response_model_exclude_unset=True)
async def list_subscriptions(
    request: Request,
    caller: Annotated[Caller, authorize("subscription", "get_all")],
    uow: UowDep,
) -> dict[str, Any]:
    query = SUBSCRIPTION.list_query(request)
    rows = await service.list_subscriptions(uow, caller, query)
    page, links = SUBSCRIPTION.page(request, query, rows)
    return {"subscriptions": page, "subscriptions_links": links}


@router.get(
    "/{subscription_id}", response_model=SubscriptionShow, response_model_exclude_unset=True
)
async def show_subscription(
    subscription_id: uuid.UUID,
    request: Request,
    caller: Annotated[Caller, authorize("subscription", "get")],
    uow: UowDep,
) -> dict[str, Any]:
    fields = SUBSCRIPTION.fields(request)
    return SUBSCRIPTION.show(await service.get_subscription(uow, caller, subscription_id), fields)


@router.delete("/{subscription_id}", status_code=204, response_class=Response)
async def delete_subscription(
    subscription_id: uuid.UUID,
    caller: Annotated[Caller, authorize("subscription", "delete")],
    uow: UowDep,
) -> Response:
    await service.delete_subscription(uow, caller, subscription_id)
    return Response(status_code=204)
