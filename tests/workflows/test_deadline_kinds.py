"""Each deadline kind under both regulations: its ladder fires on its days unless the awaited
event arrives first (receipt has its own module, with Tết)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from uuid import UUID

import pytest
from temporalio.testing import WorkflowEnvironment

from domain import commands as cmd
from domain.calendar import add_working_days
from domain.deadlines import DeadlineKind
from domain.policy import DayCount
from domain.state import ClosingReason
from tests.workflows.province import (
    CLERK,
    COMMUNE,
    SECRETARY,
    Province,
    advance_to,
    ladder,
    pinned,
    running,
)

START = date(2027, 1, 5)


@dataclass(frozen=True)
class Scenario:
    """A deadline set up on `opened`, due on `due`; `answer` records the awaited event."""

    kind: DeadlineKind
    opened: date
    due: date
    setup: Callable[[Province, UUID, date], str]  # returns the deadline's subject
    answer: Callable[[Province, UUID, date, str], None]
    counting: DayCount = DayCount.CALENDAR


def _assess(p: Province, liaison: UUID, on: date) -> None:
    grade = p.policy.grades[0].code
    front = "Trần Thị B" if p.policy.front_committee_joins else None
    p.do(
        cmd.Assess,
        SECRETARY,
        on,
        liaison_id=liaison,
        year=on.year,
        grade=grade,
        front_committee_representative=front,
    )


def _report(p: Province, liaison: UUID, on: date, _: str) -> None:
    p.do(cmd.ConfirmAssessment, COMMUNE, on, liaison_id=liaison, year=2027)
    p.do(cmd.ReportBack, COMMUNE, on, liaison_id=liaison, year=2027)


def _request(p: Province, liaison: UUID, on: date) -> str:
    purpose = cmd.RequestPurpose.APPOINTMENT
    return str(
        p.do(cmd.RequestAssessment, CLERK, on, liaison_id=liaison, purpose=purpose).request_id
    )


def _move(p: Province, liaison: UUID, on: date) -> str:
    p.do(cmd.Close, CLERK, on, liaison_id=liaison, reason=ClosingReason.MOVED_RESIDENCE)
    return str(liaison)


def _rerefer(p: Province, liaison: UUID, on: date, _: str) -> None:
    member = p.office.state_of(liaison).member_id
    p.do(
        cmd.Refer,
        CLERK,
        on,
        member_id=member,
        predecessor_id=liaison,
        referral=cmd.Referral(residence_commune_id="X"),
    )


def _died(p: Province, liaison: UUID, on: date) -> str:
    p.do(cmd.Close, CLERK, on, liaison_id=liaison, reason=ClosingReason.DIED)
    return str(liaison)


def _slips(p: Province, liaison: UUID, on: date, _: str) -> None:
    p.do(cmd.SendClosingSlip, CLERK, on, liaison_id=liaison)


SCENARIOS = {
    "meeting": Scenario(
        DeadlineKind.MEETING,
        START,
        date(2027, 7, 5),
        lambda p, lid, on: on.isoformat(),
        lambda p, lid, on, _: p.meet(lid, on),
    ),
    "annual_assessment": Scenario(
        DeadlineKind.ANNUAL_ASSESSMENT,
        date(2027, 11, 1),
        date(2027, 12, 15),
        lambda p, lid, on: str(on.year),
        lambda p, lid, on, _: _assess(p, lid, on),
    ),
    "report_back": Scenario(
        DeadlineKind.REPORT_BACK,
        date(2027, 12, 1),
        date(2027, 12, 11),
        lambda p, lid, on: (_assess(p, lid, on), str(on.year))[1],
        _report,
    ),
    "on_demand": Scenario(
        DeadlineKind.ON_DEMAND_ASSESSMENT,
        date(2027, 3, 1),
        date(2027, 3, 16),
        _request,
        lambda p, lid, on, req: p.do(
            cmd.ProvideAssessment, SECRETARY, on, liaison_id=lid, request_id=UUID(req)
        ),
    ),
    "rereferral": Scenario(
        DeadlineKind.REREFERRAL, date(2027, 3, 1), date(2027, 3, 31), _move, _rerefer
    ),
    # 30 working days from Monday 1 March 2027 (closing slips are counted in working days).
    "closing_slip": Scenario(
        DeadlineKind.CLOSING_SLIP,
        date(2027, 3, 1),
        add_working_days(date(2027, 3, 1), 30),
        _died,
        _slips,
    ),
}
# The same deadlines counted in working days (Tết and weekends left out) fall due later.
SCENARIOS["report_back_working_days"] = replace(
    SCENARIOS["report_back"], due=date(2027, 12, 15), counting=DayCount.WORKING
)
SCENARIOS["on_demand_working_days"] = replace(
    SCENARIOS["on_demand"], due=date(2027, 3, 22), counting=DayCount.WORKING
)


async def _run(
    env: WorkflowEnvironment, queue: str, regulation: str, name: str, answered: bool
) -> tuple[Province, UUID, str]:
    scenario = SCENARIOS[name]
    province = Province(pinned(regulation, scenario.counting))
    await advance_to(env, START)
    liaison = province.refer(START)
    province.receive(liaison, START)
    async with running(env, province, queue):
        await province.forward_new(env.client, liaison, queue)
        await advance_to(env, scenario.opened)
        # Keep the periodic meeting quiet in scenarios about something else.
        if scenario.kind is not DeadlineKind.MEETING and scenario.opened > START + timedelta(
            days=150
        ):
            province.meet(liaison, scenario.opened - timedelta(days=1))
        subject = scenario.setup(province, liaison, scenario.opened)
        await province.forward_new(env.client, liaison, queue)
        if answered:
            await advance_to(env, scenario.due - timedelta(days=4))
            scenario.answer(province, liaison, scenario.due - timedelta(days=4), subject)
            await province.forward_new(env.client, liaison, queue)
        await advance_to(env, scenario.due + timedelta(days=8))
    return province, liaison, subject


@pytest.mark.parametrize("regulation", ["76", "213"])
@pytest.mark.parametrize("name", list(SCENARIOS))
async def test_ladder_fires_on_its_days(
    time_env: WorkflowEnvironment, task_queue: str, regulation: str, name: str
) -> None:
    province, liaison, subject = await _run(time_env, task_queue, regulation, name, answered=False)
    due = SCENARIOS[name].due
    assert [
        s
        for s in province.steps(liaison, SCENARIOS[name].kind, subject)
        if s[0] != "EscalationOpened"
    ] == ladder(due)[1:]


@pytest.mark.parametrize("name", list(SCENARIOS))
async def test_ladder_stays_quiet_when_answered_in_time(
    time_env: WorkflowEnvironment, task_queue: str, name: str
) -> None:
    province, liaison, subject = await _run(time_env, task_queue, "213", name, answered=True)
    assert province.steps(liaison, SCENARIOS[name].kind, subject) == []
