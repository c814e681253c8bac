"""A management driver for appliances with a JSON management API (``servicevm_appliance``).

    apply           PUT  /config with the device configuration, then GET /config: it must match
    remove          DELETE /config
    verify          GET  /config equals the device configuration
    health          GET  /health; its ``status`` when the appliance answers, else why not
    apply_service   PUT  /services/{service_id}, which must answer the same configuration
    remove_service  DELETE /services/{service_id} (404: already absent)

A VNFC's device configuration carries its VNF's configurable properties
(``vnf_configurable_properties``, set by SOL003 MODIFY_INFO): apply then also sends them as
ETSI SOL002 VNF configuration, ``PATCH /vnfconfig/v1/configuration`` with
``{"vnfConfigurationData": {"vnfSpecificData": <properties>}}``, and checks the appliance's
``GET`` of it holds them.

The management address is ``host``, ``host:port`` or a URL (``https://host:port/prefix``).
Template attributes:

- ``mgmt_scheme``: ``http`` (default) or ``https``, when the address is not a URL;
- ``mgmt_port``: the port when the address names none (default: the scheme's);
- ``mgmt_token``: sent as ``Authorization: Bearer <token>``;
- ``mgmt_timeout_seconds``: the bound of each request, connecting included (default 10).

Any transport error, timeout or unexpected answer is a MgmtDriverError saying which
request failed and why.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from servicevm_mgmt.drivers.base import ManagedDevice, MgmtDriver, MgmtDriverError
from shared import merge_patch

DEFAULT_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class Endpoint:
    base_url: str
    token: str | None
    timeout: float


def endpoint(device: ManagedDevice) -> Endpoint:
    """Where and how to reach the device's management API, from its address and parameters."""
    params = device.parameters
    if not device.mgmt_address:
        raise MgmtDriverError(f"device {device.device_id} has no management address")
    try:
        timeout = float(params.get("mgmt_timeout_seconds") or DEFAULT_TIMEOUT_SECONDS)
    except ValueError:
        raise MgmtDriverError("mgmt_timeout_seconds must be a number") from None
    base_url = base_url_for(
        device.mgmt_address,
        scheme=params.get("mgmt_scheme") or "http",
        port=params.get("mgmt_port") or None,
    )
    return Endpoint(base_url=base_url, token=params.get("mgmt_token") or None, timeout=timeout)


def base_url_for(address: str, *, scheme: str, port: str | None) -> str:
    """``http://host:port`` from an address that may be a URL, ``host:port``, an IPv6
    address (bare or in brackets) or a bare host; a port in the address wins."""
    if "://" in address:
        return address.rstrip("/")
    if scheme not in ("http", "https"):
        raise MgmtDriverError(f"mgmt_scheme must be http or https, not {scheme!r}")
    host, address_port = _split_host_port(address)
    chosen = address_port or port
    return f"{scheme}://{host}:{chosen}" if chosen else f"{scheme}://{host}"


def _split_host_port(address: str) -> tuple[str, str | None]:
    if address.startswith("["):  # [v6]:port or [v6]
        host, _, rest = address.partition("]")
        return host + "]", rest.removeprefix(":") or None
    if address.count(":") > 1:  # a bare IPv6 address
        return f"[{address}]", None
    host, _, port = address.partition(":")
    return host, port or None


def same_json(expected: Any, actual: Any) -> bool:
    """Whether actual is expected once through JSON (tuples become lists, and so on)."""
    return bool(json.loads(json.dumps(expected)) == actual)


VNF_CONFIGURABLE_PROPERTIES = "vnf_configurable_properties"
SOL002_CONFIGURATION = "/vnfconfig/v1/configuration"


class HttpMgmtDriver(MgmtDriver):
    async def apply(self, device: ManagedDevice) -> None:
        where = endpoint(device)
        await _request(where, "PUT", "/config", body=device.configuration)
        stored = await _request(where, "GET", "/config")
        if not same_json(device.configuration, stored):
            raise MgmtDriverError(
                f"{where.base_url} holds {stored!r} after applying {device.configuration!r}"
            )
        properties = device.configuration.get(VNF_CONFIGURABLE_PROPERTIES)
        if isinstance(properties, dict):
            await _push_vnf_configuration(where, properties)

    async def remove(self, device: ManagedDevice) -> None:
        await _request(endpoint(device), "DELETE", "/config", absent_ok=True)

    async def verify(self, device: ManagedDevice) -> bool:
        return same_json(device.configuration, await _request(endpoint(device), "GET", "/config"))

    async def health(self, device: ManagedDevice) -> str:
        try:
            answer = await _request(endpoint(device), "GET", "/health")
        except MgmtDriverError as exc:
            return f"unreachable: {exc}"
        status = answer.get("status") if isinstance(answer, dict) else None
        return str(status) if status is not None else f"no status in {answer!r}"

    async def apply_service(
        self, device: ManagedDevice, service_id: str, configuration: dict[str, Any]
    ) -> None:
        where = endpoint(device)
        path = f"/services/{quote(service_id, safe='')}"
        stored = await _request(where, "PUT", path, body=configuration)
        if not same_json(configuration, stored):
            raise MgmtDriverError(
                f"{where.base_url} stored {stored!r} for service {service_id}, "
                f"not {configuration!r}"
            )

    async def remove_service(self, device: ManagedDevice, service_id: str) -> None:
        path = f"/services/{quote(service_id, safe='')}"
        await _request(endpoint(device), "DELETE", path, absent_ok=True)


async def _push_vnf_configuration(where: Endpoint, properties: dict[str, Any]) -> None:
    """SOL002 Modify VNF configuration, so that vnfSpecificData becomes exactly the
    properties: one merge patch from what the appliance holds (properties it no longer has
    are set to null, which removes them)."""
    held = await _request(where, "GET", SOL002_CONFIGURATION)
    patch = merge_patch.between(_vnf_specific_data(held), properties)
    if patch:
        modification = {"vnfConfigurationData": {"vnfSpecificData": patch}}
        await _request(where, "PATCH", SOL002_CONFIGURATION, body=modification)
        held = await _request(where, "GET", SOL002_CONFIGURATION)
    specific = _vnf_specific_data(held)
    if not same_json(properties, specific):
        raise MgmtDriverError(
            f"{where.base_url} holds vnfSpecificData {specific!r} after applying {properties!r}"
        )


def _vnf_specific_data(configuration: Any) -> dict[str, Any]:
    data = configuration.get("vnfConfigurationData") if isinstance(configuration, dict) else None
    specific = data.get("vnfSpecificData") if isinstance(data, dict) else None
    return specific if isinstance(specific, dict) else {}


async def _request(
    where: Endpoint,
    method: str,
    path: str,
    *,
    body: dict[str, Any] | None = None,
    absent_ok: bool = False,
) -> Any:
    """One request, bounded by the endpoint's timeout as a whole; its JSON answer (or None)."""
    url = where.base_url + path
    headers = {"Authorization": f"Bearer {where.token}"} if where.token else {}
    try:
        async with asyncio.timeout(where.timeout):
            async with httpx.AsyncClient(timeout=where.timeout) as client:
                response = await client.request(method, url, json=body, headers=headers)
    except TimeoutError:
        raise MgmtDriverError(f"{method} {url}: no answer within {where.timeout:g} s") from None
    except httpx.HTTPError as exc:
        raise MgmtDriverError(f"{method} {url} failed: {_describe(exc)}") from exc
    if absent_ok and response.status_code == 404:
        return None
    return _answer(method, url, response)


def _answer(method: str, url: str, response: httpx.Response) -> Any:
    if response.is_error:
        raise MgmtDriverError(
            f"{method} {url} answered HTTP {response.status_code}: {response.text[:300]}"
        )
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        raise MgmtDriverError(
            f"{method} {url} answered non-JSON: {response.text[:300]!r}"
        ) from None


def _describe(exc: httpx.HTTPError) -> str:
    """The class names the failure (httpx's text is sometimes empty or vague); the root
    cause, when there is one, says why (``ConnectionRefusedError: ...``)."""
    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    root = _root_cause(exc)
    return f"{text} ({type(root).__name__}: {root})" if root is not None else text


def _root_cause(exc: BaseException) -> BaseException | None:
    root, seen = None, {id(exc)}
    cause = exc.__cause__ or exc.__context__
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        root, cause = cause, cause.__cause__ or cause.__context__
    return root if root is not None and str(root) else None
