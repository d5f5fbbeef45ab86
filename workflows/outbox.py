"""The notifications outbox: each reminder and escalation as a row the board shows and mail relays.

A notification's id derives from its escalation step, so a retried activity writes it once. Its
title and body are kept as message ids with their parameters, not as finished text: the board
shows each notice in its reader's language (the same row serves a Vietnamese and an English
reader, and a corrected translation reaches notices already sent), and the mail relay in the
language it is configured with.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, datetime
from typing import Protocol
from uuid import UUID

import psycopg
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool

from domain.deadlines import Deadline, DeadlineKind
from domain.escalation import Notice, Step
from domain.messages import Message, UnitRef, encode, gettext_noop, stored
from domain.state import LiaisonState

TABLE = "liaison_notifications"

CREATE_TABLE = f"""
CREATE TABLE IF NOT EXISTS {TABLE} (
    id uuid PRIMARY KEY,
    liaison_id uuid NOT NULL,
    step text NOT NULL,
    deadline_kind text NOT NULL,
    subject text NOT NULL,
    unit_id text NOT NULL,
    due_on date NOT NULL,
    effective_date date NOT NULL,
    title text NOT NULL,
    body text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    sent_at timestamptz,
    attempts integer NOT NULL DEFAULT 0,
    last_error text
);
CREATE INDEX IF NOT EXISTS {TABLE}_unsent_idx ON {TABLE} (created_at) WHERE sent_at IS NULL;
ALTER TABLE {TABLE} ADD COLUMN IF NOT EXISTS params jsonb NOT NULL DEFAULT '{{}}'::jsonb;
"""
# `params` came with issue 12: older rows hold finished text in `title` and `body`, and no
# parameters, which the board shows as written.


def _body(kind: DeadlineKind, late: bool) -> str:
    """The body's message id of a step's notice: a late referral says what the workplace owes."""
    if kind is DeadlineKind.REFERRAL:
        if late:
            return gettext_noop(
                "{step}: {unit} is to refer {member} to their residence, or exempt them from"
                " introduction, by {day}."
                " Sent late: it was to go out on {scheduled}, it went out on {today}."
            )
        return gettext_noop(
            "{step}: {unit} is to refer {member} to their residence, or exempt them from"
            " introduction, by {day}."
        )
    if late:
        return gettext_noop(
            "{step}: {deadline} for {member}, due {day}, to be done by {unit}."
            " Sent late: it was to go out on {scheduled}, it went out on {today}."
        )
    return gettext_noop("{step}: {deadline} for {member}, due {day}, to be done by {unit}.")


class Notification(Notice):
    """A notice, made from the escalation step it tells of."""

    @classmethod
    def of_step(
        cls,
        notification_id: UUID,
        about: LiaisonState | tuple[UUID, str],
        deadline: Deadline,
        step: Step,
        unit_id: str,
        on: date,
        doer_name: str | None = None,
        scheduled: date | None = None,
    ) -> Notification:
        """The notice of a ladder step about a liaison (its state) or, for a late referral, a
        member (their id and name: the member's id stands where a liaison's would, as in the
        escalation); `doer_name`: the name of the unit that must act.

        A step taken after the day it was `scheduled` (the worker was down, or caught up) says so.
        """
        if isinstance(about, LiaisonState):
            about = (about.liaison_id, about.member_name)
        late = scheduled is not None and on > scheduled
        params = encode(
            {
                "step": step,
                "deadline": deadline.kind,
                "member": about[1],
                "day": deadline.due_on,
                "unit": UnitRef(deadline.unit_id, doer_name),
                **({"scheduled": scheduled, "today": on} if late else {}),
            }
        )
        return cls(
            id=notification_id,
            liaison_id=about[0],
            step=step,
            deadline_kind=deadline.kind.value,
            subject=deadline.subject,
            unit_id=unit_id,
            due_on=deadline.due_on,
            effective_date=on,
            title=gettext_noop("{step}: {deadline} — {member} (due {day})"),
            body=_body(deadline.kind, late),
            params=params,
        )

    @property
    def late(self) -> bool:
        """True when the step was taken after the day it was due to be taken."""
        return "scheduled" in self.params

    def copy_to(self, notification_id: UUID, unit_id: str) -> Notification:
        """The same notice addressed to another unit (the workplace of the member concerned)."""
        return self.model_copy(update={"id": notification_id, "unit_id": unit_id})

    def messages(self) -> tuple[Message, Message]:
        """Title and body as messages, to be shown in a language."""
        return stored(self.title, self.params), stored(self.body, self.params)


class Outbox(Protocol):
    """Where notifications wait to be shown and mailed."""

    async def write(self, notification: Notification) -> bool:
        """Keep a notification once; False when it was already there."""

    async def unsent(self, limit: int = 100) -> list[Notification]:
        """Notifications not yet mailed, oldest first."""

    async def mark_sent(self, notification_id: UUID, error: str | None = None) -> None:
        """Record a delivery (or, with an error, a failed attempt)."""


class InMemoryOutbox:
    """An outbox in a dict, for tests and the time-skipping suite."""

    def __init__(self) -> None:
        self.rows: dict[UUID, Notification] = {}

    async def write(self, notification: Notification) -> bool:
        """Keep a notification once."""
        if notification.id in self.rows:
            return False
        self.rows[notification.id] = notification
        return True

    async def unsent(self, limit: int = 100) -> list[Notification]:
        """Notifications not yet mailed."""
        return [n for n in self.rows.values() if n.sent_at is None][:limit]

    async def mark_sent(self, notification_id: UUID, error: str | None = None) -> None:
        """Record a delivery."""
        if error is None:
            sent = self.rows[notification_id].model_copy(update={"sent_at": datetime.now()})
            self.rows[notification_id] = sent


class PostgresOutbox:
    """The outbox as a PostgreSQL table in the event store's database, through `pool` when one
    is given (a worker writes a notification per step: a storm's thousands each opening a
    connection of its own spent the worker's event loop and the server on connecting), else a
    connection of its own per call (the tests and the board read it seldom)."""

    def __init__(self, url: str, pool: AsyncConnectionPool | None = None) -> None:
        self.url = url
        self.pool = pool

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[psycopg.AsyncConnection]:
        """A connection whose work is committed when the block ends (rolled back if it raises)."""
        if self.pool is not None:
            async with self.pool.connection() as pooled:
                yield pooled
            return
        async with await psycopg.AsyncConnection.connect(self.url) as own:
            yield own

    async def create_table(self) -> None:
        """Create the table if it is not there, one process at a time: workers starting together
        on a new store would otherwise race in `CREATE TABLE IF NOT EXISTS` (PostgreSQL checks
        for the table before it takes any lock, and the second fails on its type's name)."""
        async with await psycopg.AsyncConnection.connect(self.url) as conn, conn.transaction():
            await conn.execute(
                "SELECT pg_advisory_xact_lock(hashtext(current_schema()), hashtext(%s))", (TABLE,)
            )
            await conn.execute(CREATE_TABLE)

    async def write(self, notification: Notification) -> bool:
        """Insert a notification once (its id is derived from the step)."""
        row = notification.model_dump(exclude={"sent_at"})
        columns = ", ".join(row)
        values = ", ".join(f"%({c})s" for c in row)
        query = f"INSERT INTO {TABLE} ({columns}) VALUES ({values}) ON CONFLICT (id) DO NOTHING"
        typed = {**row, "step": row["step"].value, "params": Jsonb(row["params"])}
        async with self._connection() as conn:
            cursor = await conn.execute(query.encode(), typed)
            return cursor.rowcount == 1

    async def unsent(self, limit: int = 100) -> list[Notification]:
        """Notifications not yet mailed, oldest first."""
        columns = ", ".join(Notification.model_fields)
        async with self._connection() as conn:
            cursor = await conn.execute(
                f"SELECT {columns} FROM {TABLE} WHERE sent_at IS NULL "
                "ORDER BY created_at LIMIT %s".encode(),
                (limit,),
            )
            names = list(Notification.model_fields)
            return [
                Notification(**dict(zip(names, r, strict=True))) for r in await cursor.fetchall()
            ]

    async def mark_sent(self, notification_id: UUID, error: str | None = None) -> None:
        """Record a delivery, or count a failed attempt with its error."""
        # Typed: psycopg sends a str (and None) untyped, and PostgreSQL cannot type `$1 IS NULL`.
        query = (
            f"UPDATE {TABLE} SET attempts = attempts + 1, last_error = %(error)s::text, "
            "sent_at = CASE WHEN %(error)s::text IS NULL THEN now() END WHERE id = %(id)s"
        )
        async with self._connection() as conn:
            await conn.execute(query.encode(), {"error": error, "id": notification_id})

    async def all(self) -> list[Notification]:
        """Every notification (for tests and the board)."""
        columns = ", ".join(Notification.model_fields)
        async with self._connection() as conn:
            cursor = await conn.execute(
                f"SELECT {columns} FROM {TABLE} ORDER BY created_at".encode()
            )
            names = list(Notification.model_fields)
            return [
                Notification(**dict(zip(names, r, strict=True))) for r in await cursor.fetchall()
            ]
