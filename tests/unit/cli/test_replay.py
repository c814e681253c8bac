"""Where a replay starts and which replayed notifications it keeps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from servicevm_cli.commands.notifications import _start
from servicevm_cli.errors import UsageError
from servicevm_cli.replay import is_since, parse_since

MOMENT = datetime(2026, 11, 30, 14, 0, tzinfo=UTC)


def test_a_moment_without_a_zone_is_utc() -> None:
    assert parse_since("2026-11-30T14:00:00") == MOMENT
    assert parse_since("2026-11-30 14:00Z") == MOMENT
    assert parse_since("2026-11-30T15:00:00+01:00") == MOMENT
    assert parse_since("2026-11-30T15:00:00+01:00").tzinfo == timezone(timedelta(hours=1))


def test_exactly_one_start_is_given() -> None:
    assert _start(None, 0) == 0
    assert _start("2026-11-30T14:00:00Z", None) == MOMENT
    with pytest.raises(UsageError, match="either --since or --offset"):
        _start(None, None)
    with pytest.raises(UsageError, match="either --since or --offset"):
        _start("2026-11-30", 3)
    with pytest.raises(UsageError, match="ISO 8601"):
        _start("yesterday", None)


def test_notifications_from_before_the_moment_are_skipped() -> None:
    before = {"timestamp": (MOMENT - timedelta(milliseconds=1)).isoformat()}
    at = {"timestamp": MOMENT.isoformat()}
    assert not is_since(before, MOMENT)
    assert is_since(at, MOMENT)
    assert is_since(before, None)
    assert not is_since({"no": "timestamp"}, MOMENT)
    assert is_since({"timeStamp": MOMENT.isoformat()}, MOMENT)  # SOL003's name
