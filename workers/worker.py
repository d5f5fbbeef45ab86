"""The Temporal worker process: the liaison and late-referral workflows, their activities, and
the mail relay."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from psycopg_pool import AsyncConnectionPool
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from api.messages import unit_names
from application.office import LiaisonOffice
from projections.cores import collect_seldom
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

PASSED_THROUGH = ("domain", "workflows")
"""Liaison's own modules, shared with the sandbox rather than imported again for every run.

The sandbox re-imports (and, without a bytecode cache, compiles) every module it does not pass
through each time a workflow run starts on this worker: onboarding starts thousands. The
workflows' modules hold no mutable module state (what a run keeps lives on its instance), and
`domain/` is pure; the sandbox's restrictions on the standard library stay. The tests and the
replayer run the default sandbox, which imports them afresh and so still catches a workflow that
reads the clock or the environment."""


ACTIVITY_SLOTS = 8
"""Activities a worker runs at once, each on a thread of its own (`activity_threads`); as many
local activities (the liaison workflow's own since `LOCAL_ACTIVITIES`) share those threads with
the scheduled ones (the referral workflow's, and those of runs begun before)."""


def activity_threads() -> ThreadPoolExecutor:
    """The threads the activities run the synchronous office on: one per activity slot, so that
    no activity given a slot waits for a thread (the event loop's default executor has
    min(32, cores + 4): 6 on two cores, fewer than the slots)."""
    return ThreadPoolExecutor(ACTIVITY_SLOTS, thread_name_prefix="activity")


def warm(office: LiaisonOffice) -> None:
    """Read the organisation and the regulation book into the office's cache, as a worker does
    before it polls: their first read replays them whole (at 300,000 members the organisation's
    28,688 units: 0.8–2.9 s, by the host), and every activity thread that needs them waits for
    that one replay (`LiaisonOffice._reference`), so a worker that polled first stalled its
    first activities on it."""
    office.tree()
    office.regulation_book()


def worker_options() -> dict[str, Any]:
    """How a worker of the liaison task queue runs its workflows and activities (the worker
    process and the benchmarks that measure it)."""
    restrictions = SandboxRestrictions.default.with_passthrough_modules(*PASSED_THROUGH)
    return {
        "workflow_runner": SandboxedWorkflowRunner(restrictions=restrictions),
        # More pollers start new workflows faster (DESIGN.md: ≈ 50/s with one).
        "max_concurrent_workflow_task_polls": 20,
        "max_concurrent_activities": ACTIVITY_SLOTS,  # each a thread over the store's pool
        "max_concurrent_local_activities": ACTIVITY_SLOTS,  # the liaison's own: the same threads
    }


async def run_worker(
    settings: Settings,
    stop: asyncio.Event,
    task_queue: str = TASK_QUEUE,
    activities_class: type[LiaisonActivities] = LiaisonActivities,
) -> None:
    """Poll the liaison task queue until `stop` is set."""
    root = Root(settings, process="worker")
    notices = AsyncConnectionPool(
        root.database_url, min_size=1, max_size=ACTIVITY_SLOTS, open=False
    )
    await notices.open()
    outbox = PostgresOutbox(root.database_url, notices)
    await outbox.create_table()
    client = await root.temporal()
    threads = activity_threads()
    await asyncio.get_running_loop().run_in_executor(threads, warm, root.office)
    activities = activities_class(root.office, outbox, threads)
    referrals = ReferralActivities(root.office, outbox, threads)
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
        **worker_options(),
    ):
        await stop.wait()
    if mail is not None:
        await mail
    threads.shutdown()
    await notices.close()
    root.close()


def main() -> None:
    """Entry point: run the worker until SIGINT or SIGTERM."""
    collect_seldom()  # its workflows and activities make objects by the million, cycles seldom
    serve("worker", run_worker)


if __name__ == "__main__":
    main()
