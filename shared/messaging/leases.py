"""Leases on resources, in the service's schema: one operation per resource across replicas.

A replica takes the lease of a message's subject (a device id, say) before handling it,
renews it while the handler runs, and releases it in the handler's last transaction (the
one that records the message as processed), so the release commits with it. Each lease carries a fencing token (from a sequence: always larger than any
earlier holder's); every transaction of the handler checks, under a share lock, that its
token still holds the lease (``check_fence``), so a holder whose lease was taken over (it
stalled past its expiry, lost its database connection for too long) has its writes refused
and stops, while the new holder goes on from what the database says was done.

The row also keeps the message itself: a holder that dies after settling the message
(handoff.py) leaves an expired row that any replica can resume.
"""

from __future__ import annotations

import datetime as dt
import uuid
from contextvars import ContextVar
from dataclasses import dataclass

from sqlalchemy import Executable, Sequence, Table, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from shared.contracts.envelope import Envelope
from shared.flows import Abandon


class LeaseLost(Abandon):
    """Another replica holds the resource's lease now: this holder must stop, undo nothing
    and write nothing more (its transaction is rolled back)."""


@dataclass(eq=False)
class Lease:
    table: Table
    subject: str
    token: int
    # The handler's final transaction deleted the row and committed: nothing to release.
    released: bool = False


@dataclass(frozen=True)
class Holder:
    owner: str
    token: int
    message_id: uuid.UUID
    expired: bool


# The lease the running handler holds; its transactions are fenced by it (dispatch.py).
CURRENT_LEASE: ContextVar[Lease | None] = ContextVar("servicevm_current_lease", default=None)


async def check_fence(conn: AsyncConnection, *, release: bool = False) -> Lease | None:
    """In a handler's transaction: the lease is still ours, and stays so until this
    transaction ends (FOR SHARE blocks a takeover until then). Raises LeaseLost.

    With ``release`` (the handler's final transaction) the row is deleted instead: the
    delete's row lock fences as well, and the lease is given up when this transaction
    commits (the caller marks it ``released`` then), in the same round trip."""
    lease = CURRENT_LEASE.get()
    if lease is None:
        return None
    table = lease.table
    mine = (table.c.subject == lease.subject) & (table.c.token == lease.token)
    statement: Executable
    if release:
        statement = delete(table).where(mine).returning(table.c.token)
    else:
        statement = select(table.c.token).where(mine).with_for_update(read=True)
    held = (await conn.execute(statement)).scalar()
    if held is None:
        raise LeaseLost(f"the lease on {lease.subject} was taken over (token {lease.token})")
    return lease


class LeaseStore:
    """The statements on a service's ``resource_leases`` table, each a transaction of its own."""

    def __init__(self, engine: AsyncEngine, table: Table, *, owner: str, seconds: float) -> None:
        # Each statement stands alone: no BEGIN and COMMIT round trips around it.
        self._engine = engine.execution_options(isolation_level="AUTOCOMMIT")
        self.table = table
        self.owner = owner
        self._ttl = dt.timedelta(seconds=seconds)

    async def try_acquire(self, envelope: Envelope) -> Lease | None:
        """The subject's lease for this message, or None when someone holds it."""
        table = self.table
        statement = (
            pg_insert(table)
            .values(
                subject=envelope.subject_id,
                owner=self.owner,
                expires_at=func.now() + self._ttl,
                message_id=envelope.message_id,
                envelope=envelope.model_dump_json().encode(),
            )
            .on_conflict_do_nothing(index_elements=[table.c.subject])
            .returning(table.c.token)
        )
        async with self._engine.connect() as conn:
            token = await conn.scalar(statement)
        return None if token is None else Lease(table, envelope.subject_id, token)

    async def holder(self, subject: str) -> Holder | None:
        table = self.table
        query = select(
            table.c.owner,
            table.c.token,
            table.c.message_id,
            (table.c.expires_at < func.now()).label("expired"),
        ).where(table.c.subject == subject)
        async with self._engine.connect() as conn:
            row = (await conn.execute(query)).first()
        if row is None:
            return None
        return Holder(row.owner, row.token, row.message_id, bool(row.expired))

    async def renew(self, lease: Lease) -> bool:
        """Push the expiry back; False if the lease is no longer ours."""
        async with self._engine.connect() as conn:
            result = await conn.execute(
                update(self.table)
                .where(self.table.c.subject == lease.subject, self.table.c.token == lease.token)
                .values(expires_at=func.now() + self._ttl)
            )
        return result.rowcount == 1

    async def release(self, lease: Lease) -> None:
        async with self._engine.connect() as conn:
            await conn.execute(
                delete(self.table).where(
                    self.table.c.subject == lease.subject, self.table.c.token == lease.token
                )
            )

    async def expire(self, lease: Lease) -> None:
        """Give the lease up unfinished (a stopping replica): another resumes it at once."""
        async with self._engine.connect() as conn:
            await conn.execute(
                update(self.table)
                .where(self.table.c.subject == lease.subject, self.table.c.token == lease.token)
                .values(expires_at=func.now() - dt.timedelta(seconds=1))
            )

    async def take_over_expired(
        self, *, limit: int, subject: str | None = None
    ) -> list[tuple[Lease, Envelope]]:
        """Take the leases whose holder stopped renewing them (a new token each), with the
        messages they were handling, so this replica resumes them."""
        table = self.table
        stale = select(table.c.subject).where(table.c.expires_at < func.now())
        if subject is not None:
            stale = stale.where(table.c.subject == subject)
        stale = stale.limit(limit).with_for_update(skip_locked=True)
        statement = (
            update(table)
            .where(table.c.subject.in_(stale.scalar_subquery()))
            .values(
                owner=self.owner,
                token=_tokens(table).next_value(),
                expires_at=func.now() + self._ttl,
                acquired_at=func.now(),
            )
            .returning(table.c.subject, table.c.token, table.c.envelope)
        )
        async with self._engine.connect() as conn:
            rows = (await conn.execute(statement)).all()
        return [
            (Lease(table, row.subject, row.token), Envelope.model_validate_json(row.envelope))
            for row in rows
        ]


def _tokens(table: Table) -> Sequence:
    sequence = table.c.token.default
    if not isinstance(sequence, Sequence):
        raise TypeError(f"{table.fullname}.token has no sequence")
    return sequence
