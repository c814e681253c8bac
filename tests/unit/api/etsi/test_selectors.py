from typing import Any

import pytest

from servicevm_api.etsi.selectors import SelectorError, parse_filter

INSTANCE: dict[str, Any] = {
    "id": "i-1",
    "vnfdId": "abc",
    "vnfInstanceName": "it's, (odd)",
    "instantiationState": "INSTANTIATED",
    "vnfProvider": "servicevm",
    "metadata": {"tier": "gold", "a/b": "slash", "weight": 7, "on": True},
    "instantiatedVnfInfo": {
        "flavourId": "simple",
        "scaleStatus": [
            {"aspectId": "worker_instance", "scaleLevel": 2},
            {"aspectId": "front_instance", "scaleLevel": 0},
        ],
    },
    "createdAt": "2026-11-30T10:00:00Z",
}


def _matches(expression: str, item: dict[str, Any] = INSTANCE) -> bool:
    return parse_filter(expression).matches(item)


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("(eq,vnfdId,abc)", True),
        ("(eq,vnfdId,abd)", False),
        ("(neq,vnfdId,abd)", True),
        ("(neq,vnfdId,abc)", False),
        ("(in,instantiationState,INSTANTIATED,NOT_INSTANTIATED)", True),
        ("(in,instantiationState,NOT_INSTANTIATED)", False),
        ("(nin,instantiationState,NOT_INSTANTIATED)", True),
        ("(nin,instantiationState,INSTANTIATED,x)", False),
        ("(cont,vnfProvider,vice,nothing)", True),
        ("(cont,vnfProvider,nothing)", False),
        ("(ncont,vnfProvider,nothing)", True),
        ("(ncont,vnfProvider,service)", False),
        ("(gt,createdAt,2026-11-30T09:00:00Z)", True),
        ("(lt,createdAt,2026-11-30T09:00:00Z)", False),
        ("(gte,metadata/weight,7)", True),
        ("(gt,metadata/weight,7)", False),
        ("(lte,metadata/weight,7.0)", True),
        ("(lt,metadata/weight,10)", True),
        ("(eq,metadata/weight,7)", True),
        ("(eq,metadata/on,true)", True),
        ("(eq,metadata/on,false)", False),
        ("(eq,instantiatedVnfInfo/flavourId,simple)", True),
    ],
)
def test_operators(expression: str, expected: bool) -> None:
    assert _matches(expression) is expected


def test_terms_joined_by_semicolons_all_must_hold() -> None:
    assert _matches("(eq,vnfdId,abc);(in,instantiationState,INSTANTIATED,NOT_INSTANTIATED)")
    assert not _matches("(eq,vnfdId,abc);(eq,instantiationState,NOT_INSTANTIATED)")


def test_paths_through_arrays_match_any_element_and_negations_none() -> None:
    assert _matches("(eq,instantiatedVnfInfo/scaleStatus/aspectId,front_instance)")
    assert _matches("(gt,instantiatedVnfInfo/scaleStatus/scaleLevel,1)")
    assert not _matches("(gt,instantiatedVnfInfo/scaleStatus/scaleLevel,2)")
    assert not _matches("(neq,instantiatedVnfInfo/scaleStatus/aspectId,front_instance)")
    assert _matches("(nin,instantiatedVnfInfo/scaleStatus/aspectId,other)")


def test_absent_attributes_fail_positive_terms_and_pass_negative_ones() -> None:
    assert not _matches("(eq,vnfInstanceDescription,x)")
    assert _matches("(neq,vnfInstanceDescription,x)")
    assert not _matches("(eq,metadata/missing/deeper,x)")


def test_quoted_values_with_doubled_quotes_commas_and_parentheses() -> None:
    assert _matches("(eq,vnfInstanceName,'it''s, (odd)')")
    assert _matches("(in,vnfInstanceName,plain,'it''s, (odd)')")
    assert parse_filter("(eq,a,'')").terms[0].values == ("",)


def test_escaped_attribute_names_and_map_keys() -> None:
    assert _matches("(eq,metadata/a~1b,slash)")
    assert _matches("(eq,metadata/@key,tier)")
    assert not _matches("(eq,metadata/@key,platinum)")
    assert parse_filter("(eq,a~0b~a~b,x)").terms[0].path == ("a~b,@",)


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("", "expected '\\('"),
        ("eq,vnfdId,abc", "expected '\\('"),
        ("(like,vnfdId,abc)", "unknown operator 'like'"),
        ("(eq,vnfdId)", "eq needs a value"),
        ("(eq,vnfdId,a,b)", "eq takes one value, not 2"),
        ("(eq,vnfdId,abc", "expected '\\)'"),
        ("(eq,vnfdId,abc)(eq,a,b)", "expected ';'"),
        ("(eq,vnfdId,abc);", "expected '\\('"),
        ("(eq,,abc)", "bad attribute name ''"),
        ("(eq,a//b,abc)", "bad attribute name 'a//b'"),
        ("(eq,vnfdId,)", "a value must not be empty"),
        ("(eq,vnfdId,ab'c)", "a value must not be empty or hold a quote unless quoted"),
        ("(eq,vnfdId,'abc)", "unterminated quoted value"),
    ],
)
def test_malformed_expressions_say_what_and_where(expression: str, message: str) -> None:
    with pytest.raises(SelectorError, match=f"^Invalid filter: {message}"):
        parse_filter(expression)


def test_unknown_attributes_are_refused_when_the_resource_names_its_own() -> None:
    parse_filter("(eq,vnfdId,x)", attributes={"vnfdId"})
    with pytest.raises(SelectorError, match="unknown attribute vnfdid/x"):
        parse_filter("(eq,vnfdid/x,x)", attributes={"vnfdId"})


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("(eq,metadata/on,yes)", "metadata/on is a boolean, not 'yes'"),
        ("(gt,metadata/weight,heavy)", "metadata/weight is a number, not 'heavy'"),
        ("(gt,metadata,1)", "gt needs a number or string at metadata"),
    ],
)
def test_values_of_the_wrong_type_are_selector_errors(expression: str, message: str) -> None:
    with pytest.raises(SelectorError, match=message):
        _matches(expression)
