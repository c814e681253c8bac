from typing import Any

import pytest

from servicevm_api.etsi.fields import SelectorSpec, parse_attribute_selector
from servicevm_api.etsi.selectors import SelectorError

SPEC = SelectorSpec(
    default_excluded=("vimConnectionInfo", "instantiatedVnfInfo", "metadata", "extensions"),
    mandatory=frozenset({"id", "vnfdId", "_links"}),
)
BODY: dict[str, Any] = {
    "id": "i-1",
    "vnfdId": "d-1",
    "vnfInstanceName": "one",
    "_links": {"self": {"href": "/vnflcm/v1/vnf_instances/i-1"}},
    "vimConnectionInfo": [{"id": "vim"}],
    "instantiatedVnfInfo": {
        "flavourId": "simple",
        "vnfcResourceInfo": [{"id": "c1", "vduId": "VDU1"}, {"id": "c2", "vduId": "VDU2"}],
    },
    "metadata": {"tier": "gold"},
    "extensions": {"x": 1},
}


def _select(**params: str) -> dict[str, Any]:
    return parse_attribute_selector(params, SPEC).apply(BODY)


def test_without_selectors_the_default_set_is_excluded() -> None:
    assert sorted(_select()) == ["_links", "id", "vnfInstanceName", "vnfdId"]
    assert _select() == _select(exclude_default="")


def test_all_fields_keeps_everything() -> None:
    assert _select(all_fields="") == BODY


def test_fields_alone_keeps_the_listed_and_mandatory_attributes() -> None:
    assert _select(fields="metadata,instantiatedVnfInfo/flavourId") == {
        "id": "i-1",
        "vnfdId": "d-1",
        "_links": BODY["_links"],
        "metadata": {"tier": "gold"},
        "instantiatedVnfInfo": {"flavourId": "simple"},
    }


def test_fields_reach_into_arrays() -> None:
    selected = _select(fields="instantiatedVnfInfo/vnfcResourceInfo/vduId")
    assert selected["instantiatedVnfInfo"] == {
        "vnfcResourceInfo": [{"vduId": "VDU1"}, {"vduId": "VDU2"}]
    }


def test_fields_with_exclude_default_add_to_the_default_set() -> None:
    selected = _select(fields="metadata", exclude_default="")
    assert sorted(selected) == ["_links", "id", "metadata", "vnfInstanceName", "vnfdId"]


def test_exclude_fields_removes_only_those_and_never_mandatory_ones() -> None:
    selected = _select(exclude_fields="metadata,instantiatedVnfInfo/vnfcResourceInfo/vduId,id")
    assert "metadata" not in selected
    assert selected["id"] == "i-1"
    assert selected["instantiatedVnfInfo"]["vnfcResourceInfo"] == [{"id": "c1"}, {"id": "c2"}]
    assert selected["vimConnectionInfo"] == [{"id": "vim"}]


def test_the_body_is_not_changed() -> None:
    _select(exclude_fields="instantiatedVnfInfo/vnfcResourceInfo/vduId")
    assert BODY["instantiatedVnfInfo"]["vnfcResourceInfo"][0]["vduId"] == "VDU1"


@pytest.mark.parametrize(
    "params",
    [
        {"all_fields": "", "fields": "metadata"},
        {"all_fields": "", "exclude_default": ""},
        {"fields": "metadata", "exclude_fields": "extensions"},
        {"exclude_fields": "metadata", "exclude_default": ""},
    ],
)
def test_combinations_sol013_forbids_are_refused(params: dict[str, str]) -> None:
    with pytest.raises(SelectorError, match=r"^Invalid attribute selector"):
        parse_attribute_selector(params, SPEC)


def test_empty_or_unknown_names_are_refused() -> None:
    with pytest.raises(SelectorError, match="fields needs attribute names"):
        parse_attribute_selector({"fields": ""}, SPEC)
    with pytest.raises(SelectorError, match="exclude_fields needs attribute names"):
        parse_attribute_selector({"exclude_fields": "a,,b"}, SPEC)
    known = SelectorSpec(attributes=frozenset({"id", "metadata"}))
    with pytest.raises(SelectorError, match="unknown attribute nope/x in fields"):
        parse_attribute_selector({"fields": "metadata,nope/x"}, known)
