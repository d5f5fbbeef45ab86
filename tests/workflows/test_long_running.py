"""A liaison over ten years continues-as-new each cycle and keeps its state; exemption quiets it."""

from __future__ import annotations

from datetime import date, timedelta

from temporalio.client import WorkflowExecutionStatus
from temporalio.testing import WorkflowEnvironment

from domain import commands as cmd
from domain.deadlines import DeadlineKind
from domain.state import ClosingReason, LiaisonState
from tests.workflows.province import (
    CLERK,
    COMMUNE,
    SECRETARY,
    advance_to,
    pinned,
    received,
    referred,
    running,
)
from workflows.liaison import LiaisonWorkflow
from workflows.messages import workflow_id

START = date(2027, 1, 5)


async def test_ten_years_continue_as_new_and_keep_state(
    time_env: WorkflowEnvironment, task_queue: str
) -> None:
    province, liaison = await received(time_env, pinned("213"), START)
    async with running(time_env, province, task_queue):
        await province.forward_new(time_env.client, liaison, task_queue)
        handle = time_env.client.get_workflow_handle(workflow_id(str(liaison)))
        first_run = (await handle.describe()).run_id
        for year in range(2027, 2037):
            for month in (2, 6, 10):  # meetings four months apart never near their due date
                await advance_to(time_env, date(year, month, 1))
                province.meet(liaison, date(year, month, 1))
                await province.forward_new(time_env.client, liaison, task_queue)
            await advance_to(time_env, date(year, 12, 1))
            province.do(
                cmd.Assess,
                SECRETARY,
                date(year, 12, 1),
                liaison_id=liaison,
                year=year,
                grade="fulfilled_well",
                front_committee_representative="Trần Thị B",
            )
            for model, day in ((cmd.ConfirmAssessment, 2), (cmd.ReportBack, 3)):
                province.do(model, COMMUNE, date(year, 12, day), liaison_id=liaison, year=year)
            await province.forward_new(time_env.client, liaison, task_queue)
        await advance_to(time_env, date(2037, 1, 10))
        snapshot = await handle.query(LiaisonWorkflow.snapshot)
        description = await handle.describe()
        history = await handle.fetch_history()

    state = LiaisonState.model_validate_json(snapshot.state_json)
    assert state == province.office.state_of(liaison)
    assert (state.cycle_year, len(state.meetings), len(state.assessments)) == (2037, 30, 10)
    assert snapshot.runs == 11  # one run per annual cycle
    assert description.run_id != first_run
    assert description.status is WorkflowExecutionStatus.RUNNING
    assert len(history.events) < 100  # the current run's history stays short
    assert snapshot.open_escalations == []
    assert snapshot.taken == []


async def test_exempt_liaison_expects_no_meetings_or_assessments(
    time_env: WorkflowEnvironment, task_queue: str
) -> None:
    province, liaison = await received(time_env, pinned("213"), START)
    province.do(
        cmd.ExemptFromActivities,
        CLERK,
        START,
        liaison_id=liaison,
        reason="full_time_study",
    )
    async with running(time_env, province, task_queue):
        await province.forward_new(time_env.client, liaison, task_queue)
        await advance_to(time_env, date(2028, 3, 1))
        request = province.do(
            cmd.RequestAssessment,
            CLERK,
            date(2028, 3, 1),
            liaison_id=liaison,
            purpose=cmd.RequestPurpose.PLANNING,
        )
        await province.forward_new(time_env.client, liaison, task_queue)
        await advance_to(time_env, date(2029, 1, 10))
        snapshot = await time_env.client.get_workflow_handle(workflow_id(str(liaison))).query(
            LiaisonWorkflow.snapshot
        )

    assert snapshot.taken == [
        f"on_demand_assessment/{request.request_id}/{s}"
        for s in ("escalated", "missed", "reminder")
    ]
    kinds = {n.deadline_kind for n in province.outbox.rows.values()}
    assert kinds == {DeadlineKind.ON_DEMAND_ASSESSMENT.value}
    assert LiaisonState.model_validate_json(snapshot.state_json).cycle_year == 2029


async def test_closing_ends_the_workflow_and_resolves_its_escalations(
    time_env: WorkflowEnvironment, task_queue: str
) -> None:
    async with referred(time_env, pinned("213"), task_queue, START) as (province, liaison):
        await advance_to(time_env, START + timedelta(days=40))  # the receipt escalated
        province.do(
            cmd.Close,
            CLERK,
            START + timedelta(days=40),
            liaison_id=liaison,
            reason=ClosingReason.RETIRED,
        )
        await province.forward_new(time_env.client, liaison, task_queue)
        handle = time_env.client.get_workflow_handle_for(
            LiaisonWorkflow.run, workflow_id(str(liaison))
        )
        result = await handle.result()

    assert result.closed_reason == "retired"
    assert not province.escalation(liaison, DeadlineKind.RECEIPT, str(liaison)).is_open
