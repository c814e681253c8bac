"""Which drivers let lifecycle create a device in one transaction: only one whose calls
touch nothing outside the process and return at once."""

from __future__ import annotations

from servicevm_lifecycle.drivers import get_device_driver


def test_the_noop_driver_works_in_process_unless_told_to_take_time() -> None:
    noop = get_device_driver("noop")
    assert noop.in_process({})
    assert noop.in_process({"noop_fail": "create"})
    assert not noop.in_process({"noop_delay_seconds": "0.5"})


def test_drivers_that_build_elsewhere_keep_their_steps() -> None:
    for name in ("nova", "heat", "local", "physical"):
        assert not get_device_driver(name).in_process({}), name
