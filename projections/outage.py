"""Errors as the read side sorts them: PostgreSQL away for now, or an event a model cannot hold."""

from __future__ import annotations

import contextlib

import eventsourcing.persistence as es
import psycopg
import psycopg_pool
from eventsourcing.postgres import PostgresDatastore

_GONE = ("08", "53", "57P")
"""SQLSTATE classes of a connection lost or refused: connection exceptions, insufficient resources
(too many connections, disk full), and a server shutting down, crashed or starting up."""
_CONTENT = ("22", "23", "54")
"""SQLSTATE classes an event's own values can cause: data exceptions (untranslatable text, out of
range), integrity violations, and program limits (an index entry too long)."""


def unavailable(error: BaseException) -> bool:
    """Whether the error means PostgreSQL cannot be reached now (retrying later can help)."""
    cause = _database_error(error)
    if cause is None:
        return isinstance(error, es.OperationalError | es.InterfaceError)
    if isinstance(cause, psycopg_pool.PoolClosed):
        return False  # closed on purpose: retrying would never succeed
    if not isinstance(cause, psycopg.OperationalError | psycopg.InterfaceError):
        return False
    return cause.sqlstate is None or cause.sqlstate.startswith(_GONE)


def from_database(error: BaseException) -> bool:
    """Whether PostgreSQL raised the error (an outage, or a clash such as two processes creating
    the same table at once), as opposed to a mistake in the caller's own configuration."""
    return _database_error(error) is not None or isinstance(error, es.PersistenceError)


def caused_by_content(error: BaseException) -> bool:
    """Whether the error can come from the values of the event being written.

    Failures on the server's side (locks, deadlocks, a missing table, an outage) are never put down
    to an event, so that no event is ever skipped for a reason that retrying would cure.
    """
    if isinstance(error, MemoryError):
        return False
    cause = _database_error(error)
    if cause is None:
        return not isinstance(error, es.PersistenceError)
    return cause.sqlstate is not None and cause.sqlstate.startswith(_CONTENT)


def drop_lost_connections(datastore: PostgresDatastore) -> None:
    """Have the library's pool test its idle connections and replace the dead ones.

    After PostgreSQL restarts every pooled connection is dead; without this, each would fail
    one more attempt (and double the wait) before the pool dropped it."""
    with contextlib.suppress(Exception):  # the pool reconnects in the background regardless
        datastore.pool.check()


def summary(error: BaseException) -> str:
    """The error's first line, for a log line of its own."""
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}"[:300]


def _database_error(error: BaseException) -> psycopg.Error | None:
    """The psycopg error behind this one (the library re-raises psycopg's under its own)."""
    seen: BaseException | None = error
    for _ in range(10):
        if seen is None:
            return None
        if isinstance(seen, psycopg.Error):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


class Backoff:
    """Waits between attempts: doubling from `first` up to `most` seconds, until `reset`."""

    def __init__(self, first: float = 1.0, most: float = 30.0) -> None:
        self.first, self.most = first, most
        self._next = first

    def next(self) -> float:
        """The wait before the next attempt (each call doubles the one after)."""
        delay = self._next
        self._next = min(delay * 2, self.most)
        return delay

    def reset(self) -> None:
        """After a success: the next failure waits `first` again."""
        self._next = self.first
