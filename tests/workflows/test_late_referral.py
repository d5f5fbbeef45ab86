"""Late referral: a registered member not referred (nor exempted) within `referral_days` gets a
reminder before the due date and an escalation after it, closed when the member is referred or
exempted, or by the board; nothing when referred in time."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import date, timedelta
from uuid import UUID

import pytest
from temporalio.client import WorkflowExecutionStatus
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from api.messages import render
from domain import commands as cmd
from domain.deadlines import DeadlineKind
from domain.escalation import SettleEscalation, referral_escalation_id
from domain.roles import Actor, Role
from tests.workflows.province import ADMIN, CLERK, Province, advance_to, pinned
from workflows.activities import LiaisonActivities
from workflows.dispatcher import MEMBER_EVENTS, watch_referral
from workflows.liaison import LiaisonWorkflow
from workflows.referral import MemberReferralWorkflow, referral_workflow_id
from workflows.referral_activities import ReferralActivities

REGISTERED = date(2027, 1, 5)
DUE = date(2027, 2, 4)  # 30 calendar days (Regulation 213's defaults)
SUPERVISOR = Actor(id="inspector", role=Role.SUPERVISOR, unit_id="P")


@asynccontextmanager
async def watching(env: WorkflowEnvironment, queue: str) -> AsyncIterator[tuple[Province, UUID]]:
    """A province with a member of W registered on REGISTERED, a worker for both workflows, and
    the registration dispatched (the late-referral workflow started)."""
    province = Province(pinned("213"))
    await advance_to(env, REGISTERED)
    member = province.do(
        cmd.RegisterMember, CLERK, REGISTERED, name="Trần Thị Bình", birth_date=date(1985, 3, 2),
        party_card_number="87654321", workplace_unit_id="W",
    ).member_id  # fmt: skip
    liaison = LiaisonActivities(province.office, province.outbox)
    referral = ReferralActivities(province.office, province.outbox)
    async with Worker(
        env.client,
        task_queue=queue,
        workflows=[LiaisonWorkflow, MemberReferralWorkflow],
        activities=[*liaison.all(), *referral.all()],
    ):
        await dispatch(env, province, member, queue)
        yield province, member


async def dispatch(env: WorkflowEnvironment, province: Province, member: UUID, queue: str) -> int:
    """Send the member's events as the dispatcher does (again: it may repeat them); how many
    reached a running workflow."""
    events = [e for e in province.office.events.get(member) if isinstance(e, MEMBER_EVENTS)]  # type: ignore[attr-defined]
    return sum([await watch_referral(env.client, e, queue) for e in events])


def steps(province: Province, member: UUID) -> list[tuple[str, date]]:
    return province.steps(member, DeadlineKind.REFERRAL, str(member))


async def status(env: WorkflowEnvironment, member: UUID) -> WorkflowExecutionStatus | None:
    handle = env.client.get_workflow_handle(referral_workflow_id(str(member)))
    return (await handle.describe()).status


def refer(province: Province, member: UUID, on: date) -> None:
    referral = cmd.Referral(residence_commune_id="X")
    province.do(cmd.Refer, CLERK, on, member_id=member, referral=referral)


async def refer_and_end(
    env: WorkflowEnvironment, province: Province, member: UUID, queue: str, on: date
) -> None:
    """Refer the member on that day, tell its workflow as the dispatcher does; it ends."""
    await advance_to(env, on)
    refer(province, member, on)
    await dispatch(env, province, member, queue)
    await advance_to(env, on + timedelta(days=1))
    assert await status(env, member) is WorkflowExecutionStatus.COMPLETED


async def test_an_unreferred_member_is_reminded_then_escalated(
    time_env: WorkflowEnvironment, task_queue: str
) -> None:
    async with watching(time_env, task_queue) as (province, member):
        await advance_to(time_env, DUE + timedelta(days=10))
        assert await status(time_env, member) is WorkflowExecutionStatus.RUNNING

    assert steps(province, member) == [
        ("EscalationOpened", DUE - timedelta(days=3)),
        ("ReminderSent", DUE - timedelta(days=3)),
        ("DeadlineMissed", DUE + timedelta(days=1)),
        ("Escalated", DUE + timedelta(days=7)),
    ]
    escalation = province.office.escalation(referral_escalation_id(member))
    assert (escalation.unit_id, escalation.superior_unit_id) == ("W", "P")
    assert escalation.is_open
    # The workplace is reminded and told of the miss; its superior, of the escalation.
    notices = {(n.step.value, n.unit_id): n for n in province.outbox.rows.values()}
    assert sorted(notices) == [("escalated", "P"), ("missed", "W"), ("reminder", "W")]
    assert {n.liaison_id for n in notices.values()} == {member}
    assert not any(n.late for n in notices.values())
    title, body = notices["reminder", "W"].messages()
    assert render(body, "vi") == (
        "Nhắc việc: đảng viên Trần Thị Bình cần được W (W) giới thiệu về sinh hoạt nơi cư trú"
        " (hoặc quyết định miễn giới thiệu), hạn 04/02/2027."
    )
    assert render(body, "en") == (
        "Reminder: W (W) is to refer Trần Thị Bình to their residence, or exempt them from"
        " introduction, by 4 Feb 2027."
    )
    assert "Giới thiệu sinh hoạt nơi cư trú" in render(title, "vi")


async def test_a_member_referred_in_time_raises_nothing(
    time_env: WorkflowEnvironment, task_queue: str
) -> None:
    async with watching(time_env, task_queue) as (province, member):
        await advance_to(time_env, DUE - timedelta(days=4))  # the day before the reminder
        refer(province, member, DUE - timedelta(days=4))
        assert await dispatch(time_env, province, member, task_queue) == 1  # the referral
        await advance_to(time_env, DUE + timedelta(days=10))
        assert await status(time_env, member) is WorkflowExecutionStatus.COMPLETED
        assert await dispatch(time_env, province, member, task_queue) == 0  # started once

    assert steps(province, member) == []
    assert province.outbox.rows == {}


async def test_exemption_after_the_reminder_closes_it_and_nothing_follows(
    time_env: WorkflowEnvironment, task_queue: str
) -> None:
    exempted = DUE - timedelta(days=1)
    async with watching(time_env, task_queue) as (province, member):
        await advance_to(time_env, exempted)
        province.do(cmd.ExemptFromIntroduction, CLERK, exempted, member_id=member,
                    reason="secret_mission")  # fmt: skip
        await dispatch(time_env, province, member, task_queue)
        await advance_to(time_env, DUE + timedelta(days=10))
        assert await status(time_env, member) is WorkflowExecutionStatus.COMPLETED

    assert steps(province, member) == [
        ("EscalationOpened", DUE - timedelta(days=3)),
        ("ReminderSent", DUE - timedelta(days=3)),
        ("EscalationResolved", exempted),
    ]
    assert [n.step.value for n in province.outbox.rows.values()] == ["reminder"]


async def test_a_late_referral_closes_the_escalation_on_its_day(
    time_env: WorkflowEnvironment, task_queue: str
) -> None:
    referred = DUE + timedelta(days=20)
    async with watching(time_env, task_queue) as (province, member):
        await refer_and_end(time_env, province, member, task_queue, referred)

    assert steps(province, member)[-2:] == [
        ("Escalated", DUE + timedelta(days=7)),
        ("EscalationResolved", referred),
    ]
    assert not province.office.escalation(referral_escalation_id(member)).is_open


async def test_the_board_resolves_a_late_referrals_escalation(
    time_env: WorkflowEnvironment, task_queue: str
) -> None:
    """The superior closes the escalation with a comment; the watch goes on quietly and ends
    when the member is referred, recording nothing more."""
    settled, referred = DUE + timedelta(days=9), DUE + timedelta(days=30)
    async with watching(time_env, task_queue) as (province, member):
        await advance_to(time_env, settled)
        province.do(SettleEscalation, SUPERVISOR, settled,
                    escalation_id=referral_escalation_id(member),
                    comment="Đã nhắc trực tiếp đơn vị")  # fmt: skip
        await refer_and_end(time_env, province, member, task_queue, referred)

    assert steps(province, member)[-2:] == [
        ("Escalated", DUE + timedelta(days=7)),
        ("EscalationResolved", settled),
    ]
    escalation = province.office.escalation(referral_escalation_id(member))
    assert not escalation.is_open


def _referred_untold(province: Province, member: UUID) -> None:
    """Referred, but the dispatcher was down: the workflow is not told."""
    refer(province, member, REGISTERED + timedelta(days=2))


def _workplace_ended(province: Province, member: UUID) -> None:
    """The workplace is dissolved (no successor) before the reminder: nobody left to remind."""
    province.do(cmd.EndUnit, ADMIN, DUE - timedelta(days=10), unit_id="W")


@pytest.mark.parametrize("meanwhile", [_referred_untold, _workplace_ended])
async def test_the_watch_reads_the_member_at_its_next_wake_and_ends_quietly(
    time_env: WorkflowEnvironment, task_queue: str, meanwhile: Callable[[Province, UUID], None]
) -> None:
    """On the reminder's day it reads the member first: no longer awaited (or no workplace to
    remind), it records nothing and ends, instead of failing at every wake."""
    async with watching(time_env, task_queue) as (province, member):
        meanwhile(province, member)
        await advance_to(time_env, DUE + timedelta(days=10))
        assert await status(time_env, member) is WorkflowExecutionStatus.COMPLETED

    assert steps(province, member) == []
    assert province.outbox.rows == {}


async def test_a_shorter_referral_deadline_wakes_the_watch(
    time_env: WorkflowEnvironment, task_queue: str
) -> None:
    """On 12 January the province gives its workplaces 10 days instead of 30: the member,
    registered on the 5th, is due on the 15th; the dispatcher's word wakes the watch, which
    reminds at once and climbs the ladder on the new dates (not from 1 February)."""
    changed = date(2027, 1, 12)
    async with watching(time_env, task_queue) as (province, member):
        await advance_to(time_env, changed)
        province.do(cmd.OverridePolicy, ADMIN, changed, province_id="P",
                    setting="referral_days", value=10)  # fmt: skip
        await province.tell_policy(time_env.client)
        await advance_to(time_env, date(2027, 1, 25))

    assert steps(province, member) == [
        ("EscalationOpened", changed),
        ("ReminderSent", changed),
        ("DeadlineMissed", date(2027, 1, 16)),
        ("Escalated", date(2027, 1, 22)),
    ]
