from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from servicevm_api.etsi.fields import LCM_OP_OCC_SELECTORS, VNF_INSTANCE_SELECTORS
from servicevm_api.etsi.listing import parse_list_query, render_list
from servicevm_api.etsi.selectors import SelectorError

URL = "http://h/vnflcm/v1/vnf_instances"


def _instance(n: int, state: str) -> dict[str, Any]:
    return {
        "id": f"i-{n}",
        "vnfdId": "d-1" if n % 2 else "d-2",
        "vnfProvider": "servicevm",
        "vnfProductName": "Sample VNF",
        "vnfSoftwareVersion": "1.0",
        "vnfdVersion": "1.0",
        "instantiationState": state,
        "instantiatedVnfInfo": {"flavourId": "simple"} if state == "INSTANTIATED" else None,
        "metadata": {"n": n},
        "_links": {"self": {"href": f"{URL}/i-{n}"}},
    }


INSTANCES = [_instance(n, "INSTANTIATED" if n < 4 else "NOT_INSTANTIATED") for n in range(6)]


def test_filter_page_and_default_selection_together() -> None:
    query = parse_list_query(
        {"filter": "(eq,instantiationState,INSTANTIATED)"}, VNF_INSTANCE_SELECTORS
    )
    first = render_list(reversed(INSTANCES), query, page_size=3, request_url=URL + "?filter=x")
    assert [body["id"] for body in first.bodies] == ["i-0", "i-1", "i-2"]
    assert all(
        "metadata" not in body and "instantiatedVnfInfo" not in body for body in first.bodies
    )
    assert first.link is not None
    next_url = first.link.removeprefix("<").split(">")[0]
    marker = parse_qs(urlsplit(next_url).query)["nextpage_opaque_marker"][0]
    query = parse_list_query(
        {"filter": "(eq,instantiationState,INSTANTIATED)", "nextpage_opaque_marker": marker},
        VNF_INSTANCE_SELECTORS,
    )
    second = render_list(INSTANCES, query, page_size=3, request_url=next_url)
    assert [body["id"] for body in second.bodies] == ["i-3"]
    assert second.link is None


def test_filters_see_attributes_the_selector_leaves_out() -> None:
    query = parse_list_query({"filter": "(eq,metadata/n,5)"}, VNF_INSTANCE_SELECTORS)
    page = render_list(INSTANCES, query, page_size=0, request_url=URL)
    assert [body["id"] for body in page.bodies] == ["i-5"]
    assert "metadata" not in page.bodies[0]


def test_all_fields_keeps_the_complex_attributes() -> None:
    query = parse_list_query({"all_fields": ""}, VNF_INSTANCE_SELECTORS)
    page = render_list(INSTANCES[:1], query, page_size=0, request_url=URL)
    assert page.bodies == INSTANCES[:1]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"limit": "5"}, "Unknown query parameter\\(s\\): limit"),
        ({"filter": "(eq,id"}, "Invalid filter"),
        ({"all_fields": "", "fields": "metadata"}, "Invalid attribute selector"),
        ({"nextpage_opaque_marker": "%%%"}, "Invalid nextpage_opaque_marker"),
    ],
)
def test_bad_queries_are_selector_errors(params: dict[str, str], message: str) -> None:
    with pytest.raises(SelectorError, match=message):
        parse_list_query(params, LCM_OP_OCC_SELECTORS)
