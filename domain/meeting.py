"""The Meeting aggregate: one meeting of a residence cell, reaching many members' liaisons."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.domain import BaseAggregate
from pydantic import BaseModel, ConfigDict

from domain.errors import Malformed
from domain.events import Creation, Recorded
from domain.stamp import Stamp
from domain.state import Attendance


class AttendanceEntry(BaseModel):
    """One line of the meeting's attendance list."""

    model_config = ConfigDict(frozen=True)

    liaison_id: UUID
    attendance: Attendance
    absence_reason: str | None = None


class MeetingHeld(Recorded, Creation):
    """A cell met its working members; the list says how each stood."""

    cell_id: str
    ad_hoc: bool = False
    attendance: tuple[AttendanceEntry, ...]

    def apply(self, aggregate: Any) -> None:
        aggregate.cell_id = self.cell_id
        aggregate.held_on = self.effective_date
        aggregate.attendance = self.attendance


class Meeting(BaseAggregate[UUID]):
    """Sinh hoạt chi bộ: the meeting is recorded once, then delivered to each member's liaison."""

    cell_id: str
    attendance: tuple[AttendanceEntry, ...]

    def __init__(self) -> None:
        """State comes from the events (see their `apply`)."""

    @classmethod
    def hold(
        cls,
        meeting_id: UUID,
        stamp: Stamp,
        cell_id: str,
        ad_hoc: bool,
        attendance: tuple[AttendanceEntry, ...],
    ) -> Meeting:
        """Record the meeting and its whole attendance list."""
        if not attendance:
            raise Malformed("A meeting needs its attendance list.")
        ids = [entry.liaison_id for entry in attendance]
        if len(set(ids)) != len(ids):
            raise Malformed("A member appears twice on the attendance list.")
        for entry in attendance:
            if entry.attendance is Attendance.ABSENT_WITH_REASON and not entry.absence_reason:
                raise Malformed("An absence with reason needs the reason.")
        return cls._create(
            MeetingHeld,
            id=meeting_id,
            cell_id=cell_id,
            ad_hoc=ad_hoc,
            attendance=attendance,
            **stamp.fields(),
        )
