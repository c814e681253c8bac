"""SOL013 5.3 attribute selectors: which attributes a response carries. Pure.

``all_fields``, ``fields``, ``exclude_fields``, ``exclude_default``, with per-resource
default-excluded (complex) attributes (``SelectorSpec``): without any selector the default
set is left out; ``fields`` alone keeps only the listed attributes, with
``exclude_default`` it adds them back to the default set; ``all_fields`` keeps everything.
Attribute paths use ``/`` (``instantiatedVnfInfo/vnfcResourceInfo``). Mandatory attributes
(``id``...) are never removed. Combinations SOL013 forbids raise ``SelectorError``.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from servicevm_api.etsi.selectors import SelectorError

SELECTOR_PARAMS = ("all_fields", "fields", "exclude_fields", "exclude_default")


@dataclass(frozen=True)
class SelectorSpec:
    """Per resource: complex attributes left out by default, and those never left out."""

    default_excluded: tuple[str, ...] = ()
    mandatory: frozenset[str] = frozenset({"id"})
    # The resource's top-level attribute names, to refuse unknown ones (None: any).
    attributes: frozenset[str] | None = None


@dataclass(frozen=True)
class AttributeSelector:
    include: tuple[str, ...] | None  # keep only these paths (plus the mandatory ones)
    exclude: tuple[str, ...]  # remove these paths
    mandatory: frozenset[str]

    def apply(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """A copy of ``body`` with the selected attributes only."""
        if self.include is None:
            result = copy.deepcopy(dict(body))
            for path in self.exclude:
                if path not in self.mandatory:
                    _remove(result, path.split("/"))
            return result
        kept = {key: copy.deepcopy(body[key]) for key in self.mandatory if key in body}
        for path in self.include:
            _copy_path(body, kept, path.split("/"))
        return kept


def parse_attribute_selector(
    params: Mapping[str, str | None], spec: SelectorSpec
) -> AttributeSelector:
    """From the query parameters (a present flag such as ``all_fields`` maps to ``""``)."""
    given = {name for name in SELECTOR_PARAMS if params.get(name) is not None}
    if "all_fields" in given and len(given) > 1:
        raise SelectorError("Invalid attribute selector: all_fields cannot be combined")
    if {"fields", "exclude_fields"} <= given or {"exclude_fields", "exclude_default"} <= given:
        raise SelectorError(
            "Invalid attribute selector: exclude_fields cannot be combined with fields or "
            "exclude_default"
        )
    if "all_fields" in given:
        return AttributeSelector(include=None, exclude=(), mandatory=spec.mandatory)
    if "fields" in given:
        fields = _names(params, "fields", spec)
        if "exclude_default" in given:
            exclude = tuple(p for p in spec.default_excluded if p not in fields)
            return AttributeSelector(include=None, exclude=exclude, mandatory=spec.mandatory)
        return AttributeSelector(include=fields, exclude=(), mandatory=spec.mandatory)
    if "exclude_fields" in given:
        exclude = _names(params, "exclude_fields", spec)
        return AttributeSelector(include=None, exclude=exclude, mandatory=spec.mandatory)
    return AttributeSelector(include=None, exclude=spec.default_excluded, mandatory=spec.mandatory)


def _names(params: Mapping[str, str | None], name: str, spec: SelectorSpec) -> tuple[str, ...]:
    names = tuple(n.strip() for n in (params.get(name) or "").split(","))
    if not names or any(not n or any(not p for p in n.split("/")) for n in names):
        raise SelectorError(f"Invalid attribute selector: {name} needs attribute names")
    unknown = [
        n for n in names if spec.attributes is not None and n.split("/")[0] not in spec.attributes
    ]
    if unknown:
        raise SelectorError(f"Invalid attribute selector: unknown attribute {unknown[0]} in {name}")
    return names


def _remove(node: Any, parts: list[str]) -> None:
    for item in node if isinstance(node, list) else [node]:
        if not isinstance(item, dict) or parts[0] not in item:
            continue
        if len(parts) == 1:
            del item[parts[0]]
        else:
            _remove(item[parts[0]], parts[1:])


def _copy_path(source: Any, target: dict[str, Any], parts: list[str]) -> None:
    if not isinstance(source, Mapping) or parts[0] not in source:
        return
    value = source[parts[0]]
    if len(parts) == 1:
        target[parts[0]] = copy.deepcopy(value)
    elif isinstance(value, Mapping):
        _copy_path(value, target.setdefault(parts[0], {}), parts[1:])
    elif isinstance(value, list):
        existing = target.setdefault(parts[0], [{} for _ in value])
        for element, copied in zip(value, existing, strict=False):
            _copy_path(element, copied, parts[1:])


# SOL003 5.4.2.3.2: VnfInstance's complex attributes left out by default; the mandatory ones.
VNF_INSTANCE_SELECTORS = SelectorSpec(
    default_excluded=(
        "vnfConfigurableProperties",
        "vimConnectionInfo",
        "instantiatedVnfInfo",
        "metadata",
        "extensions",
    ),
    mandatory=frozenset(
        {
            "id",
            "vnfdId",
            "vnfProvider",
            "vnfProductName",
            "vnfSoftwareVersion",
            "vnfdVersion",
            "instantiationState",
            "_links",
        }
    ),
)
# SOL003 5.4.12.3.2: VnfLcmOpOcc.
LCM_OP_OCC_SELECTORS = SelectorSpec(
    default_excluded=(
        "operationParams",
        "error",
        "resourceChanges",
        "changedInfo",
        "changedExtConnectivity",
    ),
    mandatory=frozenset(
        {
            "id",
            "operationState",
            "stateEnteredTime",
            "startTime",
            "vnfInstanceId",
            "operation",
            "isAutomaticInvocation",
            "isCancelPending",
            "_links",
        }
    ),
)
# SOL005 9.4.2.3.2: VnfPkgInfo.
VNF_PACKAGE_SELECTORS = SelectorSpec(
    default_excluded=(
        "softwareImages",
        "additionalArtifacts",
        "userDefinedData",
        "checksum",
        "onboardingFailureDetails",
    ),
    mandatory=frozenset({"id", "onboardingState", "operationalState", "usageState", "_links"}),
)
