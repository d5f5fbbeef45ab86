"""The liaison's yearly round: open the cycle, assess, confirm, report back, answer requests."""

from __future__ import annotations

from uuid import UUID

from domain import liaison_events as ev
from domain.errors import Duplicate, Malformed
from domain.liaison_guards import LiaisonGuards, wrong_state
from domain.ordering import require_after, require_in_window, require_order
from domain.policy import Policy
from domain.roles import Action
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
        late_reason: str | None = None,
    ) -> None:
        """The cell's annual assessment of the year, graded on the scale in force, made inside
        the regulation's window (after it only with the reason it is late)."""
        state = self._active(stamp, Action.ASSESS)
        assert state.cycle_year is not None
        if state.assessment(year) is not None:
            raise Duplicate("The year {year} is already assessed.", year=year)
        if year not in (state.cycle_year, state.cycle_year - 1) or year > stamp.effective_date.year:
            raise wrong_state(
                state,
                "The year {year} is not the open cycle ({cycle})",
                year=year,
                cycle=state.cycle_year,
            )
        policy.grade(grade)
        late = require_in_window(year, stamp.effective_date, policy.deadlines, late_reason)
        if policy.front_committee_joins and not front_committee_representative:
            raise Malformed(
                "Under Regulation {regulation} the Front work committee joins the assessment:"
                " name its representative.",
                regulation=policy.regulation,
            )
        self.trigger_event(
            ev.Assessed,
            year=year,
            grade=grade,
            front_committee_representative=front_committee_representative,
            late_reason=late_reason if late else None,
            **stamp.fields(),
        )

    def confirm_assessment(self, stamp: Stamp, year: int) -> None:
        """The commune/ward committee confirms the cell's assessment."""
        record = self._open(stamp, Action.CONFIRM_ASSESSMENT).assessment(year)
        if record is None:
            raise wrong_state(self.state, "The year {year} has not been assessed", year=year)
        if record.confirmed_on is not None:
            raise Duplicate("The assessment of {year} is already confirmed.", year=year)
        self._in_order(stamp, Action.CONFIRM_ASSESSMENT, year, ev.AssessmentConfirmed)

    def report_back(self, stamp: Stamp, year: int) -> None:
        """Send the confirmed assessment back to the workplace committee."""
        record = self._open(stamp, Action.REPORT_BACK).assessment(year)
        if record is None or record.confirmed_on is None:
            raise wrong_state(self.state, "The year {year} has no confirmed assessment", year=year)
        if record.reported_on is not None:
            raise Duplicate("The result of {year} was already reported back.", year=year)
        self._in_order(stamp, Action.REPORT_BACK, year, ev.ReportedBack)

    def _in_order(
        self, stamp: Stamp, action: Action, year: int, event: type[ev.LiaisonEvent]
    ) -> None:
        """Record the year's step (`event`), dated in order after the step before it."""
        require_order(self.state, action, stamp.effective_date, year)
        self.trigger_event(event, year=year, **stamp.fields())

    def open_cycle(self, stamp: Stamp, year: int) -> None:
        """Begin the annual cycle of `year` (normally on 1 January)."""
        state = self._received(stamp, Action.OPEN_CYCLE)
        assert state.cycle_year is not None
        if year <= state.cycle_year:
            raise Duplicate("The cycle of {year} is already open.", year=year)
        if year > stamp.effective_date.year:
            raise Malformed(
                "The cycle of {year} cannot open in {current_year}.",
                year=year,
                current_year=stamp.effective_date.year,
            )
        self.trigger_event(ev.CycleOpened, year=year, **stamp.fields())

    def request_assessment(self, stamp: Stamp, request_id: UUID, purpose: str) -> None:
        """The workplace asks the residence for an assessment, for a stated purpose."""
        state = self._received(stamp, Action.REQUEST_ASSESSMENT)
        if state.request(request_id) is not None:
            raise Duplicate("This request was already made.")
        self.trigger_event(
            ev.AssessmentRequested, request_id=request_id, purpose=purpose, **stamp.fields()
        )

    def provide_assessment(
        self, stamp: Stamp, request_id: UUID, grade: str | None, policy: Policy
    ) -> None:
        """The residence answers an on-demand request."""
        state = self._received(stamp, Action.PROVIDE_ASSESSMENT)
        request = state.request(request_id)
        if request is None:
            raise wrong_state(state, "No such assessment request")
        if request.provided_on is not None:
            raise Duplicate("This request was already answered.")
        require_after(
            Action.PROVIDE_ASSESSMENT,
            stamp.effective_date,
            Action.REQUEST_ASSESSMENT,
            request.requested_on,
        )
        if grade is not None:
            policy.grade(grade)
        self.trigger_event(
            ev.AssessmentProvided, request_id=request_id, grade=grade, **stamp.fields()
        )
