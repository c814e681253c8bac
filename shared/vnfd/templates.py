"""How a VNFD becomes device templates, and a VNF instance devices. Pure.

The mapping (one VNFC is one ordinary device, so placement, drivers, monitoring, topology
and the ``/v1.0`` APIs see VNFCs as they see any device):

- **VNF package -> device templates.** Onboarding creates one device template per VDU per
  deployment flavour (``flavour_templates``): a VDU's ``virtual_compute`` gives the
  template's ``vcpus``, ``ram_mb`` and ``disk_gb`` attributes, its ``sw_image_data`` the
  ``image`` (the image name a cloud driver looks up; the package's file is
  ``image_file``, with ``image_checksum``), and ``flavor`` is set only when the caller
  names the VIM flavor to use (a VNFD has none; cloud drivers pick or make one from
  ``vcpus``/``ram_mb``/``disk_gb``). TOSCA's MB and GB are decimal: ``512 MB`` is
  ``ram_mb`` 512, rounded up when not whole. ``slot_capacity`` is 1 and the template has no
  service types: a VNFC device runs its VNFC and hosts no service instances. The VNFD's
  identity (``vnfd_id``, ``flavour_id``, ``vdu_id``, ``vnf_package_id``) is kept in the
  attributes so a device's template tells which VDU it realizes.
- **Flavour -> which templates.** Instantiating with ``flavourId`` uses that flavour's
  templates; ``change_flavour`` moves a VNF's VNFCs to the other flavour's templates.
- **Instantiation level, aspects -> how many devices.** ``Flavour.instances_at_level``
  gives the VNFC count per VDU at instantiation (and at ``scale_to_level``);
  ``Flavour.instances_after_scale`` the count once an aspect is at a new scale level
  (``scale``): lifecycle creates or deletes devices of each VDU's template until the
  counts match, within each VDU's ``vdu_profile`` min/max.
- **VduCp / VnfVirtualLink -> service contexts.** A VDU's connection points, in NIC order,
  are listed in ``cps``; ``cp.<id>.virtual_link`` names the internal link it is on, or
  ``external`` when the NFVO connects it (extVirtualLinks at instantiation).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict

from shared.vnfd.model import Vdu, Vnfd

_MAX_NAME = 255
_DECIMAL_MB = 1000**2
_DECIMAL_GB = 1000**3


class DeviceTemplateBody(BaseModel):
    """The fields of a device template (as ``POST /v1.0/device_templates`` takes them)."""

    model_config = ConfigDict(frozen=True)

    vdu_id: str
    name: str
    description: str
    device_driver: str
    mgmt_driver: str
    service_types: list[str]
    attributes: dict[str, str]


def flavour_templates(
    vnfd: Vnfd,
    flavour_id: str,
    *,
    device_driver: str = "local",
    mgmt_driver: str = "http",
    vnf_package_id: str | None = None,
    flavors: Mapping[str, str] | None = None,
    extra_attributes: Mapping[str, str] | None = None,
) -> dict[str, DeviceTemplateBody]:
    """vdu id -> the device template body of that VDU in the flavour.

    ``flavors`` maps a VDU id to the VIM flavor its devices use; ``extra_attributes`` are
    added to every template (driver options such as ``mgmt_token``) and win over derived
    ones."""
    flavour = vnfd.flavour(flavour_id)
    return {
        vdu_id: vdu_template(
            vnfd,
            flavour_id,
            vdu_id,
            device_driver=device_driver,
            mgmt_driver=mgmt_driver,
            vnf_package_id=vnf_package_id,
            flavor=(flavors or {}).get(vdu_id),
            extra_attributes=extra_attributes,
        )
        for vdu_id in flavour.vdus
    }


def vdu_template(
    vnfd: Vnfd,
    flavour_id: str,
    vdu_id: str,
    *,
    device_driver: str = "local",
    mgmt_driver: str = "http",
    vnf_package_id: str | None = None,
    flavor: str | None = None,
    extra_attributes: Mapping[str, str] | None = None,
) -> DeviceTemplateBody:
    flavour = vnfd.flavour(flavour_id)
    vdu = flavour.vdus[vdu_id]
    attributes = {
        "slot_capacity": "1",
        "vnfd_id": vnfd.descriptor_id,
        "flavour_id": flavour_id,
        "vdu_id": vdu_id,
        **_compute_attributes(vdu),
        **_image_attributes(vdu),
        **_cp_attributes(vnfd, flavour_id, vdu_id),
    }
    if vnf_package_id is not None:
        attributes["vnf_package_id"] = vnf_package_id
    if flavor is not None:
        attributes["flavor"] = flavor
    attributes.update(extra_attributes or {})
    return DeviceTemplateBody(
        vdu_id=vdu_id,
        name=f"{vnfd.product_name} {flavour_id} {vdu_id}"[:_MAX_NAME],
        description=vdu.description[:_MAX_NAME],
        device_driver=device_driver,
        mgmt_driver=mgmt_driver,
        service_types=[],
        attributes=attributes,
    )


def _compute_attributes(vdu: Vdu) -> dict[str, str]:
    compute = vdu.virtual_compute
    root_disk = compute.virtual_local_storage[0] if compute.virtual_local_storage else 0
    if vdu.sw_image_data is not None:
        root_disk = max(root_disk, vdu.sw_image_data.min_disk)
    return {
        "vcpus": str(compute.num_virtual_cpu),
        "ram_mb": str(math.ceil(compute.virtual_mem_size / _DECIMAL_MB)),
        "disk_gb": str(math.ceil(root_disk / _DECIMAL_GB)),
        "min_instances": str(vdu.vdu_profile.min_number_of_instances),
        "max_instances": str(vdu.vdu_profile.max_number_of_instances),
    }


def _image_attributes(vdu: Vdu) -> dict[str, str]:
    image = vdu.sw_image_data
    if image is None:
        return {}
    attributes = {
        "image": image.name,
        "image_version": image.version,
        "image_disk_format": image.disk_format,
        "image_container_format": image.container_format,
        "image_checksum": f"{image.checksum.algorithm}:{image.checksum.hash}",
    }
    if image.artifact is not None:
        attributes["image_file"] = image.artifact
    return attributes


def _cp_attributes(vnfd: Vnfd, flavour_id: str, vdu_id: str) -> dict[str, str]:
    cps = [cp for cp in vnfd.flavour(flavour_id).cps.values() if cp.vdu_id == vdu_id]
    # NIC order: the CPs' order property, then their ids for those without one.
    cps.sort(key=lambda cp: (cp.order is None, cp.order or 0, cp.cp_id))
    attributes = {"cps": ",".join(cp.cp_id for cp in cps)} if cps else {}
    for cp in cps:
        attributes[f"cp.{cp.cp_id}.virtual_link"] = cp.virtual_link_id or "external"
    return attributes
