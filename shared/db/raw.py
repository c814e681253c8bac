"""The asyncpg connection under a SQLAlchemy one, for the few statements every message runs.

The inbox and outbox statements are the same for every handler of every service; through
SQLAlchemy each costs a cache-key walk, parameter processing and a result wrapper, several
times the CPU of the asyncpg call itself. They are written once here, as SQL, and run on the
driver connection inside the transaction the unit of work opened.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, NamedTuple

import asyncpg
from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncConnection

# Where a pooled connection keeps its ``Driver`` (in its ``info``).
_DRIVER = "servicevm.driver"


class Driver:
    """The asyncpg connection under one checked-out SQLAlchemy connection."""

    def __init__(self, adapted: Any, driver: asyncpg.Connection) -> None:
        self._adapted = adapted
        self._driver = driver

    @classmethod
    async def under(cls, conn: AsyncConnection) -> Driver:
        """Found through the pool (an await and a greenlet switch) once per database
        connection, not once per unit of work: kept in the pooled connection's ``info``,
        which lives as long as that database connection (SQLAlchemy clears it when the
        connection is invalidated). A Driver holds nothing of one transaction."""
        info = conn.info
        driver: Driver | None = info.get(_DRIVER)
        if driver is None:
            pooled = await conn.get_raw_connection()
            driver = info[_DRIVER] = cls(pooled.dbapi_connection, pooled.driver_connection)
        return driver

    def outside_transaction(self) -> asyncpg.Connection:
        """The asyncpg connection, for a statement that commits on its own (no BEGIN and
        ROLLBACK round trips around a lone read)."""
        if self.began:
            raise RuntimeError("the connection is in a transaction")
        return self._driver

    @property
    def idle(self) -> bool:
        """Nothing begun on it, on either side, and still connected: back to the pool as it
        is. The server's side counts too: a ROLLBACK that a second cancellation kept from
        being sent leaves the adapter's transaction forgotten and the server's open."""
        driver = self._driver
        return (
            self._adapted._transaction is None
            and not driver.is_closed()
            and not driver.is_in_transaction()
        )

    @property
    def began(self) -> bool:
        """Whether the SQLAlchemy connection's transaction has begun on the wire (its
        adapter sends BEGIN before the first statement)."""
        return self._adapted._transaction is not None

    async def in_transaction(self) -> asyncpg.Connection:
        """The asyncpg connection, its transaction begun.

        SQLAlchemy's asyncpg adapter sends BEGIN lazily, before its first statement; a raw
        statement that came first would run outside the transaction, so it is begun here
        the way the adapter would have.
        """
        adapted = self._adapted
        if adapted._transaction is None:
            async with adapted._execute_mutex:
                if adapted._transaction is None:
                    await adapted._start_transaction()
        return self._driver

    async def commit(self) -> None:
        """COMMIT what ``in_transaction`` began (as the adapter's own commit would, without
        the greenlet switch SQLAlchemy's ``commit`` takes); nothing if nothing began."""
        adapted = self._adapted
        if adapted._transaction is not None:
            await adapted._call_and_discard(adapted._transaction.commit)

    async def rollback(self) -> None:
        """ROLLBACK what began, if anything did. On a connection that is gone there is
        nothing to undo (the server ended the transaction with it): forgotten here, and
        ``pooled.checkin`` discards the connection."""
        adapted = self._adapted
        if adapted._transaction is None:
            return
        if self._driver.is_closed():
            adapted._transaction = None
            return
        await adapted._call_and_discard(adapted._transaction.rollback)


def qualified(table: Table) -> str:
    return f'"{table.schema}"."{table.name}"' if table.schema else f'"{table.name}"'


OUTBOX_COLUMNS = "message_id, exchange, routing_key, message_type, correlation_id, body"


@dataclass(frozen=True)
class InboxSql:
    """Built once per table (``InboxSql.of`` is cached)."""

    record: str
    find: str
    record_many: str

    @classmethod
    @functools.cache
    def of(cls, inbox: Table) -> InboxSql:
        name = qualified(inbox)
        return cls(
            record=f"INSERT INTO {name} (message_id, message_type) VALUES ($1, $2) "
            "ON CONFLICT DO NOTHING",
            find=f"SELECT 1 FROM {name} WHERE message_id = $1",
            # The ids returned are those not processed before: the others are duplicates.
            record_many=f"INSERT INTO {name} (message_id, message_type) "
            "SELECT * FROM unnest($1::uuid[], $2::text[]) ON CONFLICT DO NOTHING "
            "RETURNING message_id",
        )


class OutboxRows(NamedTuple):
    """Outbox rows column by column: the arrays ``OutboxSql.insert`` takes, in its order."""

    message_ids: list[Any]
    exchanges: list[str]
    routing_keys: list[str]
    message_types: list[str]
    correlation_ids: list[str]
    bodies: list[bytes]


@dataclass(frozen=True)
class OutboxSql:
    name: str
    insert: str
    delete_then_oldest: str

    def insert_if(self, first: int, exists: str) -> str:
        """``insert`` as one query of a WITH statement, writing its rows only if the query
        ``exists`` finds a row (the change they announce was made); its arrays are the
        parameters ``first`` to ``first + 5`` (``OutboxRows``)."""
        arrays = ", ".join(
            f"${first + i}::{kind}[]"
            for i, kind in enumerate(("uuid", "text", "text", "text", "text", "bytea"))
        )
        return (
            f"INSERT INTO {self.name} ({OUTBOX_COLUMNS}) SELECT {OUTBOX_COLUMNS} "
            f"FROM unnest({arrays}) WITH ORDINALITY AS queued ({OUTBOX_COLUMNS}, position) "
            f"WHERE EXISTS ({exists}) ORDER BY position"
        )

    @classmethod
    @functools.cache
    def of(cls, outbox: Table) -> OutboxSql:
        name = qualified(outbox)
        columns = OUTBOX_COLUMNS
        return cls(
            name=name,
            # One statement for all the rows of a transaction, inserted in the order they
            # were queued: their ids are that order.
            insert=f"INSERT INTO {name} ({columns}) SELECT {columns} FROM unnest("
            "$1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bytea[]) "
            f"WITH ORDINALITY AS queued ({columns}, position) ORDER BY position",
            # The SELECT reads the snapshot from before the DELETE: hence the id filter.
            delete_then_oldest=f"WITH published AS (DELETE FROM {name} "
            "WHERE id = ANY($1::bigint[])) "
            f"SELECT id, {columns}, created_at FROM {name} "
            "WHERE id <> ALL($1::bigint[]) ORDER BY id LIMIT $2",
        )


@dataclass(frozen=True)
class LeaseSql:
    """A batch's leases (messaging.batching): taken in the batch's transaction, given up
    by its last statement (CommitSql)."""

    hold_many: str

    @classmethod
    @functools.cache
    def of(cls, leases: Table) -> LeaseSql:
        name = qualified(leases)
        return cls(
            # Sorted: two batches holding some of the same subjects wait, never deadlock.
            # A subject held elsewhere (committed) is skipped: it is missing from the ids
            # returned. One held by another open transaction waits for its end.
            hold_many=f"INSERT INTO {name} (subject, owner, expires_at, message_id, envelope) "
            "SELECT subject, $3, now(), message_id, ''::bytea "
            "FROM unnest($1::text[], $2::uuid[]) AS held (subject, message_id) "
            "ORDER BY subject ON CONFLICT DO NOTHING RETURNING subject, token",
        )


@dataclass(frozen=True)
class CommitSql:
    """A batch's last statement before COMMIT (messaging.batching): its inbox rows, the
    release of its leases and its outbox rows, one round trip. Returns how many inbox rows
    it wrote.

    Parameters, in this order, for the parts present: the inbox's (message ids, types),
    the leases' (subjects, tokens), the outbox's six columns (as ``OutboxSql.insert``).

    With inbox rows, it fails with a division by zero when one of them was there already:
    nothing it wrote is kept, even where it is a transaction of its own (no BEGIN)."""

    @staticmethod
    @functools.cache
    def of(inbox: Table | None, leases: Table | None, outbox: Table | None) -> str:
        parts: list[str] = []
        n = 0

        def params(*types: str) -> list[str]:
            nonlocal n
            names = [f"${n + i + 1}::{type_}[]" for i, type_ in enumerate(types)]
            n += len(types)
            return names

        if inbox is not None:
            ids, kinds = params("uuid", "text")
            parts.append(
                f"inbox AS (INSERT INTO {qualified(inbox)} (message_id, message_type) "
                f"SELECT * FROM unnest({ids}, {kinds}) ON CONFLICT DO NOTHING RETURNING 1)"
            )
        if leases is not None:
            subjects, tokens = params("text", "bigint")
            parts.append(
                f"released AS (DELETE FROM {qualified(leases)} "
                f"WHERE subject = ANY({subjects}) AND token = ANY({tokens}))"
            )
        if outbox is not None:
            arrays = ", ".join(params("uuid", "text", "text", "text", "text", "bytea"))
            parts.append(
                f"queued AS (INSERT INTO {qualified(outbox)} ({OUTBOX_COLUMNS}) "
                f"SELECT {OUTBOX_COLUMNS} FROM unnest({arrays}) "
                f"WITH ORDINALITY AS queued ({OUTBOX_COLUMNS}, position) ORDER BY position)"
            )
        # 1 / 0 (an error, undoing the statement) unless every inbox row was new.
        count = (
            "(SELECT count(*) FROM inbox) / "
            "((SELECT count(*) FROM inbox) = cardinality($1::uuid[]))::int"
            if inbox is not None
            else "0"
        )
        return f"WITH {', '.join(parts)} SELECT {count}"
