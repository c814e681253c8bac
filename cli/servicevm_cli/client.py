"""The one HTTP client: JSON in and out, Neutron errors turned into ApiError, lists read
to the end through their ``next`` links."""

from __future__ import annotations

from typing import Any

import httpx

from servicevm_cli.errors import ApiError, CliError
from servicevm_cli.kinds import Kind
from servicevm_cli.session import Identity

Params = dict[str, str | list[str]]


class ApiClient:
    def __init__(self, identity: Identity, transport: httpx.BaseTransport | None = None) -> None:
        self.identity = identity
        self.base_url = identity.options.url.rstrip("/")
        # transport: the unit tests answer requests in-process.
        self._http = httpx.Client(timeout=identity.options.http_timeout, transport=transport)

    def close(self) -> None:
        self._http.close()

    def request(
        self, method: str, path: str, *, params: Params | None = None, body: Any = None
    ) -> Any:
        url = path if path.startswith("http") else f"{self.base_url}{path}"
        try:
            response = self._http.request(
                method, url, params=params, json=body, headers=self.identity.headers()
            )
        except httpx.HTTPError as exc:
            raise CliError(f"Cannot reach the API at {self.base_url}: {exc}") from None
        if response.status_code >= 400:
            raise error_from(response)
        return response.json() if response.content else None

    # --- resources --------------------------------------------------------------------

    def list(self, kind: Kind, params: Params | None = None) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        page = self.request("GET", kind.path, params=params)
        while True:
            items.extend(page[kind.collection])
            links = page.get(f"{kind.collection}_links", [])
            following = [link["href"] for link in links if link.get("rel") == "next"]
            if not following:
                return items
            page = self.request("GET", following[0])

    def get(self, kind: Kind, resource_id: str) -> dict[str, Any]:
        found: dict[str, Any] = self.request("GET", kind.item_path(resource_id))[kind.key]
        return found

    def find(self, kind: Kind, resource_id: str) -> dict[str, Any] | None:
        """The resource, or None once it is gone (404)."""
        try:
            return self.get(kind, resource_id)
        except ApiError as exc:
            if exc.status == 404:
                return None
            raise

    def create(self, kind: Kind, fields: dict[str, Any]) -> dict[str, Any]:
        created: dict[str, Any] = self.request("POST", kind.path, body={kind.key: fields})[kind.key]
        return created

    def update(self, kind: Kind, resource_id: str, fields: dict[str, Any]) -> dict[str, Any]:
        path = kind.item_path(resource_id)
        updated: dict[str, Any] = self.request("PUT", path, body={kind.key: fields})[kind.key]
        return updated

    def delete(self, kind: Kind, resource_id: str, params: Params | None = None) -> None:
        self.request("DELETE", kind.item_path(resource_id), params=params)


def error_from(response: httpx.Response) -> ApiError:
    """The NeutronError's type and message; the raw text if the body is not one."""
    try:
        error = response.json()["NeutronError"]
        return ApiError(response.status_code, str(error["type"]), str(error["message"]))
    except (ValueError, KeyError, TypeError):
        text = response.text.strip() or response.reason_phrase
        return ApiError(response.status_code, "HTTPError", text)
