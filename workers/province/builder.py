"""The shared context of a build: tree, actor, policy, stamps and scope checks, decided once."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from uuid import UUID, uuid5

from eventsourcing.domain import BaseAggregate

from domain import commands as cmd
from domain.cell_book import CellBook, cell_book_id
from domain.commands import derived_id
from domain.errors import FutureDate, Malformed, OutOfScope, Refused
from domain.meeting import AttendanceEntry, Meeting
from domain.member import Member, member_id_for
from domain.messages import UnitRef
from domain.organisation import WORKPLACE_KINDS, OrganisationTree, UnitKind
from domain.policy import Policy, PolicyOverride, policy_in_force
from domain.registry import LEGACY_MEMBER_NAMESPACE
from domain.roles import Action, Actor, authorise, keeps_the_book_of
from domain.stamp import Stamp
from domain.state import Attendance
from workers.province.records import MEMBERS, MemberRecord, RowError, Where

IMPORT_NAMESPACE = UUID("5d0b8a8e-61f4-4b3e-9f57-1c2a7e4d9b30")
"""Where the import derived its step ids before December 2026 (stores of that time keep it)."""


def import_namespace(member_namespace: UUID) -> UUID:
    """The namespace of the import's step ids: secret with the store's, as member ids are."""
    if member_namespace == LEGACY_MEMBER_NAMESPACE:
        return IMPORT_NAMESPACE
    return uuid5(member_namespace, "import")


def step_id(namespace: UUID, card: str, step: str) -> UUID:
    """The command id of one step of a member's imported history: the same on every re-run."""
    return uuid5(namespace, f"{card.strip().upper()}:{step}")


def meeting_command_id(cell_id: str, day: date) -> UUID:
    """One meeting per cell and day, whichever member's row names it."""
    return uuid5(IMPORT_NAMESPACE, f"meeting:{cell_id}:{day.isoformat()}")


@dataclass(frozen=True)
class MeetingNote:
    """One member's attendance at a cell's meeting, gathered for the meeting's own record."""

    meeting_id: UUID
    command_id: UUID
    cell_id: str
    day: date
    entry: AttendanceEntry


class Context:
    """What every step needs: the tree, who imports, today, the cause, and the policy in force."""

    def __init__(
        self,
        tree: OrganisationTree,
        actor: Actor,
        today: date,
        comment: str,
        overrides: tuple[PolicyOverride, ...] = (),
        *,
        namespace: UUID,
    ) -> None:
        self.tree = tree
        self.namespace = namespace
        """The store's member namespace (`LiaisonOffice.id_namespace`)."""
        self.steps = import_namespace(namespace)
        self.actor = actor
        self.today = today
        self.comment = comment
        self.overrides = overrides
        self._policies: dict[tuple[date, str], Policy] = {}
        self._allowed: set[tuple[Action, tuple[str, ...], str | None]] = set()
        self._meetings: dict[tuple[str, date], tuple[UUID, UUID]] = {}
        tree.in_force(actor.unit_id, today)

    def policy(self, day: date, unit_id: str) -> Policy:
        """The policy in force that day for the unit's province (overrides applied)."""
        province = self.tree.province_of(unit_id, day).id if self.overrides else ""
        key = (day, province)
        if key not in self._policies:
            mine = tuple(o for o in self.overrides if o.province_id == province)
            self._policies[key] = policy_in_force(day, mine)
        return self._policies[key]

    def stamp(self, command_id: UUID, day: date, policy: Policy) -> Stamp:
        """The stamp of a step, refusing a date after today as the office does."""
        if day > self.today:
            raise FutureDate(
                "{day} is in the future (today is {today}).",
                day=day,
                today=self.today,
            )
        return Stamp.model_construct(
            actor=self.actor,
            command_id=command_id,
            effective_date=day,
            regulation=policy.regulation,
            comment=self.comment,
        )

    def authorise(self, action: Action, *unit_ids: str, residence: str | None = None) -> None:
        """The office's scope check for the importing actor (remembered once it passed); a step
        of a member residing in `residence` is also the book's keeper's to import."""
        key = (action, unit_ids, residence)
        if key in self._allowed:
            return
        try:
            authorise(self.actor, action, unit_ids, self.tree, self.today)
        except OutOfScope:
            if residence is None or not keeps_the_book_of(
                self.actor, residence, self.tree, self.today
            ):
                raise
        self._allowed.add(key)

    def require_kind(self, unit_id: str, ok: bool, template: str) -> None:
        """Refuse a unit of the wrong kind, as the office does (`template` names `{unit}`)."""
        if not ok:
            raise Malformed(template, unit=UnitRef(unit_id))

    def meeting_ids(self, cell_id: str, day: date) -> tuple[UUID, UUID]:
        """The meeting's command id and meeting id, derived from the cell and day."""
        key = (cell_id, day)
        if key not in self._meetings:
            command_id = meeting_command_id(cell_id, day)
            self._meetings[key] = (command_id, derived_id(command_id, "meeting"))
        return self._meetings[key]

    def cell_in_force(self, cell_id: str, day: date) -> str:
        """The id of the residence cell that carries `cell_id` on that day."""
        unit = self.tree.in_force(cell_id, day)
        self.require_kind(
            unit.id, unit.kind is UnitKind.RESIDENCE_CELL, "{unit} is not a residence cell."
        )
        return unit.id


Attended = tuple[tuple[str, int], list[tuple[str, str, str | None]]]
"""A meeting (cell, day's ordinal) and its attendance (liaison, attendance, absence reason)."""


class Meetings:
    """Attendance gathered from every member's rows, kept compactly, then one record per meeting."""

    def __init__(self) -> None:
        self.entries: dict[tuple[str, int], list[tuple[str, str, str | None]]] = {}

    def add(self, notes: Iterable[tuple[str, int, str, str, str | None]]) -> None:
        """Remember these attendances (cell, day's ordinal, liaison, attendance, reason) of
        members whose rows were all valid."""
        for cell_id, day, liaison_id, attendance, reason in notes:
            self.entries.setdefault((cell_id, day), []).append((liaison_id, attendance, reason))

    def __len__(self) -> int:
        return len(self.entries)

    def chunks(self, size: int) -> Iterator[list[Attended]]:
        """The meetings with their attendance, `size` at a time, for the builders."""
        items = list(self.entries.items())
        for start in range(0, len(items), size):
            yield items[start : start + size]

    def records(self, ctx: Context) -> Iterator[Meeting]:
        """Each meeting's record with its whole attendance list, by the meeting's own rules."""
        for key, attended in self.entries.items():
            yield hold(ctx, key, attended)


def hold(
    ctx: Context, key: tuple[str, int], attended: list[tuple[str, str, str | None]]
) -> Meeting:
    """The meeting of a cell on a day (`key`) held with its whole attendance list."""
    cell_id, ordinal = key
    day = date.fromordinal(ordinal)
    command_id, meeting_id = ctx.meeting_ids(cell_id, day)
    entries = tuple(
        AttendanceEntry(liaison_id=UUID(i), attendance=Attendance(a), absence_reason=r)
        for i, a, r in sorted(attended, key=lambda t: t[0])
    )
    stamp = ctx.stamp(command_id, day, ctx.policy(day, cell_id))
    return Meeting.hold(meeting_id, stamp, cell_id, False, entries)


class CellBooks:
    """The members each cell received, gathered from every member's rows; then each cell's book
    with the members it lacks entered (a re-run enters nobody twice)."""

    def __init__(self) -> None:
        self.cells: dict[str, list[UUID]] = {}

    def add(self, entered: Iterable[tuple[str, UUID]]) -> None:
        """Remember these receipts (of members whose rows were all valid)."""
        for cell_id, liaison_id in entered:
            self.cells.setdefault(cell_id, []).append(liaison_id)

    def records(
        self, ctx: Context, command_id: UUID, stored: Callable[[UUID], CellBook | None]
    ) -> Iterator[CellBook]:
        """Each cell's book with the new members entered, as stored (`stored`) or opened now."""
        stamp = ctx.stamp(command_id, ctx.today, ctx.policy(ctx.today, ctx.actor.unit_id))
        for cell_id, liaison_ids in self.cells.items():
            book = stored(cell_book_id(cell_id)) or CellBook.open(stamp, cell_id)
            for liaison_id in liaison_ids:
                book.enter(stamp, liaison_id)
            if book.pending_events:
                yield book


Blame = Where | Callable[[], Where]
"""A cell of the input, or how to name it: worked out only when a row is refused (a history's
steps name their cells lazily, most of them never refused)."""


@contextmanager
def at(where: Blame, columns: dict[str, Blame] | None = None) -> Iterator[None]:
    """Turn a domain refusal inside the block into a row error at that cell (or the code's cell)."""
    try:
        yield
    except Refused as refusal:
        cell = (columns or {}).get(refusal.code, where)
        raise RowError.refused(cell if isinstance(cell, Where) else cell(), refusal) from None


_FIELD_COLUMNS = {"workplace_unit_id": "workplace_unit"}
"""A command field whose column in the members table has another key."""


@contextmanager
def _at_field(rec: MemberRecord) -> Iterator[None]:
    """Blame a malformed field of the member's row on its own column (a CCCD, a name…)."""
    try:
        yield
    except Malformed as refusal:
        field = (refusal.field or "").split(".")[0]
        column = _FIELD_COLUMNS.get(field, field)
        if not column or not hasattr(rec, field):
            raise
        value = getattr(rec, field)
        where = Where(MEMBERS, rec.row, column, "" if value is None else str(value))
        raise RowError.refused(where, refusal) from None


Aggregates = list[BaseAggregate[UUID]]
Step = Callable[[], None]


def register(ctx: Context, rec: MemberRecord, day: date) -> Member:
    """Enter the member as `register_member` does: the command's field rules, then the unit's."""
    card = rec.party_card_number

    def w(column: str, value: str) -> Where:
        return Where(MEMBERS, rec.row, column, value)

    with at(w("party_card_number", card)), _at_field(rec):
        command = cmd.parse_command(
            cmd.RegisterMember,
            {
                "command_id": step_id(ctx.steps, card, "register"),
                "actor": ctx.actor,
                "effective_date": day,
                "name": rec.name,
                "birth_date": rec.birth_date,
                "party_card_number": card,
                "citizen_id": rec.citizen_id,
                "workplace_unit_id": rec.workplace_unit_id,
            },
        )
    # The registration takes the first date the row gives: a date in the future is that column's.
    dated = next(
        (key for key in ("registered_on", "referred_on", "exempt_on") if getattr(rec, key) == day),
        "registered_on",
    )
    with at(w("workplace_unit", rec.workplace_unit_id), {"future_date": w(dated, str(day))}):
        unit = ctx.tree.in_force(rec.workplace_unit_id, day)
        ctx.require_kind(unit.id, unit.kind in WORKPLACE_KINDS, "{unit} is not a workplace unit.")
        # A commune's book holds members referred to it: one never referred is the workplace's.
        residence = rec.commune_id if rec.referred_on is not None else None
        ctx.authorise(Action.REGISTER_MEMBER, unit.id, residence=residence or None)
        stamp = ctx.stamp(command.command_id, day, ctx.policy(day, unit.id))
        with _at_field(rec):  # a birth date in the future is the birth date's, not the unit's
            return Member.register(
                stamp,
                member_id=member_id_for(ctx.namespace, command.party_card_number),
                name=command.name,
                birth_date=command.birth_date,
                party_card_number=command.party_card_number,
                citizen_id=command.citizen_id,
                workplace_unit_id=unit.id,
            )
