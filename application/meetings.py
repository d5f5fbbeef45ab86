"""Meetings (sinh hoạt): one cell meeting, recorded once with its whole attendance list, and
delivered to each listed member's liaison in the same save (split only above the save cap).

A regular meeting accounts for every member the cell's book holds who was expected that day
(`domain.meeting.check_roster`), and a cell holds one regular meeting a day (`CellBook`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from uuid import UUID

from eventsourcing.domain import BaseAggregate

from application.outcome import Outcome
from application.use import Use
from application.work import Decision, Scope, Work
from domain import commands as cmd
from domain.cell_book import CellBook
from domain.errors import HiddenRecord, UnknownUnit
from domain.liaison import Liaison
from domain.liaison_events import on_or_before, replay
from domain.meeting import (
    AttendanceEntry,
    Meeting,
    check_roster,
    expected_at_meeting,
    settled_by,
)
from domain.organisation import UnitKind
from domain.roles import Action
from domain.state import Attendance, LiaisonState


def record_meeting(work: Work, command: cmd.RecordMeeting) -> Decision:
    """Sinh hoạt: a cell's meeting with the attendance of its working members.

    A cell's meeting with the attendance of every member listed."""
    meeting_id = cmd.derived_id(command.command_id, "meeting")
    day = command.effective_date
    stamp = work.stamp(work.policy(day, command.cell_id))
    cell = work.tree.in_force(command.cell_id, day).id
    attendance = command.attendance
    aggregates: list[BaseAggregate[UUID]] = []
    if command.others_present or not command.ad_hoc:
        expected = expected_members(work, cell, day)
        if command.others_present:
            attendance = _with_others_present(attendance, expected)
        if not command.ad_hoc:
            check_roster(expected, attendance)
            book = work.cell_book(cell) or CellBook.open(stamp, cell)
            book.note_regular_meeting(stamp, meeting_id)
            aggregates.append(book)
    meeting = work.meeting(meeting_id) or Meeting.hold(
        meeting_id, stamp, command.cell_id, command.ad_hoc, attendance
    )
    aggregates.insert(0, meeting)
    for entry in attendance:
        liaison = _listed(work, entry.liaison_id, cell, day)
        liaison.record_attendance(stamp, meeting_id, command.cell_id, entry.attendance, work.tree)
        aggregates.append(liaison)
    # A retry after an interrupted large meeting: what was saved then is not saved again.
    changed = [a for a in aggregates if a.pending_events]
    present = sum(1 for e in attendance if e.attendance is Attendance.PRESENT)
    outcome = Outcome(meeting_id=meeting_id, present=present, listed=len(attendance))
    return Decision(changed, outcome)


def expected_members(work: Work, cell_id: str, day: date) -> list[LiaisonState]:
    """Whom a regular meeting of the cell on that day accounts for: every member entered in its
    book (or the book of a cell it succeeded) and, as things stood that day, still expected."""
    tree = work.tree
    expected: list[LiaisonState] = []
    for unit in tree:
        if unit.kind is not UnitKind.RESIDENCE_CELL:
            continue
        if unit.id != cell_id and unit.successor_id is None:
            continue
        try:
            if tree.in_force(unit.id, day).id != cell_id:
                continue
        except UnknownUnit:
            continue
        book = work.cell_book(unit.id)
        for liaison_id in book.liaison_ids if book is not None else ():
            state = _state_on(work, work.liaison(liaison_id), day)
            if state is not None and expected_at_meeting(state):
                expected.append(state)
    return expected


def _state_on(work: Work, liaison: Liaison, day: date) -> LiaisonState | None:
    """The liaison as it stood on that day (None: not referred yet)."""
    if settled_by(liaison.state, day):
        return liaison.state
    events = on_or_before(day, work.office.history(liaison.id))
    return replay(events) if events else None


def _with_others_present(
    attendance: tuple[AttendanceEntry, ...], expected: Sequence[LiaisonState]
) -> tuple[AttendanceEntry, ...]:
    """The list completed with every expected member it leaves out, as present."""
    listed = {entry.liaison_id for entry in attendance}
    others = (
        AttendanceEntry(liaison_id=s.liaison_id, attendance=Attendance.PRESENT)
        for s in sorted(expected, key=lambda s: s.member_name)
        if s.liaison_id not in listed
    )
    return (*attendance, *others)


def _listed(work: Work, liaison_id: UUID, cell_id: str, day: date) -> Liaison:
    """A liaison of the meeting's cell; any other is answered as if it did not exist."""
    liaison = work.liaison(liaison_id)
    cell = liaison.state.cell_id
    try:
        if cell is not None and work.tree.in_force(cell, day).id == cell_id:
            return liaison
    except UnknownUnit:
        pass
    raise HiddenRecord("liaison")


def _cell(work: Work, command: cmd.RecordMeeting) -> Sequence[Scope]:
    return [Scope((command.cell_id,))]


USES = (
    Use(record_meeting, Action.RECORD_MEETING, _cell, "The meeting was recorded."),
)  # fmt: skip
