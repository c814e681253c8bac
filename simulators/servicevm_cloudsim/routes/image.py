"""Glance v2: images, read-only."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from servicevm_cloudsim import views
from servicevm_cloudsim.deps import StateDep, UserDep
from servicevm_cloudsim.model import CloudError

router = APIRouter(prefix="/image")


@router.get("")
@router.get("/")
def versions(state: StateDep) -> dict[str, Any]:
    link = {"rel": "self", "href": f"{state.base_url}/image/v2/"}
    return {"versions": [{"id": "v2.9", "status": "CURRENT", "links": [link]}]}


@router.get("/v2/images")
def list_images(
    state: StateDep, user: UserDep, name: str | None = None, id: str | None = None
) -> dict[str, Any]:
    with state.cloud.lock:
        images = [
            views.image(i)
            for i in state.cloud.images.values()
            if (name is None or i.name == name) and (id is None or i.id == id)
        ]
    return {"images": images, "schema": "/v2/schemas/images"}


@router.get("/v2/images/{image_id}")
def show_image(state: StateDep, user: UserDep, image_id: str) -> dict[str, Any]:
    image = state.cloud.images.get(image_id)
    if image is None:
        raise CloudError(404, f"No image found with ID {image_id}")
    return views.image(image)
