"""What the ETSI routes answer with: links made absolute from the request's base URL, a
202 whose Location says where the work is followed, and a list as one SOL013 page (filter,
attribute selectors, paging; 400 if malformed)."""

from __future__ import annotations

from typing import Any

from fastapi import Request, Response
from fastapi.responses import JSONResponse

from servicevm_api.etsi.fields import SelectorSpec
from servicevm_api.etsi.listing import list_page
from servicevm_api.etsi.problem import bad_request
from servicevm_api.etsi.selectors import SelectorError
from shared.config import Settings


def base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def accepted(request: Request, path: str) -> Response:
    """202: the work goes on; ``path`` (an op occ) says how it goes."""
    return Response(status_code=202, headers={"Location": base_url(request) + path})


def page(request: Request, items: list[dict[str, Any]], spec: SelectorSpec) -> JSONResponse:
    """A SOL013 list page of rendered bodies (filter, selectors, paging; 400 if malformed)."""
    settings: Settings = request.app.state.settings
    try:
        listed = list_page(
            items,
            request.query_params.multi_items(),
            spec=spec,
            page_size=settings.etsi_page_size,
            request_url=str(request.url),
        )
    except SelectorError as exc:
        raise bad_request(str(exc)) from None
    return JSONResponse(listed.bodies, headers={"Link": listed.link} if listed.link else {})
