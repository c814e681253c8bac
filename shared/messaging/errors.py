"""Which failures are worth retrying: a server gone away, not a bug or a bad message."""

from __future__ import annotations

import asyncpg
from sqlalchemy.exc import DBAPIError, OperationalError

from shared.db.uow import AlreadyProcessed

__all__ = ["AlreadyProcessed", "DependencyNotYetKnown", "NoHandler", "is_transient"]


class NoHandler(LookupError):
    """A message of a type this service is bound to but has no handler for: dead-lettered
    with the reason rather than acknowledged and forgotten."""


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, OperationalError):
        return True
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    transient = (
        ConnectionError,
        TimeoutError,
        OSError,
        asyncpg.PostgresConnectionError,
        # The server shutting down or restarting under a live connection, or starting up.
        asyncpg.AdminShutdownError,
        asyncpg.CrashShutdownError,
        asyncpg.CannotConnectNowError,
        asyncpg.TooManyConnectionsError,
        # Two transactions each waited for the other's lock; a retry goes through.
        asyncpg.DeadlockDetectedError,
        asyncpg.SerializationError,
    )
    if isinstance(exc, transient):
        return True
    # What the raw driver says of a connection that died under it (the inbox, the outbox).
    if isinstance(exc, asyncpg.InterfaceError) and "connection is closed" in str(exc):
        return True
    # What it says instead when the server's goodbye arrives while a statement is being
    # sent (about one time in four after pg_terminate_backend): the connection is closed
    # by then, and the unit of work discards it (shared/db/pooled.py).
    if isinstance(exc, asyncpg.InternalClientError) and "cannot switch to state" in str(exc):
        return True
    cause = exc.__cause__
    return cause is not None and cause is not exc and is_transient(cause)


class DependencyNotYetKnown(Exception):
    """A handler needs a resource that another message creates (a device's template, the
    device a placement names) and this service has not recorded it yet: across replicas,
    or between producers, that message may still be on its way. Not a failure: the message
    is handled again after a short delay, up to a bound (``not_yet.py``)."""

    def __init__(self, what: str) -> None:
        super().__init__(f"{what} is not known yet")
        self.what = what
