"""Dev server + PostgreSQL: the dispatcher starts a registered member's late-referral workflow
once, the worker escalates the late referral and closes it on the referral; a member the bulk
import registered gets the workflow from onboarding instead."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4

import psycopg
import pytest
from temporalio.client import WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode
from temporalio.testing import WorkflowEnvironment

from application.office import LiaisonOffice
from domain import commands as cmd
from domain.escalation import referral_escalation_id
from domain.imported import as_importer
from domain.member import Member
from domain.roles import Actor
from domain.stamp import Stamp
from tests.integration.workflow_stack import dispatcher, eventually, process, worker
from tests.workflows.province import CLERK, k
from workers import onboarding
from workers.province.bulk import BulkWriter, new_events
from workers.settings import Settings
from workflows.dispatcher import DISPATCHED_TOPICS
from workflows.referral import MemberReferralWorkflow, referral_workflow_id


def register(office: LiaisonOffice, on: date, card: str, actor: Actor = CLERK) -> UUID:
    member_id: UUID = office.execute(
        cmd.RegisterMember(
            **k(actor, on), name="Đỗ Văn Giang", birth_date=date(1979, 5, 6),
            party_card_number=card, workplace_unit_id="W",
        )
    ).member_id  # fmt: skip
    return member_id


def bulk_imported(office: LiaisonOffice, on: date, card: str, *, exempt: bool = False) -> UUID:
    """A member registered (and exempted from introduction) by the bulk import's path."""
    policy = office.policy(on, "W")
    stamp = Stamp(actor=as_importer(CLERK), command_id=uuid4(), effective_date=on,
                  regulation=policy.regulation)  # fmt: skip
    member = Member.register(
        stamp, member_id=uuid4(), name="Vũ Thị Hoa", birth_date=date(1982, 7, 8),
        party_card_number=card, citizen_id=None, workplace_unit_id="W",
    )  # fmt: skip
    if exempt:
        member.exempt_from_introduction(
            stamp.model_copy(update={"command_id": uuid4()}), "secret_mission", policy
        )
    writer = BulkWriter(office)
    writer.save_all(new_events([member], {}, writer.mapper))
    return member.id


def escalated_to(office: LiaisonOffice, member: UUID) -> str | None:
    escalation = referral_escalation_id(member)
    return (
        office.escalation(escalation).superior_unit_id if escalation in office.repository else None
    )


async def test_the_dispatcher_starts_the_watch_once_and_the_referral_closes_it(
    dev_env: WorkflowEnvironment, stack_office: LiaisonOffice, stack_settings: Settings, pg_url: str
) -> None:
    office, settings = stack_office, stack_settings
    today = datetime.now(UTC).date()
    member = register(office, today - timedelta(days=45), "66600001")  # 15 days overdue
    queue = f"it-{member.hex[:8]}"
    handle = dev_env.client.get_workflow_handle_for(
        MemberReferralWorkflow.run, referral_workflow_id(str(member))
    )

    async with process(worker, settings, queue), process(dispatcher, settings, queue):
        assert await eventually(lambda: escalated_to(office, member)) == "P"
        first_run = (await handle.describe()).run_id
        referral = cmd.Referral(residence_commune_id="X")
        office.execute(cmd.Refer(**k(CLERK, today), member_id=member, referral=referral))
        await eventually(lambda: not office.escalation(referral_escalation_id(member)).is_open)
        assert (await handle.result()).resolution.endswith("referred")
    # As if the dispatcher crashed before recording its position: the registration goes again.
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(
            "UPDATE liaison_dispatcher_tracking SET notification_id = 0"
            " WHERE application_name = 'LiaisonOffice'"
        )
    async with process(worker, settings, queue), process(dispatcher, settings, queue):
        await eventually(lambda: _caught_up(office, pg_url))
    described = await handle.describe()
    assert (described.run_id, described.status) == (first_run, WorkflowExecutionStatus.COMPLETED)


def _caught_up(office: LiaisonOffice, url: str) -> bool:
    """The dispatcher has tracked the store's last event it follows."""
    last = max(n.id for n in office.recorder.select_notifications(
        start=1, limit=10_000, topics=list(DISPATCHED_TOPICS)
    ))  # fmt: skip
    with psycopg.connect(url) as conn:
        try:
            row = conn.execute(
                "SELECT max(notification_id) FROM liaison_dispatcher_tracking"
            ).fetchone()
        except psycopg.errors.UndefinedTable:  # the dispatcher has not started yet
            return False
    return bool(row and row[0] is not None and row[0] >= last)


async def test_onboarding_watches_members_the_import_registered(
    dev_env: WorkflowEnvironment, stack_office: LiaisonOffice, stack_settings: Settings
) -> None:
    office, settings = stack_office, stack_settings
    today = datetime.now(UTC).date()
    imported = bulk_imported(office, today - timedelta(days=45), "77700001")
    bulk_imported(office, today - timedelta(days=45), "77700002", exempt=True)
    queue = f"it-{imported.hex[:8]}"
    handle = dev_env.client.get_workflow_handle(referral_workflow_id(str(imported)))

    async with process(worker, settings, queue), process(dispatcher, settings, queue):
        await eventually(lambda: _caught_up(office, settings.database_url))
        with pytest.raises(RPCError) as never:  # the dispatcher left the import's member alone
            await handle.describe()
        assert never.value.status is RPCStatusCode.NOT_FOUND
        assert onboarding.awaiting_referral(office) == [imported]
        done = await onboarding.start_workflows(
            dev_env.client, [imported], queue, start_one=onboarding.start_referral
        )
        assert (done.started, done.already) == (1, 0)
        assert await eventually(lambda: escalated_to(office, imported)) == "P"
        again = await onboarding.start_workflows(
            dev_env.client, [imported], queue, start_one=onboarding.start_referral
        )
        assert (again.started, again.already) == (0, 1)
