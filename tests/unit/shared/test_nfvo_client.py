"""The NFVO client sorts answers into a Grant, a refusal or "unavailable", and fetches its
OAuth2 token once, renewing it on a 401. The NFVO is an httpx MockTransport here (the real
simulator is driven by tests/e2e/test_nfvo_grants.py)."""

from __future__ import annotations

import httpx
import pytest

from shared.config import Settings
from shared.nfvo import NfvoClient, NfvoRefused, NfvoUnavailable

SETTINGS = Settings(
    nfvo_url="http://nfvo.test",
    nfvo_token_url="http://nfvo.test/token",
    nfvo_client_id="vnfm",
    nfvo_client_secret="s3cret",
)


def client(handler: httpx.MockTransport) -> NfvoClient:
    return NfvoClient(SETTINGS, transport=handler)


def nfvo_answering(status: int, body: object = None, **headers: str) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/token":
            return httpx.Response(200, json={"access_token": "t", "expires_in": 60})
        return httpx.Response(status, json=body, headers=headers)

    return httpx.MockTransport(handle)


async def test_granted_and_asynchronous_answers() -> None:
    async with client(nfvo_answering(201, {"id": "g1"})) as nfvo:
        assert (await nfvo.request_grant({})).grant == {"id": "g1"}
    async with client(nfvo_answering(202, None, Location="/grant/v1/grants/g2")) as nfvo:
        answer = await nfvo.request_grant({})
    assert answer.grant is None and answer.location == "http://nfvo.test/grant/v1/grants/g2"


@pytest.mark.parametrize(
    ("status", "raised"),
    [(403, NfvoRefused), (422, NfvoRefused), (503, NfvoUnavailable), (429, NfvoUnavailable)],
)
async def test_refusals_and_failures(status: int, raised: type[Exception]) -> None:
    problem = {"status": status, "title": "No", "detail": "no capacity"}
    async with client(nfvo_answering(status, problem)) as nfvo:
        with pytest.raises(raised) as caught:
            await nfvo.request_grant({})
    if isinstance(caught.value, NfvoRefused):
        assert caught.value.problem["detail"] == "no capacity"


async def test_an_unreachable_nfvo_is_unavailable() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    async with client(httpx.MockTransport(refuse)) as nfvo:
        with pytest.raises(NfvoUnavailable, match="unreachable"):
            await nfvo.request_grant({})


async def test_the_token_is_cached_and_renewed_on_401() -> None:
    tokens: list[str] = []
    seen: list[str | None] = []

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/token":
            assert request.headers["Authorization"].startswith("Basic ")
            tokens.append(f"t{len(tokens)}")
            return httpx.Response(200, json={"access_token": tokens[-1], "expires_in": 600})
        seen.append(request.headers.get("Authorization"))
        if seen[-1] == "Bearer t0" and len(seen) == 3:
            return httpx.Response(401)  # revoked
        return httpx.Response(201, json={"id": "g"})

    async with client(httpx.MockTransport(handle)) as nfvo:
        for _ in range(3):
            await nfvo.request_grant({})
    assert tokens == ["t0", "t1"]
    assert seen == ["Bearer t0", "Bearer t0", "Bearer t0", "Bearer t1"]
