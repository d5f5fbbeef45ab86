"""The Meeting aggregate: one meeting of a residence cell, reaching many members' liaisons."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.domain import BaseAggregate
from pydantic import BaseModel, ConfigDict

from domain.errors import Malformed
from domain.events import Creation, Recorded
from domain.messages import Count
from domain.stamp import Stamp
from domain.state import Attendance, LiaisonState

NAMES_IN_A_REFUSAL = 10
"""How many missing members a roster refusal names (it counts the rest)."""


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


def expected_at_meeting(state: LiaisonState) -> bool:
    """Must this member be accounted for at a regular meeting of their cell (the state as it
    stood on the meeting's day): received by the cell, not closed, not exempt from activities."""
    return (
        state.cell_received_on is not None
        and state.closed_reason is None
        and not state.is_exempt_from_activities
    )


def settled_by(state: LiaisonState, day: date) -> bool:
    """True when nothing that decides `expected_at_meeting` happened after `day`, so that the
    state as it is now answers for that day."""
    changes = (
        state.cell_received_on,
        state.closed_on,
        state.exempt_since,
        state.activities_resumed_on,
    )
    return all(changed is None or changed <= day for changed in changes)


def check_roster(expected: Iterable[LiaisonState], attendance: Iterable[AttendanceEntry]) -> None:
    """A regular meeting accounts for every member expected (present, absent with or without
    reason, or a relative sent); refuse a list that leaves anyone out, naming them."""
    listed = {entry.liaison_id for entry in attendance}
    missing = sorted(s.member_name for s in expected if s.liaison_id not in listed)
    if not missing:
        return
    if len(missing) <= NAMES_IN_A_REFUSAL:
        raise Malformed(
            "The attendance list leaves out {members}: a regular meeting accounts for every "
            "member the cell received (present, absent with or without reason, or a relative "
            "sent).",
            members=tuple(missing),
        )
    raise Malformed(
        "The attendance list leaves out {missing} members, among them {members}: a regular "
        "meeting accounts for every member the cell received (present, absent with or without "
        "reason, or a relative sent).",
        missing=Count(len(missing)),
        members=tuple(missing[:NAMES_IN_A_REFUSAL]),
    )
