"""Killing the worker in the middle of an escalation activity records the escalation once."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from application.office import LiaisonOffice
from domain.deadlines import DeadlineKind
from domain.escalation import escalation_id
from tests.integration.workflow_stack import dispatcher, eventually, process, worker
from tests.workflows.province import refer
from workers.settings import Settings
from workflows.outbox import PostgresOutbox


async def test_killed_worker_records_the_escalation_once(
    stack_office: LiaisonOffice, stack_settings: Settings, pg_url: str, tmp_path: Path
) -> None:
    office, settings = stack_office, stack_settings
    liaison = refer(office, datetime.now(UTC).date() - timedelta(days=45), "55500002")
    queue = f"crash-{liaison.hex[:8]}"
    marker = tmp_path / "escalation-recorded"
    receipt = escalation_id(liaison, DeadlineKind.RECEIPT, str(liaison))
    env = {
        **os.environ,
        "DATABASE_URL": pg_url,
        "TEMPORAL_ADDRESS": settings.temporal_address or "",
    }
    doomed = subprocess.Popen(
        [sys.executable, "-m", "tests.integration.pausing_worker", queue, str(marker)],
        env=env,
        cwd=Path(__file__).parents[2],
    )
    try:
        async with process(dispatcher, settings, queue):
            await eventually(marker.exists, timeout=60)
            doomed.send_signal(signal.SIGKILL)
            doomed.wait()
            async with process(worker, settings, queue):
                # The retry (after the activity's 20 s timeout) finds the receipt and goes on.
                notifications = PostgresOutbox(pg_url)
                await eventually(
                    # reminder, missed and escalated, and the copies of the last two to W
                    lambda: asyncio.run(notifications.all()).__len__() == 5,
                    timeout=90,
                )
    finally:
        if doomed.poll() is None:
            doomed.kill()
    steps = [type(e).__name__ for e in office.events.get(receipt)]  # type: ignore[attr-defined]
    assert steps == ["EscalationOpened", "ReminderSent", "DeadlineMissed", "Escalated"]
