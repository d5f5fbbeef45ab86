"""Member timeline: each liaison's events in order, with the stage after each."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from domain.liaison_events import LiaisonEvent
from projections.log import Entry, event_name
from projections.model import Cursor, ReadModel, copy_rows
from projections.states import LIAISON_STATES, StateBook

COLUMNS = {
    "member_id": "uuid", "liaison_id": "uuid", "version": "int4", "notification_id": "int8",
    "event": "text", "effective_date": "date", "recorded_at": "timestamptz", "actor_id": "text",
    "role": "text", "regulation": "text", "stage_after": "text", "cycle_year": "int4",
    "exempt": "bool",
}  # fmt: skip


class Timeline(ReadModel):
    """`timeline` rows per liaison event; `timeline_state` keeps each liaison's latest state."""

    name: ClassVar[str] = "timeline"
    tables: ClassVar[tuple[str, ...]] = ("timeline", "timeline_state")
    process: ClassVar[str] = LIAISON_STATES

    def __init__(self, suffix: str = "") -> None:
        super().__init__(suffix)
        self.book = StateBook(self.t("timeline_state"))

    def reset(self) -> None:
        self.book.forget()

    def prepare(self, position: int) -> None:
        super().prepare(position)
        if position == 0:
            self.book.start_empty()

    def ddl(self) -> list[str]:
        t = self.t("timeline")
        return [
            f"CREATE TABLE IF NOT EXISTS {t} (member_id uuid NOT NULL, liaison_id uuid NOT NULL,"
            " version int NOT NULL, notification_id bigint NOT NULL, event text NOT NULL,"
            " effective_date date NOT NULL, recorded_at timestamptz NOT NULL, actor_id text,"
            " role text, regulation text, stage_after text NOT NULL, cycle_year int,"
            " exempt boolean NOT NULL, PRIMARY KEY (liaison_id, version)"
            # A liaison's stage on a date is read from the key's index alone (board funnels).
            " INCLUDE (effective_date, recorded_at, stage_after))",
            f"CREATE INDEX IF NOT EXISTS {t}_member ON {t} (member_id, notification_id)",
            self.book.ddl(),
        ]

    def order_keys(self, table: str) -> str:
        return "2, 3" if table == "timeline" else "1"

    def apply(self, cur: Cursor, entries: Sequence[Entry]) -> None:
        mine = [e for e in entries if isinstance(e.event, LiaisonEvent)]
        if not mine:
            return
        self.book.load(cur, {e.row.originator_id for e in mine})
        rows = []
        for entry in mine:
            event: LiaisonEvent = entry.event
            state = self.book.evolve(entry)
            rows.append(
                (
                    state.member_id,
                    state.liaison_id,
                    event.originator_version,
                    entry.row.notification_id,
                    event_name(entry),
                    event.effective_date,
                    event.timestamp,
                    event.actor.id,
                    event.actor.role.value,
                    event.regulation,
                    state.stage.value,
                    state.cycle_year,
                    state.is_exempt_from_activities,
                )
            )
        copy_rows(cur, self.t("timeline"), COLUMNS, rows)
        self.book.save(cur)
