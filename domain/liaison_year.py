"""The liaison's yearly round: open the cycle, assess, confirm, report back, answer requests."""

from __future__ import annotations

from uuid import UUID

from domain import liaison_events as ev
from domain.errors import Duplicate, Malformed
from domain.liaison_guards import LiaisonGuards, wrong_state
from domain.policy import Policy
from domain.stamp import Stamp


class AnnualCycle(LiaisonGuards):
    """Đánh giá hằng năm: the commands of each year's assessment cycle and on-demand requests."""

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
            raise wrong_state(
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
            raise wrong_state(
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
            raise wrong_state(
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
            raise wrong_state(state, "No such assessment request", "Không có yêu cầu này")
        if request.provided_on is not None:
            raise Duplicate("This request was already answered.", "Yêu cầu này đã được trả lời.")
        if grade is not None:
            policy.grade(grade)
        self.trigger_event(
            ev.AssessmentProvided, request_id=request_id, grade=grade, **stamp.fields()
        )
