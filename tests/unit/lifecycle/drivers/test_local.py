"""The local device driver's bookkeeping, without starting appliances."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from servicevm_lifecycle.drivers.base import DeviceDriverError, DeviceSpec
from servicevm_lifecycle.drivers.local import LocalDeviceDriver
from servicevm_lifecycle.drivers.local_process import ApplianceRecord, StateDir, parse_stat


def test_appliance_record_round_trips_through_json() -> None:
    record = ApplianceRecord("local-1", str(uuid.UUID(int=3)), 4321, 45678, 99)
    assert ApplianceRecord.from_json(record.to_json()) == record


def test_parse_stat_survives_parentheses_in_the_command_name() -> None:
    fields = " ".join(["S", *[str(n) for n in range(1, 19)], "777", "0"])
    assert parse_stat(f"42 (odd) name (x)) {fields}") == ("S", 777)


def test_state_dir_never_leaves_its_directory(tmp_path: Path) -> None:
    state = StateDir(tmp_path)
    for bad in ("../etc/passwd", ".hidden", ""):
        with pytest.raises(DeviceDriverError, match="not a local instance id"):
            state.state_file(bad)
    assert state.load("local-absent") is None
    (tmp_path / "local-broken.json").write_text("{not json")
    with pytest.raises(DeviceDriverError, match="unreadable"):
        state.load("local-broken")


async def test_local_driver_on_an_unknown_instance(tmp_path: Path) -> None:
    driver = LocalDeviceDriver(tmp_path)
    spec = DeviceSpec(uuid.UUID(int=4), "t", {}, {}, [])
    with pytest.raises(DeviceDriverError, match="no local appliance local-gone"):
        await driver.wait_until_ready("local-gone", spec)
    assert await driver.status("local-gone") == "DELETED"
    await driver.delete("local-gone", spec)  # absent is not an error


async def test_local_driver_rejects_a_bad_ready_timeout(tmp_path: Path) -> None:
    StateDir(tmp_path).save(ApplianceRecord("local-1", "d", 1, 1, None))
    spec = DeviceSpec(uuid.UUID(int=4), "t", {"local_ready_timeout_seconds": "soon"}, {}, [])
    with pytest.raises(DeviceDriverError, match="local_ready_timeout_seconds must be a number"):
        await LocalDeviceDriver(tmp_path).wait_until_ready("local-1", spec)


async def test_noop_driver_records_start_and_stop_and_fails_when_told() -> None:
    from servicevm_lifecycle.drivers.noop import NoopDeviceDriver

    driver = NoopDeviceDriver()
    spec = DeviceSpec(uuid.UUID(int=5), "t", {}, {}, [])
    await driver.stop("noop-1", spec, 5.0)
    assert await driver.status("noop-1") == "SHUTOFF"
    await driver.start("noop-1", spec)
    assert await driver.status("noop-1") == "ACTIVE"
    failing = DeviceSpec(uuid.UUID(int=5), "t", {"noop_fail": "stop"}, {}, [])
    with pytest.raises(DeviceDriverError, match="fail at stop"):
        await driver.stop("noop-1", failing)
