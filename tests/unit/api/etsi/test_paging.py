from urllib.parse import parse_qs, urlsplit

import pytest

from servicevm_api.etsi.paging import (
    check_query_params,
    decode_marker,
    encode_marker,
    link_header,
    next_page_url,
    paginate,
)
from servicevm_api.etsi.selectors import SelectorError

IDS = [f"id-{n:02d}" for n in range(7)]


def test_pages_follow_each_other_to_the_end() -> None:
    seen: list[str] = []
    marker = None
    pages = 0
    while True:
        page = paginate(list(reversed(IDS)), key=lambda i: i, page_size=3, marker=marker)
        seen.extend(page.items)
        pages += 1
        if page.next_marker is None:
            break
        marker = page.next_marker
    assert seen == IDS
    assert pages == 3


def test_a_page_size_of_zero_returns_everything() -> None:
    page = paginate(IDS, key=lambda i: i, page_size=0, marker=None)
    assert (page.items, page.next_marker) == (IDS, None)


def test_the_marker_is_opaque_and_round_trips() -> None:
    marker = encode_marker("3f1c-uuid/with?odd&chars")
    assert "/" not in marker and "&" not in marker
    assert decode_marker(marker) == "3f1c-uuid/with?odd&chars"
    with pytest.raises(SelectorError, match="Invalid nextpage_opaque_marker"):
        decode_marker("%%%")
    with pytest.raises(SelectorError, match="Invalid nextpage_opaque_marker"):
        decode_marker("")


def test_the_next_link_keeps_the_query_and_replaces_the_marker() -> None:
    url = "http://h:9890/vnflcm/v1/vnf_instances?filter=(eq,vnfdId,a)&nextpage_opaque_marker=old"
    query = parse_qs(urlsplit(next_page_url(url, "new")).query)
    assert query == {"filter": ["(eq,vnfdId,a)"], "nextpage_opaque_marker": ["new"]}
    header = link_header("http://h/vnflcm/v1/vnf_instances", "m")
    assert header == '<http://h/vnflcm/v1/vnf_instances?nextpage_opaque_marker=m>; rel="next"'


def test_unknown_query_parameters_are_named() -> None:
    check_query_params(["filter", "fields", "nextpage_opaque_marker", "all_fields"])
    with pytest.raises(SelectorError, match="Unknown query parameter\\(s\\): limit, sort"):
        check_query_params(["filter", "sort", "limit"])
