"""The one secret rotation lifecycle (VIMs) and mgmt (subscriptions) run at start: what an
older key opened is written back re-encrypted, in one committed transaction; what no key
opens is left and named in a warning; a failure is logged, never raised into the process."""

from __future__ import annotations

import logging
import uuid
from types import TracebackType
from typing import Any, cast

import pytest
from cryptography.fernet import Fernet
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.config import Settings
from shared.messaging.dispatch import ServiceStore
from shared.secret_rotation import StoredSecrets, rotate_secrets, rotation_at_start
from shared.secrets import Cipher

OLD, NEW, LOST = Fernet.generate_key(), Fernet.generate_key(), Fernet.generate_key()


class FakeUow:
    def __init__(self) -> None:
        self.conn = cast(AsyncConnection, object())
        self.committed = False

    async def __aenter__(self) -> FakeUow:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        return None

    async def commit(self) -> None:
        self.committed = True


class FakeStore:
    def __init__(self) -> None:
        self.uow = FakeUow()

    def unit_of_work(self, correlation_id: str) -> FakeUow:
        return self.uow


class Table:
    """Secrets by owner, as a repository would hold them."""

    def __init__(self, secrets: dict[uuid.UUID, str]) -> None:
        self.secrets = secrets

    async def lock(self, conn: AsyncConnection) -> list[tuple[uuid.UUID, str]]:
        return list(self.secrets.items())

    async def write(self, conn: AsyncConnection, owner: uuid.UUID, secret: str) -> None:
        self.secrets[owner] = secret

    def stored(self) -> StoredSecrets:
        return StoredSecrets("widget", "widget_id", self.lock, self.write)


async def test_older_secrets_are_rewritten_and_unreadable_ones_named(
    caplog: pytest.LogCaptureFixture,
) -> None:
    old, current, lost = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    table = Table(
        {
            old: Cipher([OLD]).encrypt("s1"),
            current: Cipher([NEW]).encrypt("s2"),
            lost: Cipher([LOST]).encrypt("s3"),
        }
    )
    before = dict(table.secrets)
    store = FakeStore()
    with caplog.at_level(logging.WARNING, logger="shared.secret_rotation"):
        changed = await rotate_secrets(
            cast(ServiceStore, store), Cipher([NEW, OLD]), table.stored()
        )
    assert changed == 1 and store.uow.committed
    assert Cipher([NEW]).decrypt(table.secrets[old]) == "s1"
    assert (table.secrets[current], table.secrets[lost]) == (before[current], before[lost])
    (warning,) = caplog.records
    assert warning.getMessage() == "widget secret not rotated"
    assert cast(Any, warning).widget_id == str(lost)


async def test_the_job_at_start_logs_a_failure_instead_of_raising(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def broken(conn: AsyncConnection) -> list[tuple[uuid.UUID, str]]:
        raise ConnectionError("database away")

    stored = StoredSecrets("widget", "widget_id", broken, Table({}).write)
    job = rotation_at_start(stored)
    with caplog.at_level(logging.WARNING, logger="shared.secret_rotation"):
        await job(cast(ServiceStore, FakeStore()), Settings(fernet_keys=NEW.decode()))
    (warning,) = caplog.records
    assert warning.getMessage() == "widget secret rotation failed; secrets stay as they are"
    assert job.__name__ == "rotate_secrets_at_start"  # the name the supervisor logs
