"""Meetings (sinh hoạt): one cell meeting, recorded once with its whole attendance list, and
delivered to each listed member's liaison in the same save (split only above the save cap)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from uuid import UUID

from eventsourcing.domain import BaseAggregate

from application.outcome import Outcome
from application.use import Use
from application.work import Decision, Scope, Work
from domain import commands as cmd
from domain.errors import HiddenRecord, UnknownUnit
from domain.liaison import Liaison
from domain.meeting import Meeting
from domain.roles import Action


def record_meeting(work: Work, command: cmd.RecordMeeting) -> Decision:
    """A cell's meeting with the attendance of every member listed."""
    meeting_id = cmd.derived_id(command.command_id, "meeting")
    day = command.effective_date
    stamp = work.stamp(work.policy(day, command.cell_id))
    meeting = work.meeting(meeting_id) or Meeting.hold(
        meeting_id, stamp, command.cell_id, command.ad_hoc, command.attendance
    )
    cell = work.tree.in_force(command.cell_id, day).id
    aggregates: list[BaseAggregate[UUID]] = [meeting]
    for entry in command.attendance:
        liaison = _listed(work, entry.liaison_id, cell, day)
        liaison.record_attendance(stamp, meeting_id, command.cell_id, entry.attendance, work.tree)
        aggregates.append(liaison)
    # A retry after an interrupted large meeting: what was saved then is not saved again.
    changed = [a for a in aggregates if a.pending_events]
    return Decision(changed, Outcome(meeting_id=meeting_id))


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
    Use(
        cmd.RecordMeeting, record_meeting, Action.RECORD_MEETING, _cell,
        "The meeting was recorded.",
        summary="Sinh hoạt: a cell's meeting with the attendance of its working members.",
    ),
)  # fmt: skip
