"""The api's Keystone authenticator against Keystone over real HTTP (the cloud simulator)."""

from __future__ import annotations

import asyncio

import pytest

from servicevm_api.identity import IdentityUnavailable, KeystoneAuth, Unauthenticated
from shared.config import Settings
from tests.support.keystone import SERVICE_USER, Keystone


def authenticator(keystone: Keystone, **overrides: object) -> KeystoneAuth:
    settings = Settings.model_validate(
        {
            "auth_strategy": "keystone",
            "keystone_url": keystone.url,
            "keystone_service_user": SERVICE_USER,
            "keystone_service_password": keystone.service_password,
            **overrides,
        }
    )
    return KeystoneAuth(settings)


def validations(keystone: Keystone) -> int:
    return len([r for r in keystone.sim.requests("/auth/tokens") if r[0] == "GET"])


async def test_identity_from_the_token_is_cached_until_it_expires(keystone: Keystone) -> None:
    auth = authenticator(keystone)
    token = keystone.token("rita", ttl_seconds=1.0)
    before = validations(keystone)
    # Headers a client might forge are ignored.
    headers = {"x-auth-token": token, "x-project-id": "forged", "x-roles": "admin"}
    identity = await auth.identify(headers)
    assert identity.project_id == keystone.project_id("rita")
    assert identity.roles == frozenset({"reader"})
    assert (await auth.identify(headers)) == identity
    assert validations(keystone) == before + 1  # the second came from the cache
    await asyncio.sleep(1.1)
    with pytest.raises(Unauthenticated):
        await auth.identify(headers)
    auth.close()


async def test_cache_is_capped_by_token_cache_seconds(keystone: Keystone) -> None:
    auth = authenticator(keystone, token_cache_seconds=0)
    headers = {"x-auth-token": keystone.login("alice")}
    before = validations(keystone)
    await auth.identify(headers)
    await auth.identify(headers)
    assert validations(keystone) == before + 2
    auth.close()


async def test_missing_invalid_and_expired_tokens_are_refused(keystone: Keystone) -> None:
    auth = authenticator(keystone)
    for headers in (
        {},
        {"x-auth-token": ""},
        {"x-auth-token": "not-a-token"},
        {"x-auth-token": keystone.token("alice", ttl_seconds=-1)},
    ):
        with pytest.raises(Unauthenticated):
            await auth.identify(headers)
    auth.close()


async def test_wrong_service_credentials_or_no_keystone_is_unavailable(
    keystone: Keystone,
) -> None:
    wrong = authenticator(keystone, keystone_service_password="wrong")
    with pytest.raises(IdentityUnavailable):
        await wrong.identify({"x-auth-token": keystone.login("alice")})
    wrong.close()
    gone = authenticator(keystone, keystone_url="http://127.0.0.1:1/v3", keystone_timeout_seconds=1)
    with pytest.raises(IdentityUnavailable):
        await gone.identify({"x-auth-token": keystone.login("alice")})
    gone.close()
