"""Deadlines of a liaison under a policy on a date: the one statement of when something is due."""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from enum import StrEnum
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from domain.calendar import add_working_days
from domain.ordering import assessment_window
from domain.policy import DayCount, Deadlines, Policy
from domain.roles import Action
from domain.state import ENDINGS, MOVES, LiaisonState, Stage


class DeadlineKind(StrEnum):
    """Each thing a liaison can be waiting for."""

    RECEIPT = "receipt"
    MEETING = "meeting"
    ANNUAL_ASSESSMENT = "annual_assessment"
    REPORT_BACK = "report_back"
    ON_DEMAND_ASSESSMENT = "on_demand_assessment"
    REREFERRAL = "rereferral"
    CLOSING_SLIP = "closing_slip"
    REFERRAL = "referral"


class Deadline(BaseModel):
    """Something awaited: from when it is expected, when it falls due, who must act, on what."""

    model_config = ConfigDict(frozen=True)

    kind: DeadlineKind
    subject: str
    opens_on: date
    due_on: date
    awaited: Action
    unit_id: str

    def is_overdue(self, on: date) -> bool:
        """True when the date is past the due date."""
        return on > self.due_on

    @classmethod
    def within_days(
        cls,
        kind: DeadlineKind,
        subject: str,
        since: date,
        days: tuple[int, DayCount],
        awaited: Action,
        unit_id: str,
    ) -> Deadline:
        """Open from `since`, due `days` after it (a number, counted in calendar or working
        days)."""
        due_on = after_days(since, *days)
        return cls(
            kind=kind, subject=subject, opens_on=since, due_on=due_on, awaited=awaited,
            unit_id=unit_id,
        )  # fmt: skip


def add_months(day: date, months: int) -> date:
    """The same day `months` later, clamped to the month's end."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def after_days(start: date, days: int, counting: DayCount) -> date:
    """The due date `days` after `start`, counted in calendar or working days."""
    if counting is DayCount.WORKING:
        return add_working_days(start, days)
    return start + timedelta(days=days)


def _on(year: int, month_day: tuple[int, int]) -> date:
    return date(year, month_day[0], month_day[1])


def open_deadlines(
    state: LiaisonState, policy: Policy, on: date, *, closing_slips: bool = True
) -> list[Deadline]:
    """What the liaison is waiting for on that date, under that policy (opened deadlines only).

    `closing_slips=False` leaves out the closing slips' deadline: the rule of workflow runs
    begun before it existed (they replay as they ran)."""
    rules = policy.deadlines
    found: list[Deadline] = []
    commune, cell = state.residence_commune_id, state.cell_id or state.residence_commune_id
    if state.stage is Stage.CLOSED:
        if closing_slips:
            found.extend(_closing_slips_due(state, policy))
        if state.closed_reason in MOVES and state.successor_id is None and state.closed_on:
            found.append(
                Deadline.within_days(
                    DeadlineKind.REREFERRAL,
                    str(state.liaison_id),
                    state.closed_on,
                    (rules.rereferral_days, rules.counting),
                    Action.REFER,
                    state.workplace_unit_id,
                )
            )
        return [d for d in found if d.opens_on <= on]
    if state.stage in (Stage.REFERRED, Stage.RECEIVED_BY_COMMUNE):
        awaited = (
            Action.RECEIVE_AT_COMMUNE if state.stage is Stage.REFERRED else (Action.RECEIVE_AT_CELL)
        )
        found.append(
            Deadline.within_days(
                DeadlineKind.RECEIPT,
                str(state.liaison_id),
                state.referred_on,
                (rules.receipt_days, rules.counting),
                awaited,
                commune if state.stage is Stage.REFERRED else cell,
            )
        )
    for request in state.requests:
        if request.provided_on is None:
            found.append(
                Deadline.within_days(
                    DeadlineKind.ON_DEMAND_ASSESSMENT,
                    str(request.request_id),
                    request.requested_on,
                    (rules.on_demand_days, rules.counting),
                    Action.PROVIDE_ASSESSMENT,
                    cell,
                )
            )
    found.extend(_reports_due(state, policy))
    if _in_cycle(state):
        found.extend(_cycle_deadlines(state, policy))
    return [d for d in found if d.opens_on <= on]


def annual_assessment_deadline(state: LiaisonState, policy: Policy, on: date) -> Deadline | None:
    """The current cycle's annual assessment when `open_deadlines` lists it on that date, else
    None: the same rule, without building the liaison's other deadlines (a catch-up of the read
    models asks this of every cycle of every liaison)."""
    if state.stage is Stage.CLOSED or not _in_cycle(state):
        return None
    found = _annual_assessment(state, policy.deadlines)
    return found if found is not None and found.opens_on <= on else None


def _in_cycle(state: LiaisonState) -> bool:
    """Whether meetings and the annual assessment are expected: received, and not exempt."""
    return state.cell_received_on is not None and not state.is_exempt_from_activities


def _closing_slips_due(state: LiaisonState, policy: Policy) -> list[Deadline]:
    """The slips of a member expelled, removed from the rolls or deceased go up within the
    policy's days (30 working days by default) after the liaison closed."""
    rules = policy.deadlines
    if state.closed_reason not in ENDINGS or state.closing_slip_sent_on or not state.closed_on:
        return []
    return [
        Deadline.within_days(
            DeadlineKind.CLOSING_SLIP,
            str(state.liaison_id),
            state.closed_on,
            (rules.closing_slip_days, rules.closing_slip_counting),
            Action.SEND_CLOSING_SLIP,
            state.workplace_unit_id,
        )
    ]


def _reports_due(state: LiaisonState, policy: Policy) -> list[Deadline]:
    rules = policy.deadlines
    return [
        Deadline(
            kind=DeadlineKind.REPORT_BACK,
            subject=str(a.year),
            opens_on=a.assessed_on,
            due_on=min(
                after_days(a.assessed_on, rules.report_back_days, rules.counting),
                max(_on(a.year, rules.report_back_by), a.assessed_on),
            ),
            awaited=Action.REPORT_BACK,
            unit_id=state.residence_commune_id,
        )
        for a in state.assessments
        if a.reported_on is None
    ]


def _cycle_deadlines(state: LiaisonState, policy: Policy) -> list[Deadline]:
    rules = policy.deadlines
    assert state.cell_received_on is not None
    assert state.cycle_year is not None
    cell = state.cell_id or state.residence_commune_id
    # Meetings are counted from the last one, the receipt, or the end of an exemption.
    starts = (state.last_meeting_on, state.cell_received_on, state.activities_resumed_on)
    last = max(filter(None, starts))
    found = [
        Deadline(
            kind=DeadlineKind.MEETING,
            subject=last.isoformat(),
            opens_on=last,
            due_on=add_months(last, rules.meeting_interval_months),
            awaited=Action.RECORD_MEETING,
            unit_id=cell,
        )
    ]
    annual = _annual_assessment(state, rules)
    return found if annual is None else [*found, annual]


def _annual_assessment(state: LiaisonState, rules: Deadlines) -> Deadline | None:
    """The cycle's assessment, unless made already or the member was received in its window."""
    assert state.cell_received_on is not None
    assert state.cycle_year is not None
    year = state.cycle_year
    window_opens, window_due = assessment_window(year, rules)
    if state.assessment(year) is not None or state.cell_received_on >= window_opens:
        return None
    return Deadline(
        kind=DeadlineKind.ANNUAL_ASSESSMENT,
        subject=str(year),
        opens_on=window_opens,
        due_on=window_due,
        awaited=Action.ASSESS,
        unit_id=state.cell_id or state.residence_commune_id,
    )


def referral_deadline(
    member_id: UUID, workplace_unit_id: str, registered_on: date, policy: Policy
) -> Deadline:
    """A registered member is referred (or exempted from introduction) within the policy's
    `referral_days` of their registration, by their workplace (the articles' late referral)."""
    rules = policy.deadlines
    return Deadline.within_days(
        DeadlineKind.REFERRAL,
        str(member_id),
        registered_on,
        (rules.referral_days, rules.counting),
        Action.REFER,
        workplace_unit_id,
    )


def stage_of(state: LiaisonState) -> Stage:
    """The lifecycle stage of a liaison (a function, for callers that hold only the state)."""
    return state.stage
