"""The api's OpenAPI document is typed (every GET and list answers a named model, no 422)
and /docs, /redoc load their assets from the server itself, not from a CDN."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from servicevm_api.bootstrap import DEFINITION
from shared.config import Settings
from shared.runtime import create_app

ASSET = re.compile(r"""(?:src|href|url)\s*[:=]\s*["']([^"']+)["']""")


@pytest.fixture(scope="module")
def client() -> TestClient:
    # Not entered as a context manager: no lifespan, so no broker or database is needed.
    return TestClient(create_app(DEFINITION, Settings()))


@pytest.fixture(scope="module")
def document(client: TestClient) -> dict[str, Any]:
    answer: dict[str, Any] = client.get("/openapi.json").json()
    return answer


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if path.startswith("/v1.0/")
    ]


def test_no_operation_documents_422_and_every_one_documents_400(
    document: dict[str, Any],
) -> None:
    operations = _operations(document)
    assert operations
    assert [p for p, _m, op in operations if "422" in op["responses"]] == []
    assert [p for p, _m, op in operations if "400" not in op["responses"]] == []
    assert "HTTPValidationError" not in document["components"]["schemas"]


def test_a_422_the_etsi_interface_declares_is_kept(document: dict[str, Any]) -> None:
    answer = document["paths"]["/vnflcm/v1/vnf_instances"]["post"]["responses"]["422"]
    assert "HTTPValidationError" not in str(answer)
    assert "application/problem+json" in answer["content"]


def test_every_get_answers_a_named_model(document: dict[str, Any]) -> None:
    untyped = []
    for path, method, operation in _operations(document):
        if method != "get":
            continue
        schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
        if "$ref" not in schema:
            untyped.append(path)
    assert untyped == []


def test_a_show_is_a_selection_and_a_list_holds_selections(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    show = schemas["DeviceShow"]["properties"]["device"]
    assert show == {"$ref": "#/components/schemas/DeviceSelection"}
    items = schemas["DeviceList"]["properties"]["devices"]["items"]
    assert items == {"$ref": "#/components/schemas/DeviceSelection"}
    selection = schemas["DeviceSelection"]
    # fields= may leave any attribute out, so none is required; each keeps its type.
    assert "required" not in selection
    assert set(selection["properties"]) >= {"id", "status", "template_id", "mgmt_address"}
    assert "fields=" in selection["description"]
    vim = schemas["VimSelection"]["properties"]
    assert "password" not in vim


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_docs_reference_nothing_outside_the_server(client: TestClient, page: str) -> None:
    response = client.get(page)
    assert response.status_code == 200
    references = ASSET.findall(response.text)
    assert any(ref.endswith(".js") for ref in references)
    for reference in references:
        parts = urlsplit(reference)
        assert not parts.scheme and not parts.netloc, reference
        assert client.get(reference).status_code == 200, reference
    assert "cdn" not in response.text.lower()
    assert "googleapis" not in response.text
