"""What the client prints: cells, JSON/YAML documents and tables that lose nothing."""

from __future__ import annotations

import json

import yaml
from rich.console import Console
from rich.table import Table

from servicevm_cli.kinds import DEVICE
from servicevm_cli.output import Format, cell, dumps, list_table, resource_table

DEVICE_ID = "b3e636ea-46c5-46d4-9e1a-f986efb3dc2f"


def render(table: Table) -> str:
    console = Console(record=True, width=100)
    console.print(table)
    return console.export_text()


def test_cells_show_null_as_nothing_booleans_in_lowercase_and_objects_as_compact_json() -> None:
    assert cell(None) == ""
    assert cell(True) == "true"
    assert cell(3) == "3"
    assert cell(["a", "b"]) == "a, b"
    assert cell({"vlan": 10, "hostname": "fw-1"}) == '{"hostname": "fw-1", "vlan": 10}'
    assert cell([{"a": 1}]) == '[{"a": 1}]'


def test_json_and_yaml_documents_hold_the_same_data() -> None:
    item: dict[str, object] = {
        "id": DEVICE_ID,
        "kwargs": {"vlan": 10},
        "services": [],
        "error_reason": None,
    }
    assert json.loads(dumps(item, Format.json)) == item
    assert yaml.safe_load(dumps(item, Format.yaml)) == item
    # Field order is the API's, not sorted: id first.
    assert dumps(item, Format.yaml).splitlines()[0] == f"id: {DEVICE_ID}"


def test_a_list_table_has_the_kinds_columns_and_whole_ids_even_when_narrow() -> None:
    items = [{"id": DEVICE_ID, "template_id": DEVICE_ID, "status": "ACTIVE", "services": []}]
    console = Console(record=True, width=60)
    console.print(list_table(items, DEVICE.columns))
    text = console.export_text()
    assert DEVICE_ID in text
    assert "ACTIVE" in text


def test_values_that_look_like_rich_markup_are_printed_literally() -> None:
    text = render(resource_table({"kwargs": {"rules": ["[bold]allow 22[/bold]"]}}))
    assert "[bold]allow 22[/bold]" in text


def test_a_resource_table_lists_every_field_with_its_value() -> None:
    text = render(resource_table({"id": DEVICE_ID, "status": "ERROR", "error_reason": "boom"}))
    for expected in ("Field", "Value", DEVICE_ID, "ERROR", "error_reason", "boom"):
        assert expected in text


def test_templates_show_their_service_type_names_not_their_refs() -> None:
    item = {"id": DEVICE_ID, "service_types": [{"id": DEVICE_ID, "service_type": "firewall"}]}
    text = render(list_table([item], ("id", "service_types")))
    assert "firewall" in text
    assert 'service_type":' not in text
