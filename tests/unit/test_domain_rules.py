"""Small pure rules: what a client may ask of a device, notifications."""

from __future__ import annotations

import pytest

from servicevm_api.domain.rules import delete_refusal, update_refusal
from shared.contracts.models import DeviceStatus


@pytest.mark.parametrize("status", DeviceStatus.ALL)
def test_update_only_when_active(status: str) -> None:
    refusal = update_refusal(status)
    assert (refusal is None) == (status == DeviceStatus.ACTIVE)
    if refusal is not None:
        assert status in refusal


@pytest.mark.parametrize("status", DeviceStatus.ALL)
def test_delete_unless_an_operation_is_pending(status: str) -> None:
    refusal = delete_refusal(status)
    assert (refusal is None) == (status not in DeviceStatus.PENDING)
    if refusal is not None:
        assert status in refusal
