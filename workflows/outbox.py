"""The notifications outbox: each reminder and escalation as a row the board shows and mail relays.

A notification's id derives from its escalation step, so a retried activity writes it once.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Protocol
from uuid import UUID

import psycopg
from pydantic import BaseModel, ConfigDict

from domain.deadlines import Deadline
from domain.escalation import Step
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
"""

_STEP_TITLES = {
    Step.REMINDER: ("Nhắc hạn", "Reminder"),
    Step.MISSED: ("Quá hạn", "Deadline missed"),
    Step.ESCALATED: ("Báo cáo cấp trên", "Escalated"),
}


class Notification(BaseModel):
    """One notice to a unit about one step of one deadline of one liaison."""

    model_config = ConfigDict(frozen=True)

    id: UUID
    liaison_id: UUID
    step: Step
    deadline_kind: str
    subject: str
    unit_id: str
    due_on: date
    effective_date: date
    title: str
    body: str
    sent_at: datetime | None = None

    @classmethod
    def of_step(
        cls,
        notification_id: UUID,
        state: LiaisonState,
        deadline: Deadline,
        step: Step,
        unit_id: str,
        on: date,
    ) -> Notification:
        """The notice of a ladder step, in Vietnamese then English."""
        vi, en = _STEP_TITLES[step]
        what_vi = label_kind(deadline.kind.value, "vi")
        what_en = label_kind(deadline.kind.value, "en")
        return cls(
            id=notification_id,
            liaison_id=state.liaison_id,
            step=step,
            deadline_kind=deadline.kind.value,
            subject=deadline.subject,
            unit_id=unit_id,
            due_on=deadline.due_on,
            effective_date=on,
            title=f"{vi}: {what_vi} — {state.member_name} (hạn {deadline.due_on:%d/%m/%Y})",
            body=(
                f"{vi}: {what_vi} của đảng viên {state.member_name}, "
                f"hạn {deadline.due_on:%d/%m/%Y},"
                f" đơn vị thực hiện {deadline.unit_id}.\n"
                f"{en}: {what_en} for {state.member_name}, due {deadline.due_on.isoformat()},"
                f" to be done by {deadline.unit_id}.\n"
                f"Liaison {state.liaison_id}."
            ),
        )


def label_kind(kind: str, language: str) -> str:
    """A deadline kind's label, falling back to the code."""
    names = {
        "receipt": ("tiếp nhận", "receipt"),
        "meeting": ("sinh hoạt định kỳ", "periodic meeting"),
        "annual_assessment": ("nhận xét, đánh giá hằng năm", "annual assessment"),
        "report_back": ("thông báo kết quả", "report back"),
        "on_demand_assessment": ("lấy ý kiến nhận xét", "on-demand assessment"),
        "rereferral": ("giới thiệu lại", "re-referral"),
    }
    vi, en = names.get(kind, (kind, kind))
    return vi if language == "vi" else en


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
    """The outbox as a PostgreSQL table in the event store's database."""

    def __init__(self, url: str) -> None:
        self.url = url

    async def create_table(self) -> None:
        """Create the table if it is not there."""
        async with await psycopg.AsyncConnection.connect(self.url, autocommit=True) as conn:
            await conn.execute(CREATE_TABLE)

    async def write(self, notification: Notification) -> bool:
        """Insert a notification once (its id is derived from the step)."""
        row = notification.model_dump(exclude={"sent_at"})
        columns = ", ".join(row)
        values = ", ".join(f"%({c})s" for c in row)
        query = f"INSERT INTO {TABLE} ({columns}) VALUES ({values}) ON CONFLICT (id) DO NOTHING"
        async with await psycopg.AsyncConnection.connect(self.url, autocommit=True) as conn:
            cursor = await conn.execute(query.encode(), {**row, "step": row["step"].value})
            return cursor.rowcount == 1

    async def unsent(self, limit: int = 100) -> list[Notification]:
        """Notifications not yet mailed, oldest first."""
        columns = ", ".join(Notification.model_fields)
        async with await psycopg.AsyncConnection.connect(self.url) as conn:
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
        query = (
            f"UPDATE {TABLE} SET attempts = attempts + 1, last_error = %s, "
            "sent_at = CASE WHEN %s IS NULL THEN now() ELSE NULL END WHERE id = %s"
        )
        async with await psycopg.AsyncConnection.connect(self.url, autocommit=True) as conn:
            await conn.execute(query.encode(), (error, error, notification_id))

    async def all(self) -> list[Notification]:
        """Every notification (for tests and the board)."""
        columns = ", ".join(Notification.model_fields)
        async with await psycopg.AsyncConnection.connect(self.url) as conn:
            cursor = await conn.execute(
                f"SELECT {columns} FROM {TABLE} ORDER BY created_at".encode()
            )
            names = list(Notification.model_fields)
            return [
                Notification(**dict(zip(names, r, strict=True))) for r in await cursor.fetchall()
            ]
