"""What an uploaded package becomes when onboarded. Pure (no database, no bus).

``onboard`` parses the CSAR with ``shared.vnfd`` (tosca-parser, offline) and gives the
package's VnfPkgInfo columns and, per flavour and VDU, the device template to create. The
drivers come from the package's userDefinedData (``device_driver``, ``mgmt_driver``;
defaults: the embedded local cloud, ``local`` + ``http``, so ``make run`` can instantiate),
and ``template_attributes`` (a map of strings) is added to every template's attributes.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from shared.vnfd.csar import Csar
from shared.vnfd.errors import VnfdError
from shared.vnfd.model import Vnfd
from shared.vnfd.parser import parse_package
from shared.vnfd.templates import DeviceTemplateBody, flavour_templates

DEFAULT_DEVICE_DRIVER = "local"
DEFAULT_MGMT_DRIVER = "http"
FAILURE_TITLE = "VNF package onboarding failed"


@dataclass(frozen=True)
class Onboarded:
    vnfd: Vnfd
    # Columns of the package row (vnfd_id, vnf_provider, ..., checksum, software_images).
    columns: dict[str, Any]
    # flavour id -> vdu id -> the device template of that VDU in that flavour.
    templates: dict[str, dict[str, DeviceTemplateBody]]


def onboard(content: bytes, *, package_id: str, user_defined_data: Mapping[str, Any]) -> Onboarded:
    """The onboarded package; raises VnfdError saying which file and node are wrong."""
    package = parse_package(content)
    vnfd = package.vnfd
    options = template_options(user_defined_data)
    templates = {
        flavour_id: flavour_templates(vnfd, flavour_id, vnf_package_id=package_id, **options)
        for flavour_id in sorted(vnfd.flavours)
    }
    return Onboarded(
        vnfd=vnfd, columns=package_columns(package.csar, vnfd, content), templates=templates
    )


def template_options(user_defined_data: Mapping[str, Any]) -> dict[str, Any]:
    """The drivers and extra attributes of the templates, from the package's user data."""
    extra = user_defined_data.get("template_attributes") or {}
    if not isinstance(extra, Mapping) or not all(isinstance(v, str) for v in extra.values()):
        raise VnfdError("userDefinedData.template_attributes must map names to strings")
    return {
        "device_driver": _text(user_defined_data, "device_driver", DEFAULT_DEVICE_DRIVER),
        "mgmt_driver": _text(user_defined_data, "mgmt_driver", DEFAULT_MGMT_DRIVER),
        "extra_attributes": {str(k): v for k, v in extra.items()},
    }


def _text(data: Mapping[str, Any], key: str, default: str) -> str:
    value = data.get(key, default)
    if not isinstance(value, str) or not value:
        raise VnfdError(f"userDefinedData.{key} must be a driver name")
    return value


def package_columns(csar: Csar, vnfd: Vnfd, content: bytes) -> dict[str, Any]:
    return {
        "vnfd_id": vnfd.descriptor_id,
        "vnf_provider": vnfd.provider,
        "vnf_product_name": vnfd.product_name,
        "vnf_software_version": vnfd.software_version,
        "vnfd_version": vnfd.descriptor_version,
        "checksum": sha256(content),
        "software_images": software_images(vnfd),
        "additional_artifacts": [
            {
                "artifactPath": a.path,
                "checksum": {"algorithm": "SHA-256", "hash": a.sha256},
                "metadata": {},
            }
            for a in csar.artifacts
            if a.path not in _image_paths(vnfd)
        ],
    }


def sha256(content: bytes) -> dict[str, str]:
    return {"algorithm": "SHA-256", "hash": hashlib.sha256(content).hexdigest()}


def software_images(vnfd: Vnfd, now: datetime | None = None) -> list[dict[str, Any]]:
    """SOL005 VnfPackageSoftwareImageInfo of each VDU's sw_image_data (one per VDU id)."""
    created = (now or datetime.now(UTC)).isoformat()
    images: dict[str, dict[str, Any]] = {}
    for flavour_id in sorted(vnfd.flavours):
        for vdu_id, vdu in sorted(vnfd.flavours[flavour_id].vdus.items()):
            image = vdu.sw_image_data
            if image is None or vdu_id in images:
                continue
            images[vdu_id] = {
                "id": vdu_id,
                "name": image.name,
                "provider": vnfd.provider,
                "version": image.version,
                "checksum": {"algorithm": image.checksum.algorithm, "hash": image.checksum.hash},
                "containerFormat": image.container_format.upper(),
                "diskFormat": image.disk_format.upper(),
                "createdAt": created,
                # SOL005 counts in GB and MB; SOL001 (the VNFD) in bytes, decimal.
                "minDisk": math.ceil(image.min_disk / 1000**3),
                "minRam": math.ceil(image.min_ram / 1000**2),
                "size": image.size,
                "userMetadata": {},
                "imagePath": image.artifact or "",
            }
    return list(images.values())


def _image_paths(vnfd: Vnfd) -> set[str]:
    return {
        vdu.sw_image_data.artifact
        for flavour in vnfd.flavours.values()
        for vdu in flavour.vdus.values()
        if vdu.sw_image_data is not None and vdu.sw_image_data.artifact
    }


def failure_details(reason: str) -> dict[str, Any]:
    """ProblemDetails of a failed onboarding (``onboardingFailureDetails``)."""
    return {"status": 422, "title": FAILURE_TITLE, "detail": reason}
