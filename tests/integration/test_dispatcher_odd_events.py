"""Dev server + PostgreSQL: no stored liaison event, however odd, stops the dispatcher.

The odd events are written straight into the events table, past the domain's checks. An event
that decodes is forwarded as it is (Temporal payloads are JSON, a NUL travels escaped); one that
does not, or that Temporal refuses, is logged with its notification id and left behind.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row
from temporalio.client import Client
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from application.office import LiaisonOffice
from domain.state import LiaisonState
from projections.log import EVENTS_TABLE
from tests.integration.workflow_stack import dispatcher, eventually, process, worker
from tests.workflows.province import refer
from workers.settings import Settings
from workflows.liaison import LiaisonWorkflow
from workflows.messages import workflow_id

NUL_NAME = "Nul\u0000Name"


def _forge(url: str, topic: str, state: bytes) -> tuple[uuid.UUID, int]:
    """Store one event as given under a fresh originator; return it and its notification id."""
    originator = uuid.uuid4()
    with psycopg.connect(url, autocommit=True) as conn:
        found = conn.execute(
            f"INSERT INTO {EVENTS_TABLE} (originator_id, originator_version, topic, state)"
            " VALUES (%s, 1, %s, %s) RETURNING notification_id",
            (originator, topic, state.replace(b"@ID@", str(originator).encode())),
        ).fetchone()
    assert found is not None
    return originator, int(found[0])


def _referred(url: str, change: Callable[[dict[str, Any]], None]) -> tuple[uuid.UUID, int]:
    """A copy of the first stored `Referred`, changed, as a new liaison's first event."""
    with psycopg.connect(url, row_factory=dict_row) as conn:
        row = conn.execute(
            f"SELECT topic, convert_from(state, 'UTF8') AS s FROM {EVENTS_TABLE}"
            " WHERE topic LIKE '%%:Referred' ORDER BY notification_id LIMIT 1"
        ).fetchone()
    assert row is not None
    state = json.loads(row["s"])
    state["originator_id"] = "@ID@"
    change(state)
    return _forge(url, row["topic"], json.dumps(state).encode())


def _setting(**fields: Any) -> Callable[[dict[str, Any]], None]:
    return lambda state: state.update(fields)


def _position(url: str) -> int:
    """The dispatcher's tracked position (0 before it made its table)."""
    with psycopg.connect(url) as conn:
        made = conn.execute("SELECT to_regclass('liaison_dispatcher_tracking')").fetchone()
        if made is None or made[0] is None:
            return 0
        found = conn.execute(
            "SELECT coalesce(max(notification_id), 0) FROM liaison_dispatcher_tracking"
        ).fetchone()
    return int(found[0]) if found else 0


def _last_liaison_event(url: str) -> int:
    with psycopg.connect(url) as conn:
        found = conn.execute(
            f"SELECT max(notification_id) FROM {EVENTS_TABLE}"
            " WHERE topic LIKE 'domain.liaison_events:%'"
        ).fetchone()
    assert found is not None
    return int(found[0])


async def _state(client: Client, liaison: uuid.UUID) -> LiaisonState | None:
    handle = client.get_workflow_handle(workflow_id(str(liaison)))
    try:
        snapshot = await handle.query(LiaisonWorkflow.snapshot)
    except Exception:  # not started yet, or not past its first task
        return None
    if not snapshot.state_json:  # started, its state not loaded yet (`LiaisonWorkflow.snapshot`)
        return None
    return LiaisonState.model_validate_json(snapshot.state_json)


async def test_odd_stored_events_stop_no_dispatch(
    dev_env: WorkflowEnvironment,
    stack_office: LiaisonOffice,
    stack_settings: Settings,
    pg_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    office, settings = stack_office, stack_settings
    today = datetime.now(UTC).date()
    before = refer(office, today - timedelta(days=1), "55500011")
    nul, _ = _referred(pg_url, _setting(member_name=NUL_NAME))
    left = dict(
        [
            _referred(pg_url, _setting(member_name="Lone\ud800Name")),
            _referred(pg_url, _setting(member_id=42)),
            _referred(pg_url, _setting(member_name="N" * 3_000_000)),  # over Temporal's 2 MB
            _forge(pg_url, "domain.liaison_events:Referred", b'{"originator_id": "\xff'),
        ]
    )
    after = refer(office, today, "55500012")
    queue = f"it-{before.hex[:8]}"
    client = dev_env.client

    with caplog.at_level(logging.WARNING):
        async with process(worker, settings, queue), process(dispatcher, settings, queue):
            head = _last_liaison_event(pg_url)
            await eventually(lambda: _position(pg_url) == head, timeout=60)
            for liaison in (before, after):
                expected = office.state_of(liaison)

                async def caught_up(
                    liaison: uuid.UUID = liaison, expected: LiaisonState = expected
                ) -> bool:
                    return await _state(client, liaison) == expected

                await _eventually_async(caught_up)
            odd = await _eventually_async(lambda: _state(client, nul))
            assert odd.member_name == NUL_NAME

    for liaison in left:  # never started: nothing was forwarded for them
        with pytest.raises(RPCError, match="not found"):
            await client.get_workflow_handle(workflow_id(str(liaison))).describe()
    for nid in left.values():
        assert f"notification {nid}" in caplog.text


async def _eventually_async(check: Callable[[], Any], timeout: float = 30.0) -> Any:
    """Await `check()` until it is truthy; return its value."""
    deadline = datetime.now(UTC) + timedelta(seconds=timeout)
    while True:
        value = await check()
        if value:
            return value
        assert datetime.now(UTC) < deadline, f"not true after {timeout}s: {check}"
        await asyncio.sleep(0.2)
