"""The Liaison aggregate: one member's residence relationship, from referral to closing."""

from __future__ import annotations

from uuid import UUID

from domain import liaison_events as ev
from domain.errors import Duplicate, Malformed
from domain.liaison_guards import wrong_state
from domain.liaison_year import AnnualCycle
from domain.messages import UnitRef
from domain.ordering import require_after, require_order
from domain.organisation import OrganisationTree, UnitKind
from domain.policy import Policy
from domain.roles import Action
from domain.stamp import Stamp
from domain.state import ENDINGS, MOVES, Attendance, ClosingReason, Stage


class Liaison(AnnualCycle):
    """Giữ mối liên hệ: guards every command on one liaison and records its events.

    The guards it shares are in `liaison_guards`, the yearly round's commands in `liaison_year`."""

    def __init__(self) -> None:
        """State comes from the events (see their `apply`)."""

    @classmethod
    def refer(
        cls,
        liaison_id: UUID,
        stamp: Stamp,
        *,
        member_id: UUID,
        member_name: str,
        workplace_unit_id: str,
        residence_commune_id: str,
        residence_kind: str,
        predecessor_id: UUID | None = None,
    ) -> Liaison:
        """Open a liaison by referral to the residence commune."""
        return cls._create(
            ev.Referred,
            id=liaison_id,
            member_id=member_id,
            member_name=member_name,
            workplace_unit_id=workplace_unit_id,
            residence_commune_id=residence_commune_id,
            residence_kind=residence_kind,
            predecessor_id=predecessor_id,
            **stamp.fields(),
        )

    def receive_at_commune(self, stamp: Stamp, cell_id: str, tree: OrganisationTree) -> None:
        """The commune/ward committee receives the referral and assigns a residence cell."""
        state = self._open(stamp, Action.RECEIVE_AT_COMMUNE)
        if state.stage is not Stage.REFERRED:
            raise Duplicate("The commune has already received this referral.")
        cell = tree.in_force(cell_id, stamp.effective_date)
        if cell.kind is not UnitKind.RESIDENCE_CELL or not tree.is_within(
            cell_id, state.residence_commune_id, stamp.effective_date
        ):
            raise Malformed(
                "{cell} is not a residence cell of {commune}.",
                cell=UnitRef(cell_id),
                commune=UnitRef(state.residence_commune_id),
            )
        self.trigger_event(ev.ReceivedByCommune, cell_id=cell_id, **stamp.fields())

    def receive_at_cell(self, stamp: Stamp) -> None:
        """The residence cell enters the member in its book."""
        state = self._open(stamp, Action.RECEIVE_AT_CELL)
        if state.stage is Stage.REFERRED:
            raise wrong_state(state, "The commune has not received the referral yet")
        if state.stage is not Stage.RECEIVED_BY_COMMUNE:
            raise Duplicate("The cell has already received this member.")
        require_order(state, Action.RECEIVE_AT_CELL, stamp.effective_date)
        self.trigger_event(ev.ReceivedByCell, **stamp.fields())

    def record_attendance(
        self,
        stamp: Stamp,
        meeting_id: UUID,
        cell_id: str,
        attendance: Attendance,
        tree: OrganisationTree,
    ) -> None:
        """Record how the member stood at a meeting of their cell (once per meeting)."""
        state = self._active(stamp, Action.RECORD_MEETING)
        if state.attended(meeting_id):
            return
        assert state.cell_id is not None
        assert state.cell_received_on is not None
        day = stamp.effective_date
        if tree.in_force(cell_id, day).id != tree.in_force(state.cell_id, day).id:
            raise Malformed(
                "{member} does not attend the cell {cell}.",
                member=state.member_name,
                cell=UnitRef(cell_id),
            )
        self.trigger_event(
            ev.MeetingAttendanceRecorded,
            meeting_id=meeting_id,
            attendance=attendance,
            **stamp.fields(),
        )

    def exempt_from_activities(self, stamp: Stamp, reason: str, policy: Policy) -> None:
        """The workplace committee exempts the member from residence activities."""
        state = self._open(stamp, Action.EXEMPT_FROM_ACTIVITIES)
        if state.is_exempt_from_activities:
            raise Duplicate("The member is already exempt from activities.")
        policy.exemption(reason, from_activities=True)
        self.trigger_event(ev.ExemptedFromActivities, reason=reason, **stamp.fields())

    def lift_activities_exemption(self, stamp: Stamp) -> None:
        """End an exemption from activities."""
        state = self._open(stamp, Action.EXEMPT_FROM_ACTIVITIES)
        if not state.is_exempt_from_activities:
            raise wrong_state(state, "The member is not exempt from activities")
        self.trigger_event(ev.ActivitiesExemptionLifted, **stamp.fields())

    def propose(self, stamp: Stamp, *, discipline: bool) -> None:
        """The residence cell proposes commendation or discipline."""
        self._received(stamp, Action.PROPOSE)
        event = ev.DisciplineProposed if discipline else ev.CommendationProposed
        if not stamp.comment:
            raise Malformed("A proposal needs its grounds.")
        self.trigger_event(event, **stamp.fields())

    def close(self, stamp: Stamp, reason: ClosingReason, successor_id: UUID | None) -> None:
        """End the liaison; a move may name the successor referral."""
        self._open(stamp, Action.CLOSE)
        if successor_id is not None and reason not in MOVES:
            raise Malformed("Only a move has a successor referral.")
        self.trigger_event(ev.Closed, reason=reason, successor_id=successor_id, **stamp.fields())

    def send_closing_slip(self, stamp: Stamp) -> None:
        """Record the slips sent up after an expulsion, a removal from the rolls or a death."""
        state = self.state
        if state.closed_reason not in ENDINGS:
            raise wrong_state(
                state,
                "Only a liaison ended by expulsion, removal from the rolls or death has"
                " closing slips",
            )
        if state.closing_slip_sent_on is not None:
            raise Duplicate(
                "The closing slips of {member} were sent on {day}.",
                member=state.member_name,
                day=state.closing_slip_sent_on,
            )
        require_after(Action.SEND_CLOSING_SLIP, stamp.effective_date, Action.CLOSE, state.closed_on)
        self.trigger_event(ev.ClosingSlipSent, **stamp.fields())

    def link_successor(self, stamp: Stamp, successor_id: UUID) -> None:
        """Name the new referral of a member whose liaison closed by a move."""
        state = self.state
        if state.closed_reason not in MOVES or state.successor_id is not None:
            raise wrong_state(state, "Only a liaison closed by a move awaits a new referral")
        assert state.closed_on is not None
        if stamp.effective_date < state.closed_on:
            raise Malformed(
                "The new referral on {day} is before the move on {earlier}.",
                day=stamp.effective_date,
                earlier=state.closed_on,
            )
        self.trigger_event(ev.SuccessorReferred, successor_id=successor_id, **stamp.fields())


__all__ = ["ClosingReason", "Liaison"]
