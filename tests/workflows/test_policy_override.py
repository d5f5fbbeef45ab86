"""A province's change of a deadline reaches the workflows of liaisons already running."""

from __future__ import annotations

from datetime import date, timedelta

from temporalio.testing import WorkflowEnvironment

from domain import commands as cmd
from domain.deadlines import DeadlineKind
from tests.workflows.province import ADMIN, Province, advance_to, ladder, pinned, running

REFERRED = date(2027, 1, 5)
DEFAULT_DUE = date(2027, 2, 4)  # 30 days
OVERRIDDEN = date(2027, 1, 12)
SHORTENED_DUE = date(2027, 1, 20)  # 15 days from the referral


async def test_a_shortened_receipt_deadline_fires_on_its_new_date(
    time_env: WorkflowEnvironment, task_queue: str
) -> None:
    """Referred on 5 January under 30 days; on 12 January the province makes it 15: the
    reminder, the miss and the escalation go by 20 January, not 4 February."""
    province = Province(pinned("213"))
    await advance_to(time_env, REFERRED)
    liaison = province.refer(REFERRED)
    async with running(time_env, province, task_queue):
        await province.forward_new(time_env.client, liaison, task_queue)
        await advance_to(time_env, OVERRIDDEN)
        assert province.steps(liaison, DeadlineKind.RECEIPT, str(liaison)) == []
        province.do(
            cmd.OverridePolicy, ADMIN, OVERRIDDEN,
            province_id="P", setting="receipt_days", value=15,
        )  # fmt: skip
        await province.tell_policy(time_env.client)
        await advance_to(time_env, DEFAULT_DUE + timedelta(days=10))

    assert province.steps(liaison, DeadlineKind.RECEIPT, str(liaison)) == ladder(SHORTENED_DUE)
    assert not any(n.late for n in province.outbox.rows.values())  # each on its new day


async def test_a_withdrawn_change_puts_the_default_back(
    time_env: WorkflowEnvironment, task_queue: str
) -> None:
    """Shortened on 12 January, withdrawn on 14 January (before the new reminder): nothing
    goes until the default's reminder on 1 February."""
    province = Province(pinned("213"))
    await advance_to(time_env, REFERRED)
    liaison = province.refer(REFERRED)
    withdrawn = OVERRIDDEN + timedelta(days=2)
    async with running(time_env, province, task_queue):
        await province.forward_new(time_env.client, liaison, task_queue)
        await advance_to(time_env, OVERRIDDEN)
        province.do(
            cmd.OverridePolicy, ADMIN, OVERRIDDEN,
            province_id="P", setting="receipt_days", value=15,
        )  # fmt: skip
        await province.tell_policy(time_env.client)
        await advance_to(time_env, withdrawn)
        province.do(
            cmd.WithdrawPolicyOverride, ADMIN, withdrawn,
            province_id="P", setting="receipt_days", override_from=OVERRIDDEN,
        )  # fmt: skip
        await province.tell_policy(time_env.client)
        await advance_to(time_env, DEFAULT_DUE - timedelta(days=1))

    assert province.steps(liaison, DeadlineKind.RECEIPT, str(liaison)) == ladder(DEFAULT_DUE)[:2]
