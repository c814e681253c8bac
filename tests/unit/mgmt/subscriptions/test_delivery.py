"""Sending one notification without servers: signatures, which answers are retried, and the\naddress check at send time."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from servicevm_mgmt.jobs.deliverer import _may_retry
from servicevm_mgmt.subscriptions.delivery import Refused, _outcome, resolve, signature
from shared.config import Settings


def test_the_signature_is_an_hmac_sha256_of_the_body() -> None:
    expected = hmac.new(b"k", b"{}", hashlib.sha256).hexdigest()
    assert signature("k", b"{}") == f"sha256={expected}"


@pytest.mark.parametrize(
    ("status", "delivered", "retry"),
    [(200, True, False), (204, True, False), (500, False, True), (503, False, True),
     (429, False, True), (404, False, False), (301, False, False)],
)  # fmt: skip
def test_which_answers_are_retried(status: int, delivered: bool, retry: bool) -> None:
    outcome = _outcome(status)
    assert (outcome.delivered, outcome.retry) == (delivered, retry)


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "10.1.2.3", "[::1]", "0x7f000001"])
def test_the_deliverer_refuses_internal_addresses_at_send_time(host: str) -> None:
    strict = Settings(allow_private_callbacks=False, allowed_callback_hosts=[])
    with pytest.raises(Refused):
        asyncio.run(resolve(host.strip("[]"), 80, strict))


def test_the_deliverer_connects_where_the_operator_allows() -> None:
    allowed = Settings(allow_private_callbacks=False, allowed_callback_hosts=["localhost"])
    assert asyncio.run(resolve("localhost", 80, allowed)).is_loopback
    private = Settings(allow_private_callbacks=True)
    assert str(asyncio.run(resolve("10.1.2.3", 80, private))) == "10.1.2.3"


def test_a_failing_delivery_is_retried_for_the_window_then_given_up() -> None:
    window = Settings(delivery_retry_window_seconds=600, delivery_attempts=0)
    fresh = SimpleNamespace(created_at=datetime.now(UTC) - timedelta(seconds=590))
    old = SimpleNamespace(created_at=datetime.now(UTC) - timedelta(seconds=610))
    assert _may_retry(fresh, 1000, window)  # no attempt limit: only the window
    assert not _may_retry(old, 1, window)
    limited = Settings(delivery_retry_window_seconds=600, delivery_attempts=3)
    assert _may_retry(fresh, 2, limited) and not _may_retry(fresh, 3, limited)
