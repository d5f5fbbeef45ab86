"""An embedded PostgreSQL killed under the projector and the dispatcher: both heal by themselves.

Neither the projector's thread nor the dispatcher's task is restarted: once PostgreSQL is back
on the same data folder they resume from their tracked positions, and the events recorded
afterwards reach every read model and every workflow, none lost and none twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import psutil  # type: ignore[import-untyped]
import psycopg
import pytest
from psycopg.rows import dict_row
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from application.office import LiaisonOffice
from domain import commands as cmd
from domain.state import LiaisonState
from projections.catalog import all_models
from projections.log import EVENTS_TABLE
from projections.runner import Projector
from tests.integration.test_projections import snapshot
from tests.integration.workflow_stack import office_on, process, settings_for, worker
from tests.workflows.province import COMMUNE, k, refer
from workers import embedded
from workers.bootstrap import persistence_env
from workers.dispatcher import run_dispatcher
from workers.projector import run_projector
from workflows.liaison import LiaisonWorkflow
from workflows.messages import workflow_id

pytestmark = pytest.mark.postgres


@pytest.fixture
def data_dir() -> Iterator[Path]:
    """A data folder outside pytest's own temporary folders.

    Every pytest session of the same user makes `/tmp/pytest-of-<user>` private again; under
    root, `pgserver` runs PostgreSQL as another user, which then could not restart in it.
    """
    with tempfile.TemporaryDirectory(prefix="liaison-reconnect-") as path:
        try:
            yield Path(path)
        finally:
            embedded.stop_postgres(Path(path))


def _kill(pgdata: Path) -> None:
    """SIGKILL the postmaster and every process of its server, as a crash of the machine would."""
    pid = int((pgdata / "postmaster.pid").read_text().split()[0])
    postmaster = psutil.Process(pid)
    processes = [postmaster, *postmaster.children(recursive=True)]
    for p in processes:
        with contextlib.suppress(psutil.NoSuchProcess):  # a child that saw the postmaster go
            p.kill()
    psutil.wait_procs(processes, timeout=10)


def _query(url: str, statement: str) -> list[dict[str, Any]]:
    with psycopg.connect(url, row_factory=dict_row, connect_timeout=2) as conn:
        return conn.execute(statement).fetchall()


def _projected(url: str) -> bool:
    """Whether every read model's position is the store's head."""
    rows = _query(url, "SELECT application_name, notification_id FROM projections_tracking")
    positions = {r["application_name"]: r["notification_id"] for r in rows}
    head = _query(url, f"SELECT max(notification_id) AS n FROM {EVENTS_TABLE}")[0]["n"]
    return all(positions.get(m.tracking_name) == head for m in all_models())


def _dispatched(url: str) -> bool:
    """Whether the dispatcher's position is the last liaison event's."""
    tracked = _query(url, "SELECT max(notification_id) AS n FROM liaison_dispatcher_tracking")
    last = _query(
        url,
        f"SELECT max(notification_id) AS n FROM {EVENTS_TABLE}"
        " WHERE topic LIKE 'domain.liaison_events:%'",
    )
    return bool(tracked[0]["n"] == last[0]["n"])


async def _state(client: Client, liaison: UUID) -> LiaisonState | None:
    try:
        snapshot = await client.get_workflow_handle(workflow_id(str(liaison))).query(
            LiaisonWorkflow.snapshot
        )
        return LiaisonState.model_validate_json(snapshot.state_json)
    except Exception:  # not started yet, or not past loading its state
        return None


async def _signalled_versions(client: Client, liaison: UUID) -> Counter[int]:
    """How many times each event version was signalled to the liaison's workflow."""
    history = await client.get_workflow_handle(workflow_id(str(liaison))).fetch_history()
    versions: Counter[int] = Counter()
    for event in history.events:
        if event.HasField("workflow_execution_signaled_event_attributes"):
            for payload in event.workflow_execution_signaled_event_attributes.input.payloads:
                versions[json.loads(payload.data)["version"]] += 1
    return versions


async def _caught_up(
    url: str, office: LiaisonOffice, client: Client, liaisons: list[UUID], timeout: float = 120
) -> None:
    """Wait until the read models, the dispatcher and every workflow have the store's head."""
    await _eventually(lambda: _projected(url) and _dispatched(url), timeout)
    deadline = time.monotonic() + timeout
    for liaison in liaisons:
        while await _state(client, liaison) != office.state_of(liaison):
            assert time.monotonic() < deadline, f"the workflow of {liaison} is behind"
            await asyncio.sleep(0.3)


async def _eventually(check: Callable[[], bool], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if await asyncio.to_thread(check):
                return
        except psycopg.Error:  # a table not made yet
            pass
        assert time.monotonic() < deadline, f"not true after {timeout} s"
        await asyncio.sleep(0.3)


def _answered(office_of: Callable[[], LiaisonOffice]) -> LiaisonOffice:
    """An office on the restarted server (its first connection may still find it starting)."""
    for _ in range(50):
        try:
            office = office_of()
            office.recorder.max_notification_id()
            return office
        except Exception:
            time.sleep(0.2)
    raise AssertionError("PostgreSQL did not come back")


async def test_projector_and_dispatcher_heal_after_postgres_is_killed(
    dev_env: WorkflowEnvironment, data_dir: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    url = embedded.start_postgres(data_dir)
    office = office_on(url)
    today = datetime.now(UTC).date()
    liaisons = [refer(office, today - timedelta(days=1), f"5570000{n}") for n in (1, 2)]
    settings = settings_for(dev_env, url, tmp_path)
    queue = f"it-{liaisons[0].hex[:8]}"
    client = dev_env.client
    stop_projector, stop_dispatcher = threading.Event(), asyncio.Event()
    projector = threading.Thread(target=run_projector, args=(settings, stop_projector))

    with caplog.at_level(logging.WARNING):
        projector.start()
        dispatcher = asyncio.create_task(run_dispatcher(settings, stop_dispatcher, queue))
        try:
            # The worker comes once the others have made their tables (their making is no part
            # of this test); the dispatcher's signals wait for it in Temporal meanwhile.
            await _eventually(lambda: _projected(url) and _dispatched(url))
            async with process(worker, settings, queue):
                await _caught_up(url, office, client, liaisons)
                office.close()

                _kill(data_dir / "postgres")
                embedded.stop_postgres(data_dir)  # drop the handle of the dead server
                await asyncio.sleep(3)  # both find it gone, and try again in vain
                assert projector.is_alive()
                assert not dispatcher.done()
                assert embedded.start_postgres(data_dir) == url  # same folder, same socket

                office = _answered(
                    lambda: LiaisonOffice(env=persistence_env(url), clock=lambda: datetime.now(UTC))
                )
                office.execute(
                    cmd.ReceiveAtCommune(**k(COMMUNE, today), liaison_id=liaisons[0], cell_id="C1")
                )
                liaisons.append(refer(office, today, "55700003"))
                await _caught_up(url, office, client, liaisons)
                assert projector.is_alive()  # never restarted
                assert not dispatcher.done()
        finally:
            stop_projector.set()
            stop_dispatcher.set()
            await asyncio.wait_for(dispatcher, timeout=30)
            await asyncio.to_thread(projector.join, 30)

    # Each says so: its runner, or its wait for the lead (workers.standby) on the same logger.
    for names in (("projections.runner", "workers.projector"), ("workers.dispatcher",)):
        retries = [
            r.getMessage()
            for r in caplog.records
            if r.name in names and r.getMessage().startswith("PostgreSQL unavailable")
        ]
        assert retries, f"{names} never said it was retrying"
        assert all("retrying in" in m for m in retries)

    # Exactly once: every event version reached its workflow once, and the read models equal a
    # rebuild from zero.
    for liaison in liaisons:
        versions = await _signalled_versions(client, liaison)
        assert versions == Counter(range(1, office.state_of(liaison).version + 1)), versions
    env = persistence_env(url)
    live, reference = Projector(env, all_models()), Projector(env, all_models("_ref"))
    reference.catch_up()
    for model in live.models:
        assert snapshot(live, model) == snapshot(reference, model, "_ref")
    live.close()
    reference.close()
    office.close()
