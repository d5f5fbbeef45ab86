"""Onboarding: start the workflows of open liaisons from the store, at the server's pace, resumable.

Imported history is not signalled to workflows (the dispatcher skips events whose actor is an
import). Instead each liaison still open gets its workflow started without a start signal: the
workflow loads the liaison's state from the store in one activity (its events folded there, not in
the workflow), so a decade of history costs one read, not a signal per event, and the run's
history holds the state, not the events. Re-running skips the workflows already started.

Members registered but never referred nor exempted from introduction (by the import, or before
the dispatcher started their late-referral workflow) get that workflow the same way.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.utils import get_topic
from psycopg import sql
from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from application.office import LiaisonOffice
from domain.member import (
    ExemptedFromIntroduction,
    IntroductionExemptionLifted,
    LiaisonEnded,
    LiaisonOpened,
    MemberRegistered,
)
from workers.settings import Settings
from workflows.dispatcher import start_watch
from workflows.liaison import LiaisonWorkflow
from workflows.messages import TASK_QUEUE, LiaisonWorkflowInput, workflow_id

ATTEMPTS = 6
BACKOFF_SECONDS = 0.5
TRANSIENT = frozenset(
    {
        RPCStatusCode.DEADLINE_EXCEEDED,
        RPCStatusCode.UNAVAILABLE,
        RPCStatusCode.RESOURCE_EXHAUSTED,
        RPCStatusCode.CANCELLED,
    }
)
"""A busy server's answers: the start is tried again (about 15 s in all) rather than the whole
onboarding stopping. A start that timed out but went through is found already started."""


@dataclass
class Onboarded:
    """How many workflows were started now, had been started before, and how fast."""

    started: int = 0
    already: int = 0
    retried: int = 0
    seconds: float = 0.0

    @property
    def rate(self) -> float:
        """Starts per second."""
        return self.started / self.seconds if self.seconds else 0.0


def open_liaisons(office: LiaisonOffice) -> list[UUID]:
    """Each member's open liaison, as the members' own events say (one pass over two topics)."""
    recorder: Any = office.recorder
    table = sql.Identifier(recorder.datastore.schema, recorder.events_table_name)
    statement = sql.SQL(
        "SELECT originator_id, topic, state FROM {} WHERE topic = ANY(%s) ORDER BY notification_id"
    ).format(table)
    opened, ended = get_topic(LiaisonOpened), get_topic(LiaisonEnded)
    current: dict[UUID, str | None] = {}
    with recorder.datastore.get_connection() as conn, conn.cursor() as cur:
        cur.execute(statement, ([opened, ended],))
        for r in cur:
            liaison = json.loads(bytes(r["state"]))["liaison_id"]
            if r["topic"] == opened:
                current[r["originator_id"]] = liaison
            elif current.get(r["originator_id"]) == liaison:
                current[r["originator_id"]] = None
    return sorted(UUID(v) for v in current.values() if v)


def awaiting_referral(office: LiaisonOffice) -> list[UUID]:
    """Members registered, never referred, and not exempt from introduction now, as their own
    events say (the rule of `Member.referral_due`; one pass over their topics)."""
    recorder: Any = office.recorder
    table = sql.Identifier(recorder.datastore.schema, recorder.events_table_name)
    statement = sql.SQL(
        "SELECT originator_id, topic FROM {} WHERE topic = ANY(%s) ORDER BY notification_id"
    ).format(table)
    kinds = (MemberRegistered, LiaisonOpened, ExemptedFromIntroduction, IntroductionExemptionLifted)
    topics = [get_topic(k) for k in kinds]
    registered, referred, exempt = set(), set(), set()
    with recorder.datastore.get_connection() as conn, conn.cursor() as cur:
        cur.execute(statement, (topics,))
        for r in cur:
            member, topic = r["originator_id"], r["topic"]
            if topic == topics[0]:
                registered.add(member)
            elif topic == topics[1]:
                referred.add(member)
            elif topic == topics[2]:
                exempt.add(member)
            else:
                exempt.discard(member)
    return sorted(registered - referred - exempt)


StartOne = Callable[[Client, UUID, str], Awaitable[object]]


async def start_liaison(client: Client, liaison_id: UUID, task_queue: str) -> object:
    """Start a liaison's workflow (no start signal: it loads its state)."""
    return await client.start_workflow(
        LiaisonWorkflow.run,
        LiaisonWorkflowInput(liaison_id=str(liaison_id)),
        id=workflow_id(str(liaison_id)),
        task_queue=task_queue,
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
    )


async def start_referral(client: Client, member_id: UUID, task_queue: str) -> None:
    """Start a member's late-referral workflow (it reads the member at each wake)."""
    await start_watch(client, str(member_id), task_queue)


async def start_workflows(
    client: Client,
    liaison_ids: Sequence[UUID],
    task_queue: str = TASK_QUEUE,
    concurrency: int = 8,
    progress: Callable[[int], None] | None = None,
    start_one: StartOne = start_liaison,
) -> Onboarded:
    """Start each liaison's workflow (or, with `start_referral`, each member's late-referral
    workflow, given member ids); skip started ones."""
    result = Onboarded()
    gate = asyncio.Semaphore(concurrency)
    started = time.perf_counter()

    async def start(liaison_id: UUID) -> None:
        async with gate:
            for attempt in range(ATTEMPTS):
                try:
                    await start_one(client, liaison_id, task_queue)
                    result.started += 1
                    break
                except WorkflowAlreadyStartedError:  # before, or by a start that timed out
                    result.already += 1
                    break
                except RPCError as error:
                    if error.status not in TRANSIENT or attempt == ATTEMPTS - 1:
                        raise
                    result.retried += 1
                    await asyncio.sleep(BACKOFF_SECONDS * 2**attempt)
            if progress is not None:
                progress(result.started + result.already)

    await asyncio.gather(*(start(i) for i in liaison_ids))
    result.seconds = time.perf_counter() - started
    return result


def start_in_background(
    settings: Settings, office: LiaisonOffice, say: Callable[[str], None]
) -> threading.Thread:
    """Start the open liaisons' workflows in a daemon thread, saying when it is done."""
    from workers.bootstrap import Root

    liaisons, members = open_liaisons(office), awaiting_referral(office)

    async def start() -> tuple[Onboarded, Onboarded]:
        client = await Root(settings).temporal()
        done = await start_workflows(client, liaisons)  # the liaisons' deadlines first
        return done, await start_workflows(client, members, start_one=start_referral)

    def run() -> None:
        try:
            done, watches = asyncio.run(start())
        except Exception as error:  # the stack goes on; a later `liaison onboard` resumes
            say(f"Onboarding stopped: {error!r}; run `liaison onboard` to resume.")
            return
        say(
            f"Workflows: {done.started} started for {len(liaisons)} open liaisons "
            f"({done.already} already running, {done.rate:,.1f} starts/s); "
            f"{watches.started} late-referral watches for {len(members)} members not yet referred."
        )

    thread = threading.Thread(target=run, name="onboarding", daemon=True)
    thread.start()
    return thread
