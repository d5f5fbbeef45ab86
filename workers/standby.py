"""Standbys: of several copies of the projector or the dispatcher, the one holding the lead works.

The lead is a PostgreSQL session-level advisory lock on a connection of its own, named after the
store's schema and the process's role. It is held as long as that connection lives: when the
active copy dies (even by `kill -9`), its server process ends, the lock is free, and a standby
that asks for it every second takes over. The active copy checks its connection every second and
stops working as soon as the connection is lost (a standby may already hold the lock then).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
import time
from collections.abc import Awaitable, Callable

import psycopg

from projections.outage import Backoff, summary, unavailable

POLL_SECONDS = 1.0
"""How often a standby asks for the lead, and the active copy checks that it still holds it."""


def _log(role: str) -> logging.Logger:
    """The logger of the process that plays the role (`workers.projector`, `workers.dispatcher`)."""
    return logging.getLogger(f"workers.{role}")


class Lead:
    """The advisory lock of one role on one store, asked for on a connection of its own."""

    def __init__(self, url: str, role: str) -> None:
        self.role = role
        self._conn = psycopg.connect(
            url,
            autocommit=True,
            connect_timeout=5,
            application_name=f"liaison {role} {os.getpid()}",  # who leads, in pg_stat_activity
            # A vanished machine's lock is freed within seconds over TCP, not after the kernel's
            # two hours (the server's side is set the same way below).
            keepalives=1,
            keepalives_idle=5,
            keepalives_interval=2,
            keepalives_count=3,
        )
        self._conn.execute(
            "SELECT set_config('tcp_keepalives_idle', '5', false),"
            " set_config('tcp_keepalives_interval', '2', false),"
            " set_config('tcp_keepalives_count', '3', false),"
            " set_config('idle_session_timeout', '0', false)"  # an idle lock is not abandoned
        )

    def take(self) -> bool:
        """Take the lead if no other copy holds it; whether this copy holds it now."""
        taken = self._conn.execute(
            "SELECT pg_try_advisory_lock(hashtext(current_schema()), hashtext(%s))", (self.role,)
        ).fetchone()
        return bool(taken and taken[0])

    def wait(self, stopping: Callable[[], bool]) -> bool:
        """Ask every `POLL_SECONDS` until this copy leads (True) or `stopping()` (False)."""
        announced = False
        while not stopping():
            if self.take():
                return True
            if not announced:
                _log(self.role).info("Standing by: another %s is active", self.role)
                announced = True
            time.sleep(POLL_SECONDS)
        return False

    def held(self) -> bool:
        """Whether the lock's connection still answers (so the lock is still this copy's)."""
        try:
            self._conn.execute("SELECT 1")
        except psycopg.Error:
            return False
        return True

    def close(self) -> None:
        """Give the lead up (closing the connection frees the lock)."""
        self._conn.close()


def watch(lead: Lead, keep_on: Callable[[], bool], lost: Callable[[], None]) -> threading.Thread:
    """Check the lead every `POLL_SECONDS` on a thread while `keep_on()`; call `lost` if gone."""

    def check() -> None:
        while keep_on():
            if not lead.held():
                _log(lead.role).warning(
                    "The %s lost its lead (its connection to PostgreSQL)", lead.role
                )
                lost()
                return
            time.sleep(POLL_SECONDS)

    thread = threading.Thread(target=check, name=f"{lead.role}-lead", daemon=True)
    thread.start()
    return thread


def _take(
    url: str, role: str, backoff: Backoff, stopping: Callable[[], bool]
) -> Lead | float | None:
    """The lead once this copy holds it; None if `stopping()` first; or, while PostgreSQL is
    away (before or while standing by), the seconds to wait before trying again."""
    lead = None
    try:
        lead = Lead(url, role)
        if lead.wait(stopping):
            backoff.reset()
            _log(role).info("Active: this %s holds the lead", role)
            return lead
        lead.close()
        return None
    except psycopg.Error as error:
        if lead is not None:
            lead.close()
        if not unavailable(error):
            raise
        delay = backoff.next()
        _log(role).warning("PostgreSQL unavailable (%s), retrying in %g s", summary(error), delay)
        return delay


def while_leading(
    url: str, role: str, stop: threading.Event, work: Callable[[threading.Event], None]
) -> None:
    """Run `work(active)` each time this copy takes the lead, until `stop` is set; `active` is
    set when `stop` is, or when the lead is lost (then this copy stands by again)."""
    backoff = Backoff()
    while not stop.is_set():
        lead = _take(url, role, backoff, stop.is_set)
        if lead is None:
            return
        if isinstance(lead, float):
            stop.wait(lead)
            continue
        try:
            active = threading.Event()

            def keep_on(active: threading.Event = active) -> bool:
                if stop.is_set():
                    active.set()
                return not active.is_set()

            watcher = watch(lead, keep_on, active.set)
            try:
                work(active)
            finally:
                active.set()
                watcher.join()
        finally:
            lead.close()


async def while_leading_async(
    url: str, role: str, stop: asyncio.Event, work: Callable[[asyncio.Event], Awaitable[None]]
) -> None:
    """`while_leading` for a process on an event loop: `work(active)` is awaited while leading."""
    loop = asyncio.get_running_loop()
    backoff = Backoff()
    while not stop.is_set():
        lead = await asyncio.to_thread(_take, url, role, backoff, stop.is_set)
        if lead is None:
            return
        if isinstance(lead, float):
            await _wait(stop, lead)
            continue
        try:
            active = asyncio.Event()
            stopped = asyncio.ensure_future(_then_set(stop, active))

            def lost(active: asyncio.Event = active) -> None:
                loop.call_soon_threadsafe(active.set)

            def keep_on(active: asyncio.Event = active) -> bool:
                return not active.is_set()

            watcher = watch(lead, keep_on, lost)
            try:
                await work(active)
            finally:
                active.set()
                stopped.cancel()
                await asyncio.to_thread(watcher.join)
        finally:
            await asyncio.to_thread(lead.close)


async def _then_set(first: asyncio.Event, then: asyncio.Event) -> None:
    await first.wait()
    then.set()


async def _wait(event: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(event.wait(), seconds)
