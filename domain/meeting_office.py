"""Meetings: one cell meeting recorded once and delivered to each member's liaison in batches."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from domain import commands as cmd
from domain.application import MAX_EVENTS_PER_SAVE, derived_id
from domain.errors import HiddenRecord, UnknownUnit
from domain.liaison import Liaison
from domain.meeting import Meeting
from domain.registration import Registration, Saved
from domain.roles import Action


class MeetingDesk(Registration):
    """The cell secretary's meeting record: many members' liaisons from one command."""

    def record_meeting(self, command: cmd.RecordMeeting) -> UUID:
        """A cell's meeting: recorded once, then delivered to each member's liaison in batches."""
        meeting_id = derived_id(command.command_id, "meeting")

        def decide(today: date) -> Saved:
            self._authorise(command, Action.RECORD_MEETING, today, command.cell_id)
            day = command.effective_date
            policy = self.policy(day, command.cell_id)
            stamp = self._stamp(command, policy)
            meeting = self._existing_meeting(meeting_id) or Meeting.hold(
                meeting_id, stamp, command.cell_id, command.ad_hoc, command.attendance
            )
            cell = self.tree().in_force(command.cell_id, day).id
            liaisons = []
            for entry in command.attendance:
                liaison = self._listed(entry.liaison_id, cell, day)
                liaison.record_attendance(
                    stamp, meeting_id, command.cell_id, entry.attendance, self.tree()
                )
                liaisons.append(liaison)
            pending = [a for a in liaisons if a.pending_events]
            # Deliver all but the last batch now; the last goes with the receipt, atomically.
            cut = MAX_EVENTS_PER_SAVE - 2
            if meeting.pending_events or len(pending) > cut:
                self.save(meeting)
            while len(pending) > cut:
                self.save(*pending[:cut])
                pending = pending[cut:]
            return list(pending), {"meeting_id": str(meeting_id)}

        return UUID(self._execute(command, decide)["meeting_id"])

    def _listed(self, liaison_id: UUID, cell_id: str, day: date) -> Liaison:
        """A liaison of the meeting's cell; any other is answered as if it did not exist."""
        liaison = self.liaison(liaison_id)
        cell = liaison.state.cell_id
        try:
            if cell is not None and self.tree().in_force(cell, day).id == cell_id:
                return liaison
        except UnknownUnit:
            pass
        raise HiddenRecord("liaison")

    def _existing_meeting(self, meeting_id: UUID) -> Meeting | None:
        try:
            meeting: Any = self.repository.get(meeting_id)
        except AggregateNotFoundError:
            return None
        return meeting if isinstance(meeting, Meeting) else None
