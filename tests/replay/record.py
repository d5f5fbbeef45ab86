"""Record the liaison workflow's histories for the replay test: `python -m tests.replay.record`.

Run it only when a change is meant to be incompatible and guarded by `workflow.patched`: the saved
histories are the guard that today's code still replays what earlier code recorded.
"""

from __future__ import annotations

import asyncio
import shutil
import sys
import uuid
from datetime import date, timedelta
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from domain import commands as cmd
from domain.state import ClosingReason
from tests.workflows.province import CLERK, Province, advance_to, pinned, running
from workflows.messages import workflow_id

HISTORIES = Path(__file__).parent / "histories"
START = date(2027, 1, 5)


async def record() -> None:
    """Run two liaisons through their ladders and cycles and save every run's history."""
    path = shutil.which("temporal-test-server") or str(
        Path(sys.executable).parent / "temporal-test-server"
    )
    env = await WorkflowEnvironment.start_time_skipping(test_server_existing_path=path)
    queue = f"record-{uuid.uuid4().hex[:8]}"
    province = Province(pinned("213"))
    await advance_to(env, START)
    late = province.refer(START, card="11111111")
    exempt = province.refer(START, card="22222222")
    province.receive(exempt, START)
    province.do(cmd.ExemptFromActivities, CLERK, START, liaison_id=exempt, reason="travelling")
    async with running(env, province, queue):
        for liaison in (late, exempt):
            await province.forward_new(env.client, liaison, queue)
        await advance_to(env, START + timedelta(days=36))
        province.receive(late, START + timedelta(days=36))
        province.do(
            cmd.RequestAssessment,
            CLERK,
            START + timedelta(days=36),
            liaison_id=exempt,
            purpose=cmd.RequestPurpose.CANDIDACY,
        )
        for liaison in (late, exempt):
            await province.forward_new(env.client, liaison, queue)
        await advance_to(env, date(2028, 2, 1))
        province.do(
            cmd.Close,
            CLERK,
            date(2028, 2, 1),
            liaison_id=late,
            reason=ClosingReason.RETIRED,
        )
        await province.forward_new(env.client, late, queue)
        await advance_to(env, date(2028, 2, 10))
        HISTORIES.mkdir(exist_ok=True)
        for name, liaison in (
            ("late_receipt_then_retired", late),
            ("exempt_on_demand_cycles", exempt),
        ):
            run_id: str | None = None  # the latest run, then back along continue-as-new
            for index in range(100):
                handle = env.client.get_workflow_handle(workflow_id(str(liaison)), run_id=run_id)
                history = await handle.fetch_history()
                (HISTORIES / f"{name}.{index}.json").write_text(history.to_json())
                started = history.events[0].workflow_execution_started_event_attributes
                run_id = started.continued_execution_run_id or None
                if run_id is None:
                    break
    await env.shutdown()


if __name__ == "__main__":
    asyncio.run(record())
