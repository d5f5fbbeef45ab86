"""The Temporal worker process: the liaison and late-referral workflows, their activities, and
the mail relay."""

from __future__ import annotations

import asyncio

from temporalio.worker import Worker

from api.messages import unit_names
from workers.bootstrap import Root
from workers.mailer import relay
from workers.service import serve
from workers.settings import Settings
from workflows.activities import LiaisonActivities
from workflows.liaison import LiaisonWorkflow
from workflows.messages import TASK_QUEUE
from workflows.outbox import PostgresOutbox
from workflows.referral import MemberReferralWorkflow
from workflows.referral_activities import ReferralActivities


async def run_worker(
    settings: Settings,
    stop: asyncio.Event,
    task_queue: str = TASK_QUEUE,
    activities_class: type[LiaisonActivities] = LiaisonActivities,
) -> None:
    """Poll the liaison task queue until `stop` is set."""
    root = Root(settings, process="worker")
    outbox = PostgresOutbox(root.database_url)
    await outbox.create_table()
    client = await root.temporal()
    activities = activities_class(root.office, outbox)
    referrals = ReferralActivities(root.office, outbox)
    mail = None
    if settings.smtp_host:
        office = root.office

        def units(code: str) -> str | None:
            """A unit's name in today's tree (units are renamed and merged while it runs)."""
            return unit_names(office.tree())(code)

        mail = asyncio.create_task(relay(settings, outbox, stop, units=units))
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[LiaisonWorkflow, MemberReferralWorkflow],
        activities=[*activities.all(), *referrals.all()],
        # More pollers start new workflows faster (DESIGN.md: ≈ 50/s with one).
        max_concurrent_workflow_task_polls=20,
        max_concurrent_activities=8,  # threads over the store's connection pool
    ):
        await stop.wait()
    if mail is not None:
        await mail
    root.close()


def main() -> None:
    """Entry point: run the worker until SIGINT or SIGTERM."""
    serve("worker", run_worker)


if __name__ == "__main__":
    main()
