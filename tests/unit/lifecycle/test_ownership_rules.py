"""Who owns a driver's instance (the orphan reconciler's rule) and how a refused command
reads on its device: pure rules."""

from __future__ import annotations

import uuid

import pytest

from servicevm_lifecycle.domain.model import refusal_reason
from servicevm_lifecycle.drivers.base import OwnedInstance
from servicevm_lifecycle.jobs.orphans import is_owned

DEVICE = str(uuid.uuid4())
SERVER = OwnedInstance("server-1", DEVICE)


@pytest.mark.parametrize(
    ("owner", "owned"),
    [
        (None, False),  # no such device: an orphan
        (("server-1", "ACTIVE"), True),  # the instance it recorded
        (("server-2", "ACTIVE"), False),  # a second server for the device: a double boot
        ((None, "PENDING_CREATE"), True),  # a create in flight: its id not recorded yet
        ((None, "PENDING_UPDATE"), True),  # a respawn in flight
        ((None, "ERROR"), False),  # failed without recording it: nobody will delete it
    ],
)
def test_an_instance_is_owned_by_its_device_only(
    owner: tuple[str | None, str] | None, owned: bool
) -> None:
    owners = {} if owner is None else {DEVICE: owner}
    assert is_owned(SERVER, owners) is owned


def test_a_refusal_names_the_operation_the_state_and_the_earlier_reason() -> None:
    assert refusal_reason("PENDING_UPDATE", "ERROR", "appliance lost") == (
        "update refused: the device was ERROR when it arrived; appliance lost"
    )
    assert refusal_reason("PENDING_DELETE", "PENDING_UPDATE", None) == (
        "delete refused: the device was PENDING_UPDATE when it arrived"
    )
    # A second refusal does not pile the first one up.
    first = refusal_reason("PENDING_UPDATE", "ERROR", None)
    assert refusal_reason("PENDING_UPDATE", "ERROR", first) == first
