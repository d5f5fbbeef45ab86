"""The events of a liaison; each evolves a `LiaisonState` (the one place that rule is stated)."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from domain.events import Creation, Recorded
from domain.state import (
    AssessmentRecord,
    Attendance,
    ClosingReason,
    LiaisonState,
    MeetingRecord,
    RequestRecord,
)


class LiaisonEvent(Recorded):
    """An event of one liaison; `evolve` gives the state after it."""

    def evolve(self, state: LiaisonState) -> LiaisonState:
        """The state after this event (the base event changes nothing but the version)."""
        return state.model_copy(update={"version": self.originator_version})

    def apply(self, aggregate: Any) -> None:
        aggregate.state = self.evolve(aggregate.state)

    def _next(self, state: LiaisonState, **changes: Any) -> LiaisonState:
        return state.model_copy(update={"version": self.originator_version, **changes})


class Referred(LiaisonEvent, Creation):
    """Giới thiệu: the workplace committee introduced the member to their residence commune."""

    member_id: UUID
    member_name: str
    workplace_unit_id: str
    residence_commune_id: str
    residence_kind: str
    predecessor_id: UUID | None = None

    def evolve(self, state: LiaisonState | None) -> LiaisonState:
        return LiaisonState(
            liaison_id=self.originator_id,
            version=self.originator_version,
            member_id=self.member_id,
            member_name=self.member_name,
            workplace_unit_id=self.workplace_unit_id,
            residence_commune_id=self.residence_commune_id,
            residence_kind=self.residence_kind,
            referred_on=self.effective_date,
            regulation_at_referral=self.regulation,
            predecessor_id=self.predecessor_id,
        )

    def apply(self, aggregate: Any) -> None:
        aggregate.state = self.evolve(None)


class ReceivedByCommune(LiaisonEvent):
    """Tiếp nhận: the commune/ward committee listed the member and assigned a cell."""

    cell_id: str

    def evolve(self, state: LiaisonState) -> LiaisonState:
        return self._next(state, cell_id=self.cell_id, commune_received_on=self.effective_date)


class ReceivedByCell(LiaisonEvent):
    """The cell entered the member in its book; the first annual cycle opens."""

    def evolve(self, state: LiaisonState) -> LiaisonState:
        return self._next(
            state,
            cell_received_on=self.effective_date,
            cycle_year=self.effective_date.year,
            cycle_opened_on=self.effective_date,
        )


class MeetingAttendanceRecorded(LiaisonEvent):
    """How the member stood at one meeting of their cell."""

    meeting_id: UUID
    attendance: Attendance

    def evolve(self, state: LiaisonState) -> LiaisonState:
        record = MeetingRecord(
            meeting_id=self.meeting_id, held_on=self.effective_date, attendance=self.attendance
        )
        return self._next(state, meetings=(*state.meetings, record))


class Assessed(LiaisonEvent):
    """Nhận xét, đánh giá: the cell (with the Front work committee under 213) assessed the year."""

    year: int
    grade: str
    front_committee_representative: str | None = None
    late_reason: str | None = None
    """Why an assessment made after the window's due date is late (None when on time)."""

    def evolve(self, state: LiaisonState) -> LiaisonState:
        record = AssessmentRecord(
            year=self.year,
            grade=self.grade,
            regulation=self.regulation,
            assessed_on=self.effective_date,
            late_reason=self.late_reason,
        )
        return self._next(state, assessments=(*state.assessments, record))


def _update_assessment(state: LiaisonState, year: int, **changes: Any) -> tuple[Any, ...]:
    return tuple(a.model_copy(update=changes) if a.year == year else a for a in state.assessments)


class AssessmentConfirmed(LiaisonEvent):
    """The commune/ward committee confirmed the cell's assessment of the year."""

    year: int

    def evolve(self, state: LiaisonState) -> LiaisonState:
        updated = _update_assessment(state, self.year, confirmed_on=self.effective_date)
        return self._next(state, assessments=updated)


class ReportedBack(LiaisonEvent):
    """Thông báo kết quả: the year's assessment went back to the workplace committee."""

    year: int

    def evolve(self, state: LiaisonState) -> LiaisonState:
        updated = _update_assessment(state, self.year, reported_on=self.effective_date)
        return self._next(state, assessments=updated)


class CycleOpened(LiaisonEvent):
    """The next annual cycle (attending, assessed, reported back) began."""

    year: int

    def evolve(self, state: LiaisonState) -> LiaisonState:
        return self._next(state, cycle_year=self.year, cycle_opened_on=self.effective_date)


class AssessmentRequested(LiaisonEvent):
    """Lấy ý kiến nhận xét: the workplace asked the residence for an assessment, for a purpose."""

    request_id: UUID
    purpose: str

    def evolve(self, state: LiaisonState) -> LiaisonState:
        record = RequestRecord(
            request_id=self.request_id, purpose=self.purpose, requested_on=self.effective_date
        )
        return self._next(state, requests=(*state.requests, record))


class AssessmentProvided(LiaisonEvent):
    """The residence answered an on-demand request."""

    request_id: UUID
    grade: str | None = None

    def evolve(self, state: LiaisonState) -> LiaisonState:
        updated = tuple(
            r.model_copy(update={"provided_on": self.effective_date, "grade": self.grade})
            if r.request_id == self.request_id
            else r
            for r in state.requests
        )
        return self._next(state, requests=updated)


class ExemptedFromActivities(LiaisonEvent):
    """Miễn sinh hoạt: no meetings or annual assessment are expected while it stands."""

    reason: str

    def evolve(self, state: LiaisonState) -> LiaisonState:
        return self._next(state, exempt_reason=self.reason, exempt_since=self.effective_date)


class ActivitiesExemptionLifted(LiaisonEvent):
    """The exemption from activities ended; meetings and assessment are expected again."""

    def evolve(self, state: LiaisonState) -> LiaisonState:
        return self._next(
            state, exempt_reason=None, exempt_since=None, activities_resumed_on=self.effective_date
        )


class CommendationProposed(LiaisonEvent):
    """The residence cell proposed the member for commendation."""

    def evolve(self, state: LiaisonState) -> LiaisonState:
        return self._next(
            state, proposals=(*state.proposals, ("commendation", self.effective_date))
        )


class DisciplineProposed(LiaisonEvent):
    """The residence cell proposed discipline of the member."""

    def evolve(self, state: LiaisonState) -> LiaisonState:
        return self._next(state, proposals=(*state.proposals, ("discipline", self.effective_date)))


class Closed(LiaisonEvent):
    """The liaison ended: a move (naming the successor referral), retirement, expulsion, death…"""

    reason: ClosingReason
    successor_id: UUID | None = None

    def evolve(self, state: LiaisonState) -> LiaisonState:
        return self._next(
            state,
            closed_reason=self.reason,
            closed_on=self.effective_date,
            successor_id=self.successor_id,
        )


class ClosingSlipSent(LiaisonEvent):
    """The workplace committee sent up the slips of a member expelled, removed or deceased."""

    def evolve(self, state: LiaisonState) -> LiaisonState:
        return self._next(state, closing_slip_sent_on=self.effective_date)


class SuccessorReferred(LiaisonEvent):
    """After a move, the member was referred again; this names the new liaison."""

    successor_id: UUID

    def evolve(self, state: LiaisonState) -> LiaisonState:
        return self._next(state, successor_id=self.successor_id)


LIAISON_EVENTS: dict[str, type[LiaisonEvent]] = {
    cls.__name__: cls
    for cls in (
        Referred,
        ReceivedByCommune,
        ReceivedByCell,
        MeetingAttendanceRecorded,
        Assessed,
        AssessmentConfirmed,
        ReportedBack,
        CycleOpened,
        AssessmentRequested,
        AssessmentProvided,
        ExemptedFromActivities,
        ActivitiesExemptionLifted,
        CommendationProposed,
        DisciplineProposed,
        Closed,
        SuccessorReferred,
        ClosingSlipSent,
    )
}


def replay(events: list[LiaisonEvent]) -> LiaisonState:
    """The state after these events, in version order (for queries, workflows and projections)."""
    ordered = sorted(events, key=lambda e: e.originator_version)
    first = ordered[0]
    if not isinstance(first, Referred):
        raise ValueError("A liaison's history starts with Referred.")
    state = first.evolve(None)
    for event in ordered[1:]:
        state = event.evolve(state)
    return state


def on_or_before(day: date, events: list[LiaisonEvent]) -> list[LiaisonEvent]:
    """The events that had taken effect by that business date."""
    return [e for e in events if e.effective_date <= day]
