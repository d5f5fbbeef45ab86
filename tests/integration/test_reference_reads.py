"""The organisation is replayed once when many threads ask for it at once on a cold cache, not
once a thread (the regulation book alike: both are read through `LiaisonOffice._reference`).

The library's repository does not make a thread that misses the cache wait for another already
replaying the same aggregate: a worker just started at 300,000 members had its eight activity
threads each replay the organisation's 28,688 units at once (its first workflow tasks took 16 s
and timed out).
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.application import LRUCache

from application.office import LiaisonOffice
from domain.registry import ORGANISATION_ID
from tests.unit.conftest import build_world

THREADS = 8
ON = date(2027, 1, 4)


def replays_by_threads_at_once(
    monkeypatch: pytest.MonkeyPatch, office: LiaisonOffice
) -> tuple[list[int], list[Any]]:
    """Eight threads ask for the organisation at once: its replays, and what each got."""
    store = office.events  # type: ignore[attr-defined]
    replays: list[int] = []
    get = store.get

    def slow(originator_id: UUID, *args: Any, **kwargs: Any) -> Any:
        if originator_id == ORGANISATION_ID and kwargs.get("gt") is None:
            replays.append(1)
            time.sleep(0.05)  # long enough for every thread to miss the cache meanwhile
        return get(originator_id, *args, **kwargs)

    monkeypatch.setattr(store, "get", slow)
    start = threading.Barrier(THREADS)
    found: list[Any] = []

    def ask() -> None:
        start.wait()
        found.append(office.organisation())

    threads = [threading.Thread(target=ask) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return replays, found


def test_threads_asking_at_once_on_a_cold_cache_replay_the_organisation_once(
    monkeypatch: pytest.MonkeyPatch, pg_env: dict[str, str]
) -> None:
    build_world(ON, env=pg_env).office.close()  # the tree, stored
    office = LiaisonOffice(env=pg_env, clock=lambda: datetime(2027, 1, 4, 9, tzinfo=UTC))
    try:
        replays, found = replays_by_threads_at_once(monkeypatch, office)
        assert len(found) == THREADS
        assert len(replays) == 1
        assert {id(o) for o in found} == {id(found[0])}  # the one cached copy, shared read-only
        assert office.organisation().version == found[0].version  # caught up, not replayed
        assert len(replays) == 1
    finally:
        office.close()


def test_the_organisation_dropped_from_the_cache_is_replayed_once_again(
    monkeypatch: pytest.MonkeyPatch, pg_env: dict[str, str]
) -> None:
    """Read once, then dropped from the aggregate cache (2,000 aggregates: a busy worker's
    liaisons push it out): the next threads that miss it at once replay it once, not each."""
    build_world(ON, env=pg_env).office.close()
    office = LiaisonOffice(env=pg_env, clock=lambda: datetime(2027, 1, 4, 9, tzinfo=UTC))
    try:
        office.organisation()
        office.repository.cache = LRUCache(maxsize=2000)  # as if evicted
        replays, found = replays_by_threads_at_once(monkeypatch, office)
        assert len(found) == THREADS
        assert len(replays) == 1
    finally:
        office.close()
