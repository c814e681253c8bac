"""Parse a VNF package's VNFD with tosca-parser into the ``model``, offline.

``parse_package(data)`` reads the CSAR (``csar``), loads the YAML files the entry
definitions import, refusing any import that would leave the package (``sources``), checks
the values servicevm builds on (``rawchecks``), writes those files to a temporary
directory and has tosca-parser validate each deployment flavour file and then the top VNFD
(``tosca``), and reads the flavours' nodes and policies (``nodes``, ``policies``).
Every refusal is a ``VnfdError`` naming the file and, where known, the node or policy.

Blocking and CPU-bound (a few hundred milliseconds): call it in a worker thread.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shared.vnfd.csar import Csar, CsarLimits, read_csar
from shared.vnfd.errors import VnfdError
from shared.vnfd.model import Flavour, Vnfd
from shared.vnfd.nodes import read_nodes
from shared.vnfd.policies import check_levels, read_policies
from shared.vnfd.rawchecks import check_sources
from shared.vnfd.sources import Sources, load_sources
from shared.vnfd.tosca import parse_file

VNF = "tosca.nodes.nfv.VNF"
_VNF_TEXT = ("descriptor_id", "descriptor_version", "provider", "product_name", "software_version")


@dataclass(frozen=True)
class VnfPackage:
    csar: Csar
    vnfd: Vnfd


def parse_package(data: bytes, limits: CsarLimits | None = None) -> VnfPackage:
    """The package and its VNFD; raises VnfdError (CsarError for the archive) saying why not."""
    csar = read_csar(data, limits)
    return VnfPackage(csar=csar, vnfd=parse_vnfd(csar))


def parse_vnfd(csar: Csar) -> Vnfd:
    sources = load_sources(csar)
    check_sources(sources)
    with tempfile.TemporaryDirectory(prefix="servicevm-vnfd-") as directory:
        root = Path(directory)
        for path in sources.documents:
            target = root / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(csar.files[path])
        flavours: dict[str, Flavour] = {}
        templates: dict[str, Any] = {}
        for path in sources.flavour_files():
            templates[path] = parse_file(root, path, sources)
            flavour = _flavour(templates[path], path=path, sources=sources, csar=csar)
            if flavour.flavour_id in flavours:
                raise VnfdError(f"flavour {flavour.flavour_id} is defined twice", file=path)
            flavours[flavour.flavour_id] = flavour
        top = templates.get(sources.entry) or parse_file(root, sources.entry, sources)
    return _vnfd(top, path=sources.entry, flavours=flavours)


def _vnfd(top: Any, *, path: str, flavours: dict[str, Flavour]) -> Vnfd:
    node = _vnf_node(top, path)
    values: dict[str, str] = {}
    for name in _VNF_TEXT:
        value = node.get_property_value(name)
        if not isinstance(value, str | int | float) or isinstance(value, bool) or value == "":
            raise VnfdError(f"{name} must be given as a value", file=path, node=node.name)
        values[name] = str(value)
    vnfm_info = node.get_property_value("vnfm_info")
    if not isinstance(vnfm_info, list) or not vnfm_info:
        raise VnfdError("vnfm_info must be a non-empty list", file=path, node=node.name)
    return Vnfd(
        **values,
        product_info_name=_text(node.get_property_value("product_info_name")),
        product_info_description=_text(node.get_property_value("product_info_description")),
        vnfm_info=tuple(str(v) for v in vnfm_info),
        flavours=flavours,
    )


def _flavour(template: Any, *, path: str, sources: Sources, csar: Csar) -> Flavour:
    # A flavour file usually repeats the VNF node (for flavour_description); it may not.
    vnf = _find_vnf_node(template)
    flavour_id = _flavour_id(sources, path, vnf)
    nodes = read_nodes(template, path=path, csar=csar)
    if not nodes.vdus:
        raise VnfdError(f"flavour {flavour_id} has no tosca.nodes.nfv.Vdu.Compute node", file=path)
    policies = read_policies(template, path=path, vdus=nodes.vdus)
    levels = {
        level_id: level.model_copy(update={"vdu_instances": policies.vdu_levels.get(level_id, {})})
        for level_id, level in policies.levels.items()
    }
    flavour = Flavour(
        flavour_id=flavour_id,
        description=(_text(vnf.get_property_value("flavour_description")) if vnf else None) or "",
        vdus=nodes.vdus,
        cps=nodes.cps,
        virtual_links=nodes.virtual_links,
        storages=nodes.storages,
        aspects=policies.aspects,
        vdu_initial_deltas=policies.vdu_initial_deltas,
        aspect_deltas=policies.aspect_deltas,
        instantiation_levels=levels,
        default_instantiation_level_id=policies.default_level,
    )
    check_levels(flavour, path=path)
    return flavour


def _flavour_id(sources: Sources, path: str, vnf: Any | None) -> str:
    mappings = sources.topology(path).get("substitution_mappings") or {}
    properties = mappings.get("properties") if isinstance(mappings, dict) else None
    given = (properties or {}).get("flavour_id") if isinstance(properties, dict) else None
    if given is None and vnf is not None:
        given = vnf.get_property_value("flavour_id")
    if not isinstance(given, str) or not given:
        raise VnfdError(
            "flavour_id is missing (substitution_mappings.properties.flavour_id)", file=path
        )
    return given


def _vnf_node(template: Any, path: str) -> Any:
    node = _find_vnf_node(template)
    if node is None:
        raise VnfdError(f"no node derived from {VNF}", file=path)
    return node


def _find_vnf_node(template: Any) -> Any | None:
    for node in template.nodetemplates or []:
        if node.is_derived_from(VNF):
            return node
    return None


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None
