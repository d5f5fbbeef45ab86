"""Audit trail: every event as a row — when, who, what, to whom, why, and which command."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from domain.access import MaintenanceRun
from domain.account import AccountAdministered
from domain.events import Recorded
from domain.liaison_events import LiaisonEvent, ReceivedByCommune, Referred
from domain.meeting import MeetingHeld
from domain.member import MemberRegistered, WorkplaceChanged
from domain.registry import InstallationKeyed, UnitEnded, UnitEstablished, UnitsSucceeded
from projections.log import Entry, Unreadable, event_name
from projections.model import Cursor, ReadModel, copy_rows

_COMMON = frozenset(
    {"originator_id", "originator_version", "timestamp", "originator_topic", "actor"}
    | {"command_id", "effective_date", "regulation", "comment"}
)
COLUMNS = {
    "notification_id": "int8", "originator_id": "uuid", "version": "int4", "event": "text",
    "effective_date": "date", "recorded_at": "timestamptz", "actor_id": "text", "role": "text",
    "actor_unit_id": "text", "command_id": "uuid", "regulation": "text", "comment": "text",
    "member_id": "uuid", "units": "text[]", "details": "jsonb",
}  # fmt: skip
SUBJECT_COLUMNS = {"originator_id": "uuid", "member_id": "uuid", "units": "text[]"}
OPERATOR_ROLE = "server_operator"
"""The role the trail shows for a maintenance run: an operating-system account, no board user."""


class Audit(ReadModel):
    """`audit_event` (one row per event) and `audit_subject` (whose record each aggregate is)."""

    name: ClassVar[str] = "audit"
    tables: ClassVar[tuple[str, ...]] = ("audit_event", "audit_subject")

    def ddl(self) -> list[str]:
        e, s = self.t("audit_event"), self.t("audit_subject")
        return [
            f"CREATE TABLE IF NOT EXISTS {e} (notification_id bigint PRIMARY KEY,"
            " originator_id uuid NOT NULL, version int NOT NULL, event text NOT NULL,"
            " effective_date date, recorded_at timestamptz NOT NULL, actor_id text, role text,"
            " actor_unit_id text, command_id uuid, regulation text, comment text, member_id uuid,"
            " units text[] NOT NULL, details jsonb NOT NULL)",
            f"CREATE INDEX IF NOT EXISTS {e}_member ON {e} (member_id, notification_id)",
            f"CREATE INDEX IF NOT EXISTS {e}_actor ON {e} (actor_id, notification_id)",
            f"CREATE INDEX IF NOT EXISTS {e}_units ON {e} USING gin (units)",
            f"CREATE INDEX IF NOT EXISTS {e}_recorded ON {e} (recorded_at)",
            f"CREATE TABLE IF NOT EXISTS {s} (originator_id uuid PRIMARY KEY, member_id uuid,"
            " units text[] NOT NULL)",
        ]

    def __init__(self, suffix: str = "") -> None:
        super().__init__(suffix)
        self.stored: set[Any] | None = None
        """Every originator `audit_subject` holds, when seen from empty (else unknown)."""

    def reset(self) -> None:
        self.stored = None

    def prepare(self, position: int) -> None:
        super().prepare(position)
        if position == 0 and self.stored is None:
            self.stored = set()  # at position 0 the tables are empty

    def apply(self, cur: Cursor, entries: Sequence[Entry]) -> None:
        stored = self.stored
        ids = [i for i in {e.row.originator_id for e in entries} if stored is None or i in stored]
        subjects: dict[Any, tuple[Any, list[str]]] = {}
        if ids:
            cur.execute(
                f"SELECT originator_id, member_id, units FROM {self.t('audit_subject')}"
                " WHERE originator_id = ANY(%s)",
                (ids,),
            )
            subjects = {
                r["originator_id"]: (r["member_id"], list(r["units"])) for r in cur.fetchall()
            }
        known = set(subjects)
        rows = []
        # For an unreadable event: the time of the event before it, and the tops of the tree.
        recorded: Any = None
        roots: set[str] | None = None
        for i, entry in enumerate(entries):
            event = entry.event
            member, units = _subject(event, subjects.get(entry.row.originator_id))
            subjects[entry.row.originator_id] = (member, units)
            if isinstance(event, Unreadable):
                if recorded is None:
                    recorded = self._recorded_before(cur, entry.row.notification_id)
                if roots is None:
                    roots = self._roots_before(cur, entries[0].row.notification_id)
                    for earlier in entries[:i]:
                        roots.update(_roots(earlier.event))
                rows.append(
                    _unreadable_row(entry, event.problem, recorded, member, units or sorted(roots))
                )
            else:
                rows.append(_row(entry, member, units))
                recorded = event.timestamp
                if roots is not None:
                    roots.update(_roots(event))
        copy_rows(cur, self.t("audit_event"), COLUMNS, rows)
        if known:
            cur.execute(
                f"DELETE FROM {self.t('audit_subject')} WHERE originator_id = ANY(%s)",
                (list(known),),
            )
        kept = [(k, m, u) for k, (m, u) in subjects.items() if m is not None or u]
        copy_rows(cur, self.t("audit_subject"), SUBJECT_COLUMNS, kept)
        if stored is not None:
            stored.difference_update(known)
            stored.update(k for k, _, _ in kept)

    def _recorded_before(self, cur: Cursor, position: int) -> Any:
        """When the last event before this position was recorded (the epoch when none was)."""
        cur.execute(
            f"SELECT coalesce(max(recorded_at), 'epoch'::timestamptz) AS at"
            f" FROM (SELECT recorded_at FROM {self.t('audit_event')} WHERE notification_id < %s"
            " ORDER BY notification_id DESC LIMIT 1) last",
            (position,),
        )
        return cur.fetchone()["at"]

    def _roots_before(self, cur: Cursor, position: int) -> set[str]:
        """The units established before this position with no parent: the tops of the tree.

        An unreadable event of an aggregate never seen is filed under them, so that the boards
        at the top see that something is there (read from this model's rows: a rebuild of
        this model alone gives the same answer)."""
        cur.execute(
            "SELECT DISTINCT coalesce(details->'unit', details->'successor')->>'id' AS id"
            f" FROM {self.t('audit_event')} WHERE event IN ('UnitEstablished', 'UnitsSucceeded')"
            " AND notification_id < %s"
            " AND coalesce(details->'unit', details->'successor')->>'parent_id' IS NULL",
            (position,),
        )
        return {r["id"] for r in cur.fetchall()}

    def skip(self, cur: Cursor, entry: Entry, problem: str) -> None:
        """An event this model could not hold: its row says so, and where it sits in the log."""
        self.apply(cur, [Entry(row=entry.row, event=Unreadable(problem))])


Subject = tuple[Any, list[str]]
"""The member an aggregate belongs to (or None) and the units it concerns."""

_SUBJECTS: tuple[tuple[type, Callable[[Any, Any, list[str]], Subject]], ...] = (
    # (class, (event, member, units) → the subject after an event of that class)
    (MemberRegistered, lambda e, m, u: (e.originator_id, [e.workplace_unit_id])),
    (Referred, lambda e, m, u: (e.member_id, [e.workplace_unit_id, e.residence_commune_id])),
    (ReceivedByCommune, lambda e, m, u: (m, [*u, e.cell_id])),
    (MeetingHeld, lambda e, m, u: (None, [e.cell_id])),
    (UnitEstablished, lambda e, m, u: (None, [e.unit.id])),
    (UnitsSucceeded, lambda e, m, u: (None, [e.successor.id, *e.predecessor_ids])),
    (UnitEnded, lambda e, m, u: (None, [e.unit_id])),
    # The new workplace reads the member's past too.
    (WorkplaceChanged, lambda e, m, u: (m, [*u, e.workplace_unit_id])),
    (MaintenanceRun, lambda e, m, u: (None, list(e.units))),
    # The boards above the account, before and after.
    (AccountAdministered, lambda e, m, u: (
        None, sorted({e.unit_id, e.previous_unit_id or e.unit_id}))),
)  # fmt: skip
"""How an event changes its aggregate's subject: the first rule whose class it is an instance of
(an event of any other class leaves the subject as it was)."""
_SUBJECT_RULE: dict[type, Callable[[Any, Any, list[str]], Subject] | None] = {}
"""Each event class's rule, found once (an `isinstance` of a pydantic class runs Python code)."""


def _subject(event: Any, known: Subject | None) -> Subject:
    """The member an aggregate belongs to and the units it concerns, after this event."""
    member, units = known or (None, [])
    cls = type(event)
    if cls not in _SUBJECT_RULE:
        _SUBJECT_RULE[cls] = next((r for kind, r in _SUBJECTS if issubclass(cls, kind)), None)
    rule = _SUBJECT_RULE[cls]
    return (member, units) if rule is None else rule(event, member, units)


@dataclass(frozen=True)
class _Shape:
    """What the trail takes from every event of one class, worked out once per class."""

    exclude: frozenset[str]
    """The fields the details leave out (shown in columns of their own, or secret)."""
    recorded: bool
    adds_member: bool
    """The class has no `member_id` of its own: the details add the aggregate's member."""
    always: bool
    """A liaison's event or a registration: the member is added even when unknown (null)."""


_SHAPES: dict[type, _Shape] = {}


def _shape(cls: type) -> _Shape:
    found = _SHAPES.get(cls)
    if found is None:
        found = _SHAPES[cls] = _Shape(
            exclude=_COMMON | _SECRET.get(cls, set()),
            recorded=issubclass(cls, Recorded),
            adds_member="member_id" not in cls.model_fields,  # type: ignore[attr-defined]
            always=issubclass(cls, LiaisonEvent | MemberRegistered),
        )
    return found


def _row(entry: Entry, member: Any, units: list[str]) -> tuple[Any, ...]:
    event = entry.event
    shape = _shape(type(event))
    # Serialised by pydantic straight to JSON (the same values as `model_dump(mode="json")`);
    # the column is jsonb, so key order and spacing are the database's, not this text's.
    details: str = event.model_dump_json(exclude=shape.exclude)
    recorded = shape.recorded
    actor = event.actor if recorded else None
    who = (actor.id, actor.role.value, actor.unit_id) if actor else _operator(event)
    if shape.adds_member and (shape.always or member is not None):
        subject = f'"{member}"' if member else "null"  # a uuid's text needs no JSON escape
        details = (
            f'{{"member_id": {subject}}}'
            if details == "{}"
            else (f'{{"member_id": {subject}, {details[1:]}')
        )
    return (
        entry.row.notification_id,
        entry.row.originator_id,
        entry.row.originator_version,
        event_name(entry),
        event.effective_date if recorded else getattr(event, "effective_date", None),
        event.timestamp,
        *who,
        event.command_id if recorded else getattr(event, "command_id", None),
        event.regulation if recorded else None,
        event.comment if recorded else None,
        member,
        sorted({*units, *([actor.unit_id] if actor else [])}),
        details,
    )


def _operator(event: Any) -> tuple[str | None, str | None, str | None]:
    """Who ran a maintenance command (the server operator, shown at the tree's root), else none."""
    if isinstance(event, MaintenanceRun):
        return event.operator, OPERATOR_ROLE, event.units[0] if event.units else None
    return None, None, None


_SECRET: dict[type, set[str]] = {InstallationKeyed: {"namespace"}}
"""Fields no trail shows: the namespace would let anyone derive member ids from card numbers."""


def _roots(event: Any) -> list[str]:
    """The unit this event puts at the top of the tree, if it does."""
    unit = (
        event.unit
        if isinstance(event, UnitEstablished)
        else event.successor
        if isinstance(event, UnitsSucceeded)
        else None
    )
    return [unit.id] if unit is not None and unit.parent_id is None else []


def _unreadable_row(
    entry: Entry, problem: str, recorded: Any, member: Any, units: list[str]
) -> tuple[Any, ...]:
    """An event that cannot be shown: its position, topic and problem, recorded no earlier than
    the event before it (its own time is unknown), under the subject its aggregate had."""
    details = {"topic": entry.row.topic, "problem": problem}
    if member is not None:
        details = {"member_id": str(member), **details}
    return (
        entry.row.notification_id, entry.row.originator_id, entry.row.originator_version,
        "Unreadable", None, recorded, None, None, None, None, None, None, member,
        sorted(units), json.dumps(details),
    )  # fmt: skip
