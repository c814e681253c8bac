"""/vnfpkgm/v1/vnf_packages/{id}: package_content (upload, fetch), vnfd, artifacts
(SOL005 9.4.4 - 9.4.7)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Request, Response

from servicevm_api.entrypoints.deps import Caller, UowDep, authorize
from servicevm_api.etsi.problem import bad_request
from servicevm_api.etsi.responses import PROBLEM_RESPONSES, binary
from servicevm_api.vnfpkgm import service
from servicevm_api.vnfpkgm.content import TEXT, ZIP, uploaded_zip, vnfd_format
from servicevm_api.vnfpkgm.rendering import BASE_PATH
from servicevm_api.vnfpkgm.schemas import UploadVnfPkgFromUriRequest
from shared.vnfd.build import build_csar_from_files

router = APIRouter(
    prefix=BASE_PATH + "/{package_id}", tags=["vnf_packages"], responses=PROBLEM_RESPONSES
)
OCTET = "application/octet-stream"


@router.put(
    "/package_content",
    status_code=202,
    response_class=Response,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {ZIP: {"schema": {"type": "string", "format": "binary"}}},
        }
    },
)
async def upload_vnf_package_content(
    package_id: uuid.UUID,
    request: Request,
    caller: Annotated[Caller, authorize("vnf_package", "upload")],
    uow: UowDep,
) -> Response:
    content = uploaded_zip(await request.body(), request.headers.get("content-type", ZIP))
    await service.upload_content(uow, caller, package_id, content)
    return Response(status_code=202)


@router.post("/package_content/upload_from_uri", status_code=202, response_class=Response)
async def upload_vnf_package_from_uri(
    package_id: uuid.UUID,
    _body: UploadVnfPkgFromUriRequest,
    caller: Annotated[Caller, authorize("vnf_package", "upload")],
    uow: UowDep,
) -> Response:
    await service.get_package(uow, caller, package_id)
    # servicevm runs air-gapped: it fetches nothing over the network (VNFDs included).
    raise bad_request(
        "Uploading a VNF package from a URI is not supported: servicevm does not fetch over "
        "the network; PUT the CSAR zip to package_content instead"
    )


@router.get(
    "/package_content",
    response_class=Response,
    responses={200: binary(ZIP, description="The CSAR as uploaded.")},
)
async def fetch_vnf_package_content(
    package_id: uuid.UUID,
    caller: Annotated[Caller, authorize("vnf_package", "fetch")],
    uow: UowDep,
) -> Response:
    content = await service.package_content(uow, caller, package_id)
    return Response(content, media_type=ZIP)


@router.get(
    "/vnfd",
    response_class=Response,
    responses={
        200: binary(TEXT, ZIP, description="The VNFD: one YAML file, or Definitions/ zipped.")
    },
)
async def fetch_vnfd(
    package_id: uuid.UUID,
    request: Request,
    caller: Annotated[Caller, authorize("vnf_package", "fetch")],
    uow: UowDep,
) -> Response:
    files = await service.vnfd_files(uow, caller, package_id)
    kind = vnfd_format(request.headers.get("accept"), single_file=len(files) == 1)
    if kind == "text":
        (body,) = files.values()
        return Response(body, media_type=TEXT)
    return Response(build_csar_from_files(files), media_type=ZIP)


@router.get(
    "/artifacts/{artifact_path:path}",
    response_class=Response,
    responses={200: binary(OCTET, description="The file of the package.")},
)
async def fetch_vnf_package_artifact(
    package_id: uuid.UUID,
    artifact_path: str,
    caller: Annotated[Caller, authorize("vnf_package", "fetch")],
    uow: UowDep,
) -> Response:
    body = await service.artifact(uow, caller, package_id, artifact_path)
    return Response(body, media_type=OCTET)
