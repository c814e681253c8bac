"""/vnflcm/v1/subscriptions (SOL003 5.4.18, 5.4.19): create, list, read, delete; and
servicevm's ``POST .../{id}/redeliver`` (admins): re-send what was given up.

Parse, authorize, call the service layer, render. A new subscription's callback is tested
first (422 unless it answers the GET with 204); an identical one is a 303 See Other."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from servicevm_api.entrypoints.deps import Caller, UowDep, authorize, check_rule
from servicevm_api.etsi.pages import base_url, page
from servicevm_api.etsi.responses import PROBLEM_RESPONSES
from servicevm_api.policy import LCCN_REDELIVER
from servicevm_api.vnflcm.subscriptions import probe, service
from servicevm_api.vnflcm.subscriptions.rendering import (
    SUBSCRIPTION_SELECTORS,
    SUBSCRIPTIONS_PATH,
    lccn_subscription,
    subscription_path,
)
from servicevm_api.vnflcm.subscriptions.schemas import LccnSubscriptionRequest
from shared.config import Settings

router = APIRouter(
    prefix=SUBSCRIPTIONS_PATH, tags=["vnflcm_subscriptions"], responses=PROBLEM_RESPONSES
)
RESOURCE = "lccn_subscription"


@router.post("", status_code=201, responses={303: {"description": "An identical subscription"}})
async def create_subscription(
    body: LccnSubscriptionRequest,
    request: Request,
    caller: Annotated[Caller, authorize(RESOURCE, "create")],
    uow: UowDep,
) -> Response:
    found = await service.existing(uow, caller, body)
    if found is None:
        settings: Settings = request.app.state.settings
        await probe.test_callback(body, settings)
        created = await service.create(uow, caller, body)
        found = created.row
        if created.new:
            location = base_url(request) + subscription_path(found.id)
            return JSONResponse(
                lccn_subscription(found._mapping, base_url(request)),
                status_code=201,
                headers={"Location": location},
            )
    return Response(
        status_code=303, headers={"Location": base_url(request) + subscription_path(found.id)}
    )


@router.get("")
async def list_subscriptions(
    request: Request,
    caller: Annotated[Caller, authorize(RESOURCE, "get_all")],
    uow: UowDep,
) -> JSONResponse:
    rows = await service.list_all(uow, caller)
    items = [lccn_subscription(row._mapping, base_url(request)) for row in rows]
    return page(request, items, SUBSCRIPTION_SELECTORS)


@router.get("/{subscription_id}")
async def show_subscription(
    subscription_id: uuid.UUID,
    request: Request,
    caller: Annotated[Caller, authorize(RESOURCE, "get")],
    uow: UowDep,
) -> JSONResponse:
    row = await service.get(uow, caller, subscription_id)
    return JSONResponse(lccn_subscription(row._mapping, base_url(request)))


@router.delete("/{subscription_id}", status_code=204, response_class=Response)
async def delete_subscription(
    subscription_id: uuid.UUID,
    caller: Annotated[Caller, authorize(RESOURCE, "delete")],
    uow: UowDep,
) -> Response:
    await service.remove(uow, caller, subscription_id)
    return Response(status_code=204)


@router.post("/{subscription_id}/redeliver", status_code=202, response_class=Response)
async def redeliver(
    subscription_id: uuid.UUID,
    request: Request,
    caller: Annotated[Caller, authorize(RESOURCE, "get")],
    uow: UowDep,
) -> Response:
    """servicevm's extension: the notifications given up (past the retry window, or
    refused) are sent again, in their order, with a new retry window."""
    check_rule(request, caller, LCCN_REDELIVER)
    await service.redeliver(uow, caller, subscription_id)
    return Response(status_code=202)
