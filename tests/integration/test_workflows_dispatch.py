"""Dev server + PostgreSQL: recorded events reach their workflow through the dispatcher.

An unreceived referral escalates; restarting the dispatcher loses and duplicates nothing.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from temporalio.testing import WorkflowEnvironment

from application.office import LiaisonOffice
from domain import commands as cmd
from domain.deadlines import DeadlineKind
from domain.escalation import escalation_id
from domain.meeting import AttendanceEntry
from domain.state import Attendance, LiaisonState
from tests.integration.workflow_stack import (
    dispatcher,
    eventually,
    office_on,
    process,
    settings_for,
    worker,
)
from tests.workflows.province import ADMIN, COMMUNE, SECRETARY, k, refer
from workers.settings import Settings
from workflows.liaison import LiaisonWorkflow
from workflows.messages import workflow_id
from workflows.outbox import PostgresOutbox


async def test_events_reach_the_workflow_and_restarts_lose_nothing(
    dev_env: WorkflowEnvironment, stack_office: LiaisonOffice, stack_settings: Settings, pg_url: str
) -> None:
    office, settings = stack_office, stack_settings
    today = datetime.now(UTC).date()
    liaison = refer(office, today - timedelta(days=45), "55500001")
    queue = f"it-{liaison.hex[:8]}"
    receipt = escalation_id(liaison, DeadlineKind.RECEIPT, str(liaison))
    handle = dev_env.client.get_workflow_handle(workflow_id(str(liaison)))

    async with process(worker, settings, queue):
        async with process(dispatcher, settings, queue):
            # Overdue by 15 days: reminder, missed and escalation are all due at once.
            escalation = await eventually(
                lambda: receipt in office.repository and office.escalation(receipt).superior_unit_id
            )
            assert escalation == "P"
            office.execute(
                cmd.ReceiveAtCommune(**k(COMMUNE, today), liaison_id=liaison, cell_id="C1")
            )
            office.execute(cmd.ReceiveAtCell(**k(SECRETARY, today), liaison_id=liaison))
            await eventually(lambda: not office.escalation(receipt).is_open)
        # The dispatcher is down: events wait in the store.
        entry = AttendanceEntry(liaison_id=liaison, attendance=Attendance.PRESENT)
        office.execute(cmd.RecordMeeting(**k(SECRETARY, today), cell_id="C1", attendance=(entry,)))
        # As if it crashed after forwarding but before recording: rewind its position to zero.
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute(
                "UPDATE liaison_dispatcher_tracking SET notification_id = 0"
                " WHERE application_name = 'LiaisonOffice'"
            )
        async with process(dispatcher, settings, queue):
            expected = office.state_of(liaison)

            async def caught_up() -> bool:
                snapshot = await handle.query(LiaisonWorkflow.snapshot)
                return LiaisonState.model_validate_json(snapshot.state_json) == expected

            deadline = datetime.now(UTC) + timedelta(seconds=30)
            while not await caught_up():
                assert datetime.now(UTC) < deadline, "the workflow never saw the meeting"
                await __import__("asyncio").sleep(0.2)

    steps = [type(e).__name__ for e in office.events.get(receipt)]  # type: ignore[attr-defined]
    assert steps == [
        "EscalationOpened",
        "ReminderSent",
        "DeadlineMissed",
        "Escalated",
        "EscalationResolved",
    ]
    assert len(expected.meetings) == 1
    notifications = await PostgresOutbox(pg_url).all()
    # The commune and the province as before, and the workplace W of the miss and the escalation.
    assert sorted((n.step.value, n.unit_id) for n in notifications) == [
        ("escalated", "P"), ("escalated", "W"), ("missed", "W"), ("missed", "X"), ("reminder", "X"),
    ]  # fmt: skip


async def test_a_provinces_shortened_deadline_reaches_the_running_workflow(
    dev_env: WorkflowEnvironment, pg_url: str, tmp_path: Path
) -> None:
    """Referred 20 days ago under 30 days: nothing is due. The province makes it 10 days from
    today; the dispatcher tells the workflow, which escalates the referral at once."""
    office = office_on(pg_url)
    today = datetime.now(UTC).date()
    liaison = refer(office, today - timedelta(days=20), "55500002")
    settings = settings_for(dev_env, pg_url, tmp_path)
    queue = f"it-{liaison.hex[:8]}"
    receipt = escalation_id(liaison, DeadlineKind.RECEIPT, str(liaison))
    handle = dev_env.client.get_workflow_handle(workflow_id(str(liaison)))

    async with process(worker, settings, queue), process(dispatcher, settings, queue):

        async def waiting() -> str | None:
            return (await handle.query(LiaisonWorkflow.snapshot)).next_wake

        wake = await eventually_async(waiting)
        assert wake == (today + timedelta(days=10 - 3)).isoformat()  # the default's reminder
        assert receipt not in office.repository
        office.execute(
            cmd.OverridePolicy(**k(ADMIN, today), province_id="P", setting="receipt_days", value=10)
        )
        escalation = await eventually(
            lambda: receipt in office.repository and office.escalation(receipt).superior_unit_id
        )
    assert escalation == "P"
    steps = [type(e).__name__ for e in office.events.get(receipt)]  # type: ignore[attr-defined]
    assert steps[-1] == "Escalated"


async def eventually_async(check: Any, timeout: float = 30.0) -> Any:
    """The first true answer of an async check, polled until the timeout."""
    deadline = datetime.now(UTC) + timedelta(seconds=timeout)
    while True:
        try:
            found = await check()
        except Exception:  # the workflow may not have started yet
            found = None
        if found:
            return found
        assert datetime.now(UTC) < deadline, "never"
        await asyncio.sleep(0.2)
