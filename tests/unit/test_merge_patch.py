"""RFC 7396 merge patches: applying one, and the one between two documents."""

from __future__ import annotations

from typing import Any

import pytest

from shared import merge_patch


def test_apply_removes_nulls_merges_objects_and_replaces_the_rest() -> None:
    target = {"a": 1, "b": {"c": 2, "d": 3}, "l": [1]}
    patch = {"a": None, "b": {"d": None, "e": 4}, "l": [2], "n": {"x": None, "y": 1}}
    assert merge_patch.apply(target, patch) == {"b": {"c": 2, "e": 4}, "l": [2], "n": {"y": 1}}


@pytest.mark.parametrize(
    ("current", "wanted"),
    [
        ({}, {"a": 1}),
        ({"a": 1}, {}),
        ({"a": {"b": 1, "c": 2}}, {"a": {"c": 3}}),
        ({"a": [1, 2]}, {"a": [2]}),
        ({"a": 1}, {"a": {"b": 1}}),
        ({"a": {"b": 1}}, {"a": 1}),
    ],
)
def test_between_gives_the_patch_that_turns_current_into_wanted(
    current: dict[str, Any], wanted: dict[str, Any]
) -> None:
    assert merge_patch.apply(current, merge_patch.between(current, wanted)) == wanted


def test_between_equal_documents_is_empty() -> None:
    assert merge_patch.between({"a": {"b": [1]}}, {"a": {"b": [1]}}) == {}
