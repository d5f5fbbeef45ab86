"""Receipt after referral: reminder, missed and escalation fire on their days, or not at all."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from temporalio.testing import WorkflowEnvironment

from api.messages import render
from domain.deadlines import DeadlineKind
from domain.policy import DayCount
from tests.workflows.province import Province, advance_to, ladder, pinned, referred, running

REFERRED = date(2027, 1, 5)
CASES = [
    ("76", DayCount.CALENDAR, date(2027, 2, 4)),
    ("213", DayCount.CALENDAR, date(2027, 2, 4)),
    # 30 working days from Tue 5 Jan 2027: without Tết 16 Feb; Tết takes Fri 5 Feb (the eve),
    # Mon 8–Tue 9 Feb, and Wed 10–Thu 11 Feb make up for Tết's Saturday and Sunday: 23 Feb.
    ("76", DayCount.WORKING, date(2027, 2, 23)),
    ("213", DayCount.WORKING, date(2027, 2, 23)),
]


@pytest.mark.parametrize(("regulation", "counting", "due"), CASES)
async def test_unreceived_referral_escalates_on_its_days(
    time_env: WorkflowEnvironment, task_queue: str, regulation: str, counting: DayCount, due: date
) -> None:
    policy = pinned(regulation, counting)
    async with referred(time_env, policy, task_queue, REFERRED) as (province, liaison):
        await advance_to(time_env, due + timedelta(days=10))

    assert province.steps(liaison, DeadlineKind.RECEIPT, str(liaison)) == ladder(due)
    escalation = province.escalation(liaison, DeadlineKind.RECEIPT, str(liaison))
    assert (escalation.superior_unit_id, escalation.is_open) == ("P", True)
    # The commune that must act is reminded and told of the miss, the province of the escalation,
    # and the workplace whose referral it is hears of the miss and the escalation too.
    told = sorted((n.step.value, n.unit_id) for n in province.outbox.rows.values())
    assert told == [("escalated", "P"), ("escalated", "W"), ("missed", "W"), ("missed", "X"),
                    ("reminder", "X")]  # fmt: skip
    assert not any(n.late for n in province.outbox.rows.values())  # each on its day


@pytest.mark.parametrize(("regulation", "counting", "due"), CASES[1:3])
async def test_receipt_in_time_raises_nothing(
    time_env: WorkflowEnvironment, task_queue: str, regulation: str, counting: DayCount, due: date
) -> None:
    policy = pinned(regulation, counting)
    async with referred(time_env, policy, task_queue, REFERRED) as (province, liaison):
        received = due - timedelta(days=4)  # the day before the reminder
        await advance_to(time_env, received)
        province.receive(liaison, received)
        await province.forward_new(time_env.client, liaison, task_queue)
        await advance_to(time_env, due + timedelta(days=10))

    assert province.steps(liaison, DeadlineKind.RECEIPT, str(liaison)) == []
    assert province.outbox.rows == {}


async def test_receipt_after_the_reminder_resolves_the_escalation(
    time_env: WorkflowEnvironment, task_queue: str
) -> None:
    due = date(2027, 2, 4)
    async with referred(time_env, pinned("213"), task_queue, REFERRED) as (province, liaison):
        await advance_to(time_env, due)
        province.receive(liaison, due)
        await province.forward_new(time_env.client, liaison, task_queue)
        await advance_to(time_env, due + timedelta(days=10))

    assert province.steps(liaison, DeadlineKind.RECEIPT, str(liaison)) == [
        *ladder(due)[:2],
        ("EscalationResolved", due),
    ]
    assert not province.escalation(liaison, DeadlineKind.RECEIPT, str(liaison)).is_open


async def test_a_step_taken_late_says_so(time_env: WorkflowEnvironment, task_queue: str) -> None:
    """Nothing ran from the referral until after the due date (the dispatcher and the worker were
    down): when they catch up, the reminder and the miss go out at once, each saying on which
    day it was to go out."""
    province = Province(pinned("213"))
    due = date(2027, 2, 4)
    await advance_to(time_env, REFERRED)
    liaison = province.refer(REFERRED)
    late_start = due + timedelta(days=3)
    await advance_to(time_env, late_start)
    async with running(time_env, province, task_queue):
        await province.forward_new(time_env.client, liaison, task_queue)
        await advance_to(time_env, late_start + timedelta(days=1))

    notices = {(n.step.value, n.unit_id): n for n in province.outbox.rows.values()}
    assert sorted(notices) == [("missed", "W"), ("missed", "X"), ("reminder", "X")]
    reminder, missed = notices["reminder", "X"], notices["missed", "W"]
    assert (reminder.effective_date, reminder.params["scheduled"]) == (
        late_start,
        (due - timedelta(days=3)).isoformat(),
    )
    assert missed.late
    assert missed.params["scheduled"] == (due + timedelta(days=1)).isoformat()
    body = render(reminder.messages()[1], "vi")
    assert f"Gửi chậm: lẽ ra gửi ngày {due - timedelta(days=3):%d/%m/%Y}" in body
    assert f"đã gửi ngày {late_start:%d/%m/%Y}" in body
    english = render(reminder.messages()[1], "en")
    assert "Sent late: it was to go out on 1 Feb 2027, it went out on 7 Feb 2027." in english
