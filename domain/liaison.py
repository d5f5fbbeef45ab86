"""The Liaison aggregate: one member's residence relationship, from referral to closing."""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import BaseAggregate

from domain import liaison_events as ev
from domain.errors import Duplicate, Malformed, WrongState
from domain.organisation import OrganisationTree, UnitKind
from domain.policy import Policy
from domain.stamp import Stamp
from domain.state import MOVES, Attendance, ClosingReason, LiaisonState, Stage

RECEIVED_STAGES = frozenset({Stage.ATTENDING, Stage.ASSESSED, Stage.REPORTED_BACK})


def _wrong_state(state: LiaisonState, en: str, vi: str) -> WrongState:
    return WrongState(
        f"{en} (liaison of {state.member_name} is {state.stage.value}).",
        f"{vi} (quan hệ của {state.member_name} đang ở bước {state.stage.value}).",
    )


class Liaison(BaseAggregate[UUID]):
    """Giữ mối liên hệ: guards every command on one liaison and records its events."""

    state: LiaisonState

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

    def _open(self, stamp: Stamp) -> LiaisonState:
        state = self.state
        if state.stage is Stage.CLOSED:
            raise _wrong_state(state, "The liaison is closed", "Quan hệ đã kết thúc")
        if stamp.effective_date < state.referred_on:
            raise Malformed(
                f"{stamp.effective_date} is before the referral of {state.referred_on}.",
                f"Ngày {stamp.effective_date} trước ngày giới thiệu {state.referred_on}.",
            )
        return state

    def _received(self, stamp: Stamp) -> LiaisonState:
        state = self._open(stamp)
        if state.stage not in RECEIVED_STAGES:
            raise _wrong_state(
                state, "The cell has not received the member yet", "Chi bộ chưa tiếp nhận đảng viên"
            )
        if state.cell_received_on is not None and stamp.effective_date < state.cell_received_on:
            raise Malformed(
                f"{stamp.effective_date} is before the cell received the member "
                f"({state.cell_received_on}).",
                f"Ngày {stamp.effective_date} trước ngày chi bộ tiếp nhận "
                f"({state.cell_received_on}).",
            )
        return state

    def _active(self, stamp: Stamp) -> LiaisonState:
        state = self._received(stamp)
        if state.is_exempt_from_activities:
            raise _wrong_state(
                state, "The member is exempt from activities", "Đảng viên được miễn sinh hoạt"
            )
        return state

    def receive_at_commune(self, stamp: Stamp, cell_id: str, tree: OrganisationTree) -> None:
        """The commune/ward committee receives the referral and assigns a residence cell."""
        state = self._open(stamp)
        if state.stage is not Stage.REFERRED:
            raise Duplicate(
                "The commune has already received this referral.",
                "Đảng ủy xã/phường đã tiếp nhận giới thiệu này.",
            )
        cell = tree.in_force(cell_id, stamp.effective_date)
        if cell.kind is not UnitKind.RESIDENCE_CELL or not tree.is_within(
            cell_id, state.residence_commune_id, stamp.effective_date
        ):
            raise Malformed(
                f"{cell_id} is not a residence cell of {state.residence_commune_id}.",
                f"{cell_id} không phải chi bộ nơi cư trú thuộc {state.residence_commune_id}.",
            )
        self.trigger_event(ev.ReceivedByCommune, cell_id=cell_id, **stamp.fields())

    def receive_at_cell(self, stamp: Stamp) -> None:
        """The residence cell enters the member in its book."""
        state = self._open(stamp)
        if state.stage is Stage.REFERRED:
            raise _wrong_state(
                state,
                "The commune has not received the referral yet",
                "Đảng ủy xã/phường chưa tiếp nhận",
            )
        if state.stage is not Stage.RECEIVED_BY_COMMUNE:
            raise Duplicate(
                "The cell has already received this member.", "Chi bộ đã tiếp nhận đảng viên này."
            )
        assert state.commune_received_on is not None
        if stamp.effective_date < state.commune_received_on:
            raise Malformed(
                "The cell cannot receive before the commune did.",
                "Chi bộ không thể tiếp nhận trước đảng ủy xã/phường.",
            )
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
        state = self._active(stamp)
        if state.attended(meeting_id):
            return
        assert state.cell_id is not None
        assert state.cell_received_on is not None
        day = stamp.effective_date
        if tree.in_force(cell_id, day).id != tree.in_force(state.cell_id, day).id:
            raise Malformed(
                f"{state.member_name} is not a member of cell {cell_id}.",
                f"{state.member_name} không sinh hoạt ở chi bộ {cell_id}.",
            )
        if day < state.cell_received_on:
            raise Malformed(
                "The meeting was held before the cell received the member.",
                "Cuộc họp diễn ra trước khi chi bộ tiếp nhận đảng viên.",
            )
        self.trigger_event(
            ev.MeetingAttendanceRecorded,
            meeting_id=meeting_id,
            attendance=attendance,
            **stamp.fields(),
        )

    def assess(
        self,
        stamp: Stamp,
        year: int,
        grade: str,
        policy: Policy,
        front_committee_representative: str | None,
    ) -> None:
        """The cell's annual assessment of the year, graded on the scale in force."""
        state = self._active(stamp)
        assert state.cycle_year is not None
        if state.assessment(year) is not None:
            raise Duplicate(f"{year} is already assessed.", f"Năm {year} đã được đánh giá.")
        if year not in (state.cycle_year, state.cycle_year - 1) or year > stamp.effective_date.year:
            raise _wrong_state(
                state,
                f"{year} is not the open cycle {state.cycle_year}",
                f"Năm {year} không phải chu kỳ đang mở {state.cycle_year}",
            )
        policy.grade(grade)
        if policy.front_committee_joins and not front_committee_representative:
            raise Malformed(
                "Under Regulation 213 the Front work committee joins the assessment: name them.",
                "Theo Quy định 213, ban công tác Mặt trận cùng nhận xét: ghi tên người tham gia.",
            )
        self.trigger_event(
            ev.Assessed,
            year=year,
            grade=grade,
            front_committee_representative=front_committee_representative,
            **stamp.fields(),
        )

    def confirm_assessment(self, stamp: Stamp, year: int) -> None:
        """The commune/ward committee confirms the cell's assessment."""
        self._open(stamp)
        record = self.state.assessment(year)
        if record is None:
            raise _wrong_state(
                self.state, f"{year} has not been assessed", f"Năm {year} chưa được đánh giá"
            )
        if record.confirmed_on is not None:
            raise Duplicate(f"{year} is already confirmed.", f"Năm {year} đã được xác nhận.")
        self.trigger_event(ev.AssessmentConfirmed, year=year, **stamp.fields())

    def report_back(self, stamp: Stamp, year: int) -> None:
        """Send the confirmed assessment back to the workplace committee."""
        self._open(stamp)
        record = self.state.assessment(year)
        if record is None or record.confirmed_on is None:
            raise _wrong_state(
                self.state,
                f"{year} has no confirmed assessment",
                f"Năm {year} chưa có đánh giá được xác nhận",
            )
        if record.reported_on is not None:
            raise Duplicate(
                f"{year} was already reported back.", f"Kết quả năm {year} đã được thông báo."
            )
        self.trigger_event(ev.ReportedBack, year=year, **stamp.fields())

    def open_cycle(self, stamp: Stamp, year: int) -> None:
        """Begin the annual cycle of `year` (normally on 1 January)."""
        state = self._received(stamp)
        assert state.cycle_year is not None
        if year <= state.cycle_year:
            raise Duplicate(f"The {year} cycle is already open.", f"Chu kỳ năm {year} đã được mở.")
        if year > stamp.effective_date.year:
            raise Malformed(
                f"The {year} cycle cannot open in {stamp.effective_date.year}.",
                f"Không thể mở chu kỳ {year} trong năm {stamp.effective_date.year}.",
            )
        self.trigger_event(ev.CycleOpened, year=year, **stamp.fields())

    def request_assessment(self, stamp: Stamp, request_id: UUID, purpose: str) -> None:
        """The workplace asks the residence for an assessment, for a stated purpose."""
        state = self._received(stamp)
        if state.request(request_id) is not None:
            raise Duplicate("This request was already made.", "Yêu cầu này đã được gửi.")
        self.trigger_event(
            ev.AssessmentRequested, request_id=request_id, purpose=purpose, **stamp.fields()
        )

    def provide_assessment(
        self, stamp: Stamp, request_id: UUID, grade: str | None, policy: Policy
    ) -> None:
        """The residence answers an on-demand request."""
        state = self._received(stamp)
        request = state.request(request_id)
        if request is None:
            raise _wrong_state(state, "No such assessment request", "Không có yêu cầu này")
        if request.provided_on is not None:
            raise Duplicate("This request was already answered.", "Yêu cầu này đã được trả lời.")
        if grade is not None:
            policy.grade(grade)
        self.trigger_event(
            ev.AssessmentProvided, request_id=request_id, grade=grade, **stamp.fields()
        )

    def exempt_from_activities(self, stamp: Stamp, reason: str, policy: Policy) -> None:
        """The workplace committee exempts the member from residence activities."""
        state = self._open(stamp)
        if state.is_exempt_from_activities:
            raise Duplicate(
                "The member is already exempt from activities.", "Đảng viên đã được miễn sinh hoạt."
            )
        policy.exemption(reason, from_activities=True)
        self.trigger_event(ev.ExemptedFromActivities, reason=reason, **stamp.fields())

    def lift_activities_exemption(self, stamp: Stamp) -> None:
        """End an exemption from activities."""
        state = self._open(stamp)
        if not state.is_exempt_from_activities:
            raise _wrong_state(state, "The member is not exempt", "Đảng viên không được miễn")
        self.trigger_event(ev.ActivitiesExemptionLifted, **stamp.fields())

    def propose(self, stamp: Stamp, *, discipline: bool) -> None:
        """The residence cell proposes commendation or discipline."""
        self._received(stamp)
        event = ev.DisciplineProposed if discipline else ev.CommendationProposed
        if not stamp.comment:
            raise Malformed("A proposal needs its grounds.", "Đề nghị cần nêu lý do.")
        self.trigger_event(event, **stamp.fields())

    def close(self, stamp: Stamp, reason: ClosingReason, successor_id: UUID | None) -> None:
        """End the liaison; a move may name the successor referral."""
        self._open(stamp)
        if successor_id is not None and reason not in MOVES:
            raise Malformed(
                "Only a move has a successor referral.",
                "Chỉ khi chuyển nơi ở/nơi làm việc mới có giới thiệu tiếp theo.",
            )
        self.trigger_event(ev.Closed, reason=reason, successor_id=successor_id, **stamp.fields())

    def link_successor(self, stamp: Stamp, successor_id: UUID) -> None:
        """Name the new referral of a member whose liaison closed by a move."""
        state = self.state
        if state.closed_reason not in MOVES or state.successor_id is not None:
            raise _wrong_state(
                state,
                "Only a liaison closed by a move awaits a new referral",
                "Chỉ quan hệ kết thúc do chuyển đi mới chờ giới thiệu lại",
            )
        assert state.closed_on is not None
        if stamp.effective_date < state.closed_on:
            raise Malformed(
                f"The new referral of {stamp.effective_date} is before the move of "
                f"{state.closed_on}.",
                f"Ngày giới thiệu lại {stamp.effective_date} trước ngày chuyển đi "
                f"{state.closed_on}.",
            )
        self.trigger_event(ev.SuccessorReferred, successor_id=successor_id, **stamp.fields())


__all__ = ["ClosingReason", "Liaison"]
