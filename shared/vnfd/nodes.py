"""VDUs, connection points, virtual links and storages from a parsed flavour's nodes.

Reads tosca-parser's node templates (values already validated against the SOL001 types)
into the frozen models; cross references (a CP's VDU and link, a VDU's storages, image
artifacts and their checksums) are checked here and refused naming file and node.
"""

from __future__ import annotations

import hashlib
import posixpath
from dataclasses import dataclass, field
from typing import Any

from shared.vnfd.csar import Csar
from shared.vnfd.errors import VnfdError
from shared.vnfd.model import (
    Checksum,
    SwImageData,
    Vdu,
    VduCp,
    VduProfile,
    VirtualBlockStorage,
    VirtualCompute,
    VirtualLinkProtocol,
    VnfVirtualLink,
)
from shared.vnfd.units import size_bytes

VDU = "tosca.nodes.nfv.Vdu.Compute"
CP = "tosca.nodes.nfv.VduCp"
VL = "tosca.nodes.nfv.VnfVirtualLink"
STORAGE = "tosca.nodes.nfv.Vdu.VirtualBlockStorage"
SW_IMAGE = "tosca.artifacts.nfv.SwImage"
_HASHES = {"sha-224": "sha224", "sha-256": "sha256", "sha-384": "sha384", "sha-512": "sha512"}


@dataclass
class FlavourNodes:
    vdus: dict[str, Vdu] = field(default_factory=dict)
    cps: dict[str, VduCp] = field(default_factory=dict)
    virtual_links: dict[str, VnfVirtualLink] = field(default_factory=dict)
    storages: dict[str, VirtualBlockStorage] = field(default_factory=dict)


def read_nodes(template: Any, *, path: str, csar: Csar) -> FlavourNodes:
    """The flavour's nodes by kind; raises VnfdError naming file and node."""
    found = FlavourNodes()
    for node in template.nodetemplates:
        try:
            if node.is_derived_from(VDU):
                found.vdus[node.name] = _vdu(node, path=path, csar=csar)
            elif node.is_derived_from(CP):
                found.cps[node.name] = _cp(node)
            elif node.is_derived_from(VL):
                found.virtual_links[node.name] = _vl(node)
            elif node.is_derived_from(STORAGE):
                found.storages[node.name] = _storage(node, path=path, csar=csar)
        except (ValueError, TypeError, KeyError) as exc:
            if isinstance(exc, VnfdError):
                raise
            raise VnfdError(str(exc), file=path, node=node.name) from None
    _check_references(found, path)
    return found


def _vdu(node: Any, *, path: str, csar: Csar) -> Vdu:
    profile = node.get_property_value("vdu_profile")
    low, high = profile["min_number_of_instances"], profile["max_number_of_instances"]
    if low > high:
        raise ValueError(
            f"vdu_profile.min_number_of_instances {low} is more than max_number_of_instances {high}"
        )
    compute = node.get_capability("virtual_compute")
    cpu = compute.get_property_value("virtual_cpu")
    memory = compute.get_property_value("virtual_memory")
    disks = compute.get_property_value("virtual_local_storage") or []
    return Vdu(
        vdu_id=node.name,
        name=str(node.get_property_value("name")),
        description=str(node.get_property_value("description")),
        vdu_profile=VduProfile(min_number_of_instances=low, max_number_of_instances=high),
        virtual_compute=VirtualCompute(
            num_virtual_cpu=cpu["num_virtual_cpu"],
            virtual_mem_size=size_bytes(memory["virtual_mem_size"]),
            virtual_local_storage=tuple(size_bytes(d["size_of_storage"]) for d in disks),
        ),
        sw_image_data=_image(node, path=path, csar=csar),
        virtual_storages=tuple(_targets(node, "virtual_storage")),
    )


def _cp(node: Any) -> VduCp:
    bindings = _targets(node, "virtual_binding")
    if len(bindings) != 1:
        raise ValueError(f"needs exactly one virtual_binding to a VDU, has {len(bindings)}")
    links = _targets(node, "virtual_link")
    if len(links) > 1:
        raise ValueError(f"has {len(links)} virtual_link requirements, at most one is allowed")
    order = node.get_property_value("order")
    return VduCp(
        cp_id=node.name,
        vdu_id=bindings[0],
        virtual_link_id=links[0] if links else None,
        layer_protocols=tuple(node.get_property_value("layer_protocols") or ()),
        order=order,
        role=node.get_property_value("role"),
        description=node.get_property_value("description"),
        vnic_type=node.get_property_value("vnic_type"),
    )


def _vl(node: Any) -> VnfVirtualLink:
    connectivity = node.get_property_value("connectivity_type") or {}
    profile = node.get_property_value("vl_profile") or {}
    protocols = []
    for item in profile.get("virtual_link_protocol_data") or []:
        l2, l3 = item.get("l2_protocol_data") or {}, item.get("l3_protocol_data") or {}
        protocols.append(
            VirtualLinkProtocol(
                associated_layer_protocol=item["associated_layer_protocol"],
                ip_version=l3.get("ip_version"),
                cidr=l3.get("cidr"),
                gateway_ip=l3.get("gateway_ip"),
                dhcp_enabled=l3.get("dhcp_enabled"),
                network_type=l2.get("network_type"),
                mtu=l2.get("mtu"),
            )
        )
    return VnfVirtualLink(
        vl_id=node.name,
        description=node.get_property_value("description"),
        layer_protocols=tuple(connectivity.get("layer_protocols") or ()),
        protocol_data=tuple(protocols),
    )


def _storage(node: Any, *, path: str, csar: Csar) -> VirtualBlockStorage:
    data = node.get_property_value("virtual_block_storage_data")
    return VirtualBlockStorage(
        storage_id=node.name,
        size_of_storage=size_bytes(data["size_of_storage"]),
        rdma_enabled=bool(data.get("rdma_enabled", False)),
        sw_image_data=_image(node, path=path, csar=csar),
    )


def _image(node: Any, *, path: str, csar: Csar) -> SwImageData | None:
    data = node.get_property_value("sw_image_data")
    artifact = _image_artifact(node, path=path, csar=csar)
    if data is None:
        if artifact is not None:
            raise ValueError("has a tosca.artifacts.nfv.SwImage artifact but no sw_image_data")
        return None
    checksum = Checksum(algorithm=data["checksum"]["algorithm"], hash=data["checksum"]["hash"])
    if artifact is not None:
        _verify_checksum(csar.files[artifact], checksum, artifact)
    return SwImageData(
        name=str(data["name"]),
        version=str(data["version"]),
        container_format=data["container_format"],
        disk_format=data["disk_format"],
        min_disk=size_bytes(data["min_disk"]),
        min_ram=size_bytes(data["min_ram"]) if data.get("min_ram") else 0,
        size=size_bytes(data["size"]),
        checksum=checksum,
        operating_system=data.get("operating_system"),
        artifact=artifact,
    )


def _image_artifact(node: Any, *, path: str, csar: Csar) -> str | None:
    """The package path of the node's SwImage artifact, checked to be in the package."""
    artifacts = node.entity_tpl.get("artifacts") or {}
    for name, artifact in artifacts.items():
        body = artifact if isinstance(artifact, dict) else {"file": artifact}
        if body.get("type", SW_IMAGE) != SW_IMAGE and name != "sw_image":
            continue
        file = str(body.get("file") or "")
        resolved = posixpath.normpath(posixpath.join(posixpath.dirname(path), file))
        if not file or "://" in file or resolved.startswith("../") or resolved not in csar.files:
            raise ValueError(f"artifact {name} file {file!r} is not in the package")
        return resolved
    return None


def _verify_checksum(body: bytes, checksum: Checksum, artifact: str) -> None:
    algorithm = _HASHES.get(checksum.algorithm.lower())
    if algorithm is None:
        raise ValueError(f"sw_image_data.checksum.algorithm {checksum.algorithm} is unknown")
    actual = hashlib.new(algorithm, body).hexdigest()
    if actual != checksum.hash.lower():
        raise ValueError(
            f"sw_image_data.checksum.hash does not match {artifact} ({checksum.algorithm} "
            f"of the file is {actual})"
        )


def _targets(node: Any, requirement: str) -> list[str]:
    """The node names a node's requirements of one name point to."""
    targets: list[str] = []
    for item in node.requirements or []:
        for name, value in item.items():
            if name == requirement:
                target = value.get("node") if isinstance(value, dict) else value
                targets.append(str(target))
    return targets


def _check_references(found: FlavourNodes, path: str) -> None:
    for cp in found.cps.values():
        if cp.vdu_id not in found.vdus:
            raise VnfdError(f"virtual_binding {cp.vdu_id} is not a VDU", file=path, node=cp.cp_id)
        if cp.virtual_link_id is not None and cp.virtual_link_id not in found.virtual_links:
            raise VnfdError(
                f"virtual_link {cp.virtual_link_id} is not a VnfVirtualLink",
                file=path,
                node=cp.cp_id,
            )
    for vdu in found.vdus.values():
        for storage in vdu.virtual_storages:
            if storage not in found.storages:
                raise VnfdError(
                    f"virtual_storage {storage} is not a VirtualBlockStorage",
                    file=path,
                    node=vdu.vdu_id,
                )
