"""The daily checkpoint is a Temporal schedule, kept by the seal's worker; run on the dev server."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from application.office import LiaisonOffice
from liaison_verify.checkpoint import Checkpoint, new_key
from projections.log import EVENTS_TABLE
from projections.runner import Projector
from projections.seal import Seal
from tests.integration import province as pv
from tests.integration.workflow_stack import eventually
from workers.sealer import EVERY, SCHEDULE_ID, run_sealer
from workers.settings import Settings

WAIT = 120.0
"""Seconds each step may take: the worker's start and a run of the schedule's workflow took
longer than the 10–30 s this test allowed once, under `-n 2` on a slow host."""


async def test_the_schedule_publishes_a_signed_checkpoint_at_least_daily(
    dev_env: WorkflowEnvironment, pg_url: str, pg_env: dict[str, str], tmp_path: Path
) -> None:
    office = LiaisonOffice(env=pg_env, clock=pv.clock)
    pv.build_province(office)
    pv.received_member(office, 1)
    projector = Projector(pg_env, [Seal()])
    projector.catch_up()
    public = new_key(tmp_path / "seal.key")
    folder = tmp_path / "checkpoints"
    settings = Settings(
        database_url=pg_url, seal_key_file=tmp_path / "seal.key", checkpoint_dir=folder
    )
    stop = asyncio.Event()
    client = dev_env.client
    sealer = asyncio.create_task(run_sealer(settings, stop, "seal-test", client))
    try:
        handle = client.get_schedule_handle(SCHEDULE_ID)
        deadline = time.monotonic() + WAIT
        while True:  # the sealer makes the schedule once its worker is up
            try:
                described = await handle.describe()
                break
            except RPCError:
                if sealer.done():
                    sealer.result()  # its error, rather than a wait for nothing
                assert time.monotonic() < deadline, f"no schedule after {WAIT} s"
                await asyncio.sleep(0.1)
        [interval] = described.schedule.spec.intervals
        assert interval.every == EVERY <= timedelta(days=1)
        await handle.trigger()
        [file] = await eventually(lambda: list(folder.glob("*.json")), WAIT)
        checkpoint = Checkpoint.from_json(file.read_text(encoding="utf-8"))
        assert checkpoint.signed_by(public)

        def published() -> list[Any]:  # the file is written first, then the event is recorded
            with projector.transaction() as cur:
                cur.execute(
                    f"SELECT state FROM {EVENTS_TABLE} WHERE topic LIKE '%%:CheckpointPublished'"
                )
                return cur.fetchall()

        [row] = await eventually(published, WAIT)
        assert json.loads(bytes(row["state"]))["signature"] == checkpoint.signature
    finally:
        stop.set()
        await sealer
        projector.close()
