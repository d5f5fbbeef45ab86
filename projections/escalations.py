"""Escalations: one row per missed deadline's ladder: when it opened, rose and was resolved."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, ClassVar
from uuid import UUID

from domain.escalation import Escalated, EscalationOpened, EscalationResolved, StepTaken
from projections.ancestry import subtree
from projections.log import Entry, event_name
from projections.model import Cursor, ReadModel, copy_rows

COLUMNS = {
    "escalation_id": "uuid", "liaison_id": "uuid", "kind": "text", "subject": "text",
    "awaited": "text", "due_on": "date", "unit_id": "text", "superior_unit_id": "text",
    "steps": "text[]", "opened_on": "date", "opened_at": "timestamptz", "escalated_on": "date",
    "resolved_on": "date", "resolved_at": "timestamptz", "resolution": "text",
    "resolved_by": "text",
}  # fmt: skip


MEMBER_OF = "CASE WHEN e.kind = 'referral' THEN e.liaison_id ELSE l.member_id END"
"""SQL: the member an escalation `e` concerns (`l`, its liaison): a late referral's escalation is
keyed by the member itself (`domain.escalation.watches_member`)."""


def open_on(day: str, known_at: str) -> str:
    """SQL: escalation `e` was open on the date `day` as the records stood at `known_at`."""
    return (
        f"e.opened_on <= {day} AND e.opened_at <= {known_at} AND NOT (e.resolved_on IS NOT NULL"
        f" AND e.resolved_on <= {day} AND e.resolved_at <= {known_at})"
    )


class Escalations(ReadModel):
    """`escalation`: each ladder's latest row; the open ones are the board's escalations inbox."""

    name: ClassVar[str] = "escalations"
    tables: ClassVar[tuple[str, ...]] = ("escalation",)

    def ddl(self) -> list[str]:
        e = self.t("escalation")
        return [
            f"CREATE TABLE IF NOT EXISTS {e} (escalation_id uuid PRIMARY KEY,"
            " liaison_id uuid NOT NULL, kind text NOT NULL, subject text NOT NULL,"
            " awaited text NOT NULL, due_on date NOT NULL, unit_id text NOT NULL,"
            " superior_unit_id text, steps text[] NOT NULL, opened_on date NOT NULL,"
            " opened_at timestamptz NOT NULL, escalated_on date, resolved_on date,"
            " resolved_at timestamptz, resolution text, resolved_by text)",
            f"CREATE INDEX IF NOT EXISTS {e}_unit ON {e} (unit_id, opened_on)",
        ]

    def apply(self, cur: Cursor, entries: Sequence[Entry]) -> None:
        kinds = EscalationOpened | StepTaken | EscalationResolved
        mine = [e for e in entries if isinstance(e.event, kinds)]
        if not mine:
            return
        ids = list({e.row.originator_id for e in mine})
        cur.execute(
            f"SELECT {', '.join(COLUMNS)} FROM {self.t('escalation')}"
            " WHERE escalation_id = ANY(%s)",
            (ids,),
        )
        rows: dict[Any, dict[str, Any]] = {r["escalation_id"]: dict(r) for r in cur.fetchall()}
        for entry in mine:
            _fold(rows, entry)
        cur.execute(f"DELETE FROM {self.t('escalation')} WHERE escalation_id = ANY(%s)", (ids,))
        copy_rows(
            cur,
            self.t("escalation"),
            COLUMNS,
            ([row[c] for c in COLUMNS] for row in rows.values()),
        )


def _fold(rows: dict[Any, dict[str, Any]], entry: Entry) -> None:
    """One escalation event folded into its row."""
    event = entry.event
    day: date = event.effective_date
    at: datetime = event.timestamp
    if isinstance(event, EscalationOpened):
        rows[event.originator_id] = {
            "escalation_id": event.originator_id, "liaison_id": event.liaison_id,
            "kind": event.kind.value, "subject": event.subject, "awaited": event.awaited,
            "due_on": event.due_on, "unit_id": event.unit_id, "superior_unit_id": None,
            "steps": [], "opened_on": day, "opened_at": at, "escalated_on": None,
            "resolved_on": None, "resolved_at": None, "resolution": None, "resolved_by": None,
        }  # fmt: skip
        return
    row = rows.get(event.originator_id)
    if row is None:  # a step without its opening cannot happen in a sound store
        return
    if isinstance(event, StepTaken):
        row["steps"] = [*row["steps"], event_name(entry)]
        if isinstance(event, Escalated):
            row["superior_unit_id"], row["escalated_on"] = event.superior_unit_id, day
    elif isinstance(event, EscalationResolved):
        row["resolved_on"], row["resolved_at"] = day, at
        row["resolution"], row["resolved_by"] = event.resolution, event.actor.id


_IN_SUBTREE = {
    False: "e.unit_id IN (SELECT unit_id FROM board_unit)",
    True: "e.unit_id = ANY (ARRAY(SELECT unit_id FROM board_unit))",
}
"""Escalation `e`'s unit rolls into $1 on $2 (`board_unit`), for a subtree of a few units (each
looked up in the unit index) and for a large one (the units gathered once, each escalation's
looked up among them: the planner, guessing a few units, looped over a province's thousands)."""


def _open_in_subtree(large: bool) -> str:
    """The escalations open on $2 (as known at $3) whose unit rolls into $1 on $2."""
    return f" FROM escalation e WHERE {_IN_SUBTREE[large]} AND {open_on('$2', '$3')}"


_AFTER = " AND (e.due_on, e.escalation_id) > ($5::date, $6::uuid)"


def _open(large: bool, after: bool = False) -> str:
    """The first $4 (NULL: all) of them, the earliest due first (after the row of due date $5
    and id $6 when `after`), with their members: the statement finds the subtree (a province's
    thousands of unit ids cost more to fetch and send back), and joins the members of those it
    returns alone."""
    order = " ORDER BY e.due_on, e.escalation_id"
    where = _open_in_subtree(large) + (_AFTER if after else "")
    return (
        f"WITH board_unit AS MATERIALIZED ({subtree()})"
        f" SELECT e.*, {MEMBER_OF} AS member_id, m.name AS member_name,"
        " coalesce(l.workplace_unit_id, m.workplace_unit_id) AS workplace_unit_id"
        f" FROM (SELECT e.*{where}{order} LIMIT $4) e"
        f" LEFT JOIN liaison l USING (liaison_id) LEFT JOIN member m ON m.member_id = {MEMBER_OF}"
        f"{order}"
    )


def _open_count(large: bool) -> str:
    return f"WITH board_unit AS MATERIALIZED ({subtree()}) SELECT count(*){_open_in_subtree(large)}"


async def open_escalations(
    conn: Any, unit_id: str, on: date, known_at: datetime, first: int | None = None,
    large: bool = False, after: tuple[date, UUID] | None = None,
) -> list[Any]:  # fmt: skip
    """The escalations open on a date (as known at a time) whose unit rolls into `unit_id` as
    in force then, the earliest due first (the `first` of them, when given, after the row of
    that due date and id if given; none for a unit not in force: the caller refuses it);
    `large`: the subtree has many units."""
    args = (unit_id, on, known_at, first, *(after or ()))
    return [dict(r) for r in await conn.fetch(_open(large, after is not None), *args)]


async def count_open(
    conn: Any, unit_id: str, on: date, known_at: datetime, large: bool = False
) -> int:
    """How many escalations `open_escalations` finds in all."""
    return int(await conn.fetchval(_open_count(large), unit_id, on, known_at))
