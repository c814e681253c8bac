"""Names wherever ids are: one match is its id, none is 'not found', several is ambiguous."""

from __future__ import annotations

import uuid
from typing import Any, cast

import pytest

from servicevm_cli.client import ApiClient, Params
from servicevm_cli.errors import NotFound, UsageError
from servicevm_cli.kinds import DEVICE, TEMPLATE, Kind
from servicevm_cli.resolve import choose, is_uuid, resolve, resolve_service_type

A, B = str(uuid.uuid4()), str(uuid.uuid4())


class FakeApi:
    """Answers lists from canned items and remembers what it was asked."""

    def __init__(self, items: list[dict[str, Any]]) -> None:
        self.items = items
        self.asked: list[tuple[str, Params | None]] = []

    def list(self, kind: Kind, params: Params | None = None) -> list[dict[str, Any]]:
        self.asked.append((kind.collection, params))
        return self.items


def test_one_match_is_its_id() -> None:
    assert choose("device template", "fw", [{"id": A, "tenant_id": "p"}]) == A


def test_no_match_is_not_found_with_the_api_error_exit_code() -> None:
    with pytest.raises(NotFound, match="No device template named 'fw'") as caught:
        choose("device template", "fw", [])
    assert caught.value.exit_code == 1  # ExitCode.API_ERROR


def test_several_matches_are_a_usage_error_naming_each_candidate() -> None:
    with pytest.raises(UsageError) as caught:
        choose("VIM", "cloud", [{"id": A, "tenant_id": "p"}, {"id": B, "tenant_id": "q"}])
    assert caught.value.exit_code == 2  # ExitCode.USAGE
    assert A in caught.value.message and B in caught.value.message
    assert "give its id" in caught.value.message


def test_an_id_is_used_as_it_is_without_asking_the_api() -> None:
    api = FakeApi([])
    assert resolve(cast(ApiClient, api), TEMPLATE, A) == A
    assert api.asked == []


def test_a_name_is_looked_up_with_the_name_filter() -> None:
    api = FakeApi([{"id": B, "tenant_id": "p"}])
    assert resolve(cast(ApiClient, api), TEMPLATE, "fw") == B
    assert api.asked == [("device_templates", {"name": "fw", "fields": ["id", "tenant_id"]})]


def test_a_kind_without_names_refuses_a_non_id_before_asking() -> None:
    api = FakeApi([{"id": B}])
    with pytest.raises(UsageError, match="has no name"):
        resolve(cast(ApiClient, api), DEVICE, "fw-1")
    assert api.asked == []


def test_a_service_type_name_offered_by_several_templates_needs_the_template() -> None:
    offers = [{"id": A, "template_id": "t1"}, {"id": B, "template_id": "t2"}]
    with pytest.raises(UsageError, match="--template"):
        resolve_service_type(cast(ApiClient, FakeApi(offers)), "firewall")
    api = FakeApi(offers[:1])
    assert resolve_service_type(cast(ApiClient, api), "firewall", template_id="t1") == A
    assert api.asked == [("service_types", {"service_type": "firewall", "template_id": "t1"})]


def test_is_uuid() -> None:
    assert is_uuid(A)
    assert not is_uuid("fw")
