"""Two copies each of the projector and the dispatcher: the active ones are killed under load.

Each pair shares one lead (an advisory lock): one copy works, the other stands by and takes over
within seconds of a `kill -9`. At the end every event is in every read model once (the tables
equal a rebuild from zero) and every liaison event reached its workflow once.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.postgres import PostgresFactory
from eventsourcing.projection import BaseProjectionRunner
from eventsourcing.utils import Environment
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from application.office import LiaisonOffice
from domain import commands as cmd
from projections.catalog import all_models
from projections.log import EVENTS_TABLE
from projections.runner import Projector
from tests.integration.test_projections import snapshot
from tests.integration.test_reconnect import (
    _caught_up,
    _dispatched,
    _eventually,
    _query,
    _signalled_versions,
    _state,
)
from tests.integration.workflow_stack import (
    dispatcher,
    office_on,
    process,
    settings_for,
)
from tests.integration.workflow_stack import worker as run_worker
from tests.workflows.province import COMMUNE, k, refer
from workers import standby
from workers.bootstrap import Root, persistence_env
from workers.dispatcher import started_runner
from workflows.dispatcher import LiaisonDispatch, bridge

TAKEOVER_SECONDS = 10.0
"""A standby asks every second; a loaded two-core machine gets some slack beyond that."""


def _leader(url: str, role: str) -> int | None:
    """The pid of the copy of `role` that holds its lead on this store, if one does."""
    rows = _query(
        url,
        "SELECT a.application_name AS name FROM pg_locks l JOIN pg_stat_activity a USING (pid)"
        " WHERE l.locktype = 'advisory' AND l.granted"
        f" AND l.classid::int = hashtext(current_schema()) AND l.objid::int = hashtext('{role}')",
    )
    return int(rows[0]["name"].split()[-1]) if rows else None


def _waiting(url: str, pair: list[subprocess.Popen[bytes]]) -> list[str]:
    """The copies of the pair that are up: leading, or standing by for the lead."""
    names = [f"liaison {role} {p.pid}" for role in ("projector", "dispatcher") for p in pair]
    rows = _query(url, "SELECT application_name AS name FROM pg_stat_activity")
    return [r["name"] for r in rows if r["name"] in names]


def _start(module: str, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", module],
            env=env,
            cwd=Path(__file__).parents[2],
            stdout=out,
            stderr=subprocess.STDOUT,
        )


class Load:
    """Refers a member, and receives the one before, again and again on a thread of its own."""

    def __init__(self, office: LiaisonOffice) -> None:
        self.office = office
        self.liaisons: list = []  # type: ignore[type-arg]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run)
        self._thread.start()

    def _run(self) -> None:
        today = datetime.now(UTC).date()
        n = 0
        while not self._stop.is_set():
            n += 1
            self.liaisons.append(refer(self.office, today - timedelta(days=1), f"5580{n:04d}"))
            if n % 2 == 0:
                self.office.execute(
                    cmd.ReceiveAtCommune(
                        **k(COMMUNE, today), liaison_id=self.liaisons[-2], cell_id="C1"
                    )
                )
            time.sleep(0.2)  # a steady trickle: each referral starts a workflow

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(30)


async def test_standbys_take_over_under_load_and_nothing_goes_twice(
    dev_env: WorkflowEnvironment, pg_url: str, tmp_path: Path
) -> None:
    office = office_on(pg_url)
    settings = settings_for(dev_env, pg_url, tmp_path)
    env = {
        **os.environ,
        "DATABASE_URL": pg_url,
        "TEMPORAL_ADDRESS": settings.temporal_address or "",
    }
    copies = {
        role: [_start(f"workers.{role}", env, tmp_path / f"{role}-{n}.log") for n in (1, 2)]
        for role in ("projector", "dispatcher")
    }
    load = None
    try:
        async with process(run_worker, settings, "liaison"):
            load = Load(office)
            first = {}
            for role, pair in copies.items():
                await _eventually(lambda pair=pair: len(_waiting(pg_url, pair)) == 2)
                first[role] = _leader(pg_url, role)
                assert first[role] in {p.pid for p in pair}  # one leads, the other stands by
            await asyncio.sleep(2)  # events keep coming while both work
            killed_at = time.monotonic()
            for role, pair in copies.items():
                doomed = next(p for p in pair if p.pid == first[role])
                doomed.send_signal(signal.SIGKILL)
                doomed.wait()
            for role, pair in copies.items():
                others = {p.pid for p in pair if p.pid != first[role]}
                await _eventually(
                    lambda role=role, others=others: _leader(pg_url, role) in others,
                    TAKEOVER_SECONDS,
                )
            assert time.monotonic() - killed_at < TAKEOVER_SECONDS
            await asyncio.sleep(2)  # the standbys work under load a while
            load.stop()
            assert len(load.liaisons) > 10
            await _caught_up(pg_url, office, dev_env.client, load.liaisons)
    finally:
        if load is not None:
            load.stop()
        for pair in copies.values():
            for p in pair:
                if p.poll() is None:
                    p.send_signal(signal.SIGTERM)
        for pair in copies.values():
            for p in pair:
                try:
                    p.wait(30)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()

    # Dispatched once: each version of each liaison was signalled to its workflow once.
    for liaison in load.liaisons:
        versions = await _signalled_versions(dev_env.client, liaison)
        assert versions == Counter(range(1, office.state_of(liaison).version + 1)), versions
    # Projected once: the read models equal a rebuild from zero, the audit trail has each event.
    store = persistence_env(pg_url)
    live, reference = Projector(store, all_models()), Projector(store, all_models("_ref"))
    try:
        reference.catch_up()
        for model in live.models:
            assert snapshot(live, model) == snapshot(reference, model, "_ref")
        with live.transaction() as cur:
            cur.execute(
                "SELECT count(*) AS n, count(DISTINCT notification_id) AS d FROM audit_event"
            )
            counted = cur.fetchone()
        assert counted["n"] == counted["d"] > 0
    finally:
        live.close()
        reference.close()
    names = [f"liaison {role} {p.pid}" for role, pair in copies.items() for p in pair]
    with psycopg.connect(pg_url) as conn:  # no copy left holding or waiting for a lead
        left = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = ANY(%s)", (names,)
        ).fetchone()
    assert left == (0,)


async def _forwarded(url: str, office: LiaisonOffice, client: Client, liaisons: list[UUID]) -> None:
    """Wait until the dispatcher has the last liaison event and every workflow its liaison's."""
    await _eventually(lambda: _dispatched(url))
    for liaison in liaisons:
        await _eventually_async(
            lambda liaison=liaison: _state(client, liaison), office.state_of(liaison)
        )


async def _eventually_async(
    read: Callable[[], Awaitable[Any]], expected: Any, timeout: float = 60
) -> None:
    deadline = time.monotonic() + timeout
    while await read() != expected:
        assert time.monotonic() < deadline, f"not {expected} after {timeout} s"
        await asyncio.sleep(0.3)


async def test_an_event_forwarded_but_not_recorded_is_not_forwarded_again(
    dev_env: WorkflowEnvironment, pg_url: str, tmp_path: Path
) -> None:
    office = office_on(pg_url)
    today = datetime.now(UTC).date()
    liaisons = [refer(office, today - timedelta(days=1), f"5590000{n}") for n in (1, 2)]
    settings = settings_for(dev_env, pg_url, tmp_path)
    queue = f"resume-{liaisons[0].hex[:8]}"
    async with process(run_worker, settings, queue):
        async with process(dispatcher, settings, queue):
            await _forwarded(pg_url, office, dev_env.client, liaisons)
        # As if the dispatcher died after forwarding the last event, before recording it.
        last = _query(
            pg_url,
            f"SELECT max(notification_id) AS n FROM {EVENTS_TABLE}"
            " WHERE topic LIKE 'domain.liaison_events:%'",
        )[0]["n"]
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute("UPDATE liaison_dispatcher_tracking SET notification_id = %s", (last - 1,))
        office.execute(
            cmd.ReceiveAtCommune(**k(COMMUNE, today), liaison_id=liaisons[0], cell_id="C1")
        )
        async with process(dispatcher, settings, queue):
            await _forwarded(pg_url, office, dev_env.client, liaisons)
    for liaison in liaisons:
        versions = await _signalled_versions(dev_env.client, liaison)
        assert versions == Counter(range(1, office.state_of(liaison).version + 1)), versions


def test_a_standby_whose_connection_is_cut_keeps_waiting_and_then_leads(pg_url: str) -> None:
    holder = standby.Lead(pg_url, "test-role")
    assert holder.take()
    stop, led = threading.Event(), threading.Event()

    def work(active: threading.Event) -> None:
        led.set()
        active.wait()

    waiting = threading.Thread(target=standby.while_leading, args=(pg_url, "test-role", stop, work))
    waiting.start()
    try:
        name = f"liaison test-role {os.getpid()}"
        waiters = (
            "SELECT pid FROM pg_stat_activity WHERE application_name = %s AND pid NOT IN"
            " (SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted)"
        )
        with psycopg.connect(pg_url, autocommit=True) as conn:
            deadline = time.monotonic() + 10
            while not (found := conn.execute(waiters, (name,)).fetchall()):
                assert time.monotonic() < deadline, "the standby never connected"
                time.sleep(0.1)
            conn.execute("SELECT pg_terminate_backend(%s)", (found[0][0],))  # a cut connection
        time.sleep(2 * standby.POLL_SECONDS)  # it notices, and connects again
        assert waiting.is_alive()
        assert not led.is_set()
        holder.close()  # the active copy goes
        assert led.wait(TAKEOVER_SECONDS)
    finally:
        stop.set()
        waiting.join(10)
        holder.close()
    assert not waiting.is_alive()


async def test_processes_starting_together_on_a_fresh_store_each_make_or_check_its_tables(
    dev_env: WorkflowEnvironment, pg_url: str, tmp_path: Path
) -> None:
    """The worker, the board and copies of the dispatcher start at once on an empty schema: the
    library's CREATE OR REPLACE of its insert function, run twice at once, failed one of them
    with "tuple concurrently updated" (seen in CI)."""
    settings = settings_for(dev_env, pg_url, tmp_path)
    env = persistence_env(pg_url)
    calls = bridge(dev_env.client, "fresh-store", asyncio.get_running_loop(), lambda: True)
    roots = [Root(settings) for _ in range(3)]
    factories = [PostgresFactory(Environment(LiaisonDispatch.name, env)) for _ in range(3)]
    try:
        started = await asyncio.gather(
            *(asyncio.to_thread(lambda root=root: root.office) for root in roots),
            *(asyncio.to_thread(started_runner, f, env, calls) for f in factories),
            return_exceptions=True,
        )
        failures = [repr(s) for s in started if isinstance(s, BaseException)]
        assert not failures, failures
    finally:
        for s in started:
            if isinstance(s, BaseProjectionRunner):
                s.__exit__(None, None, None)
        for root in roots:
            root.close()
        for f in factories:
            f.close()
