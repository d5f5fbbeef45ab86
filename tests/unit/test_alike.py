"""Equal reads asked at once share one read, never one that began before they were asked."""

from __future__ import annotations

import asyncio

import pytest

from api.alike import Alike, shared


class Store:
    """A value that changes, read slowly: each read notes what it found when it began, then waits
    until the test lets it end."""

    def __init__(self) -> None:
        self.value = 0
        self.begun: list[int] = []
        self.ends = asyncio.Event()
        self.alike = Alike()

    @shared
    async def figure(self, unit: str, year: int = 2025) -> tuple[str, int, int]:
        found = self.value
        self.begun.append(found)
        await self.ends.wait()
        return unit, year, found


async def settle() -> None:
    """Let every task that can run, run."""
    for _ in range(5):
        await asyncio.sleep(0)


async def test_equal_reads_asked_at_once_are_one_read() -> None:
    store = Store()
    store.ends.set()
    answers = await asyncio.gather(*(store.figure("X") for _ in range(20)))
    assert answers == [("X", 2025, 0)] * 20
    assert store.begun == [0]


async def test_a_read_asked_during_an_equal_one_waits_for_the_next_which_sees_later_writes() -> (
    None
):
    store = Store()
    first = asyncio.create_task(store.figure("X"))
    await settle()
    assert store.begun == [0]  # the first read runs, having found 0

    store.value = 1  # a command projected after it began
    later = [asyncio.create_task(store.figure("X")) for _ in range(19)]
    await settle()
    assert store.begun == [0]  # the later ones wait for the running read to end
    store.ends.set()
    assert await first == ("X", 2025, 0)
    assert [await t for t in later] == [("X", 2025, 1)] * 19  # not the older answer
    assert store.begun == [0, 1]  # two reads for twenty requests


async def test_reads_that_differ_are_not_shared_and_defaults_make_calls_equal() -> None:
    store = Store()
    store.ends.set()
    answers = await asyncio.gather(
        store.figure("X"), store.figure("X", 2025), store.figure("X", year=2024), store.figure("Y")
    )
    assert answers == [("X", 2025, 0), ("X", 2025, 0), ("X", 2024, 0), ("Y", 2025, 0)]
    assert len(store.begun) == 3


async def test_an_error_reaches_everyone_who_shared_the_read_and_the_next_read_runs() -> None:
    store = Store()
    calls = 0

    async def failing() -> int:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0)
        raise LookupError("unknown unit")

    results = await asyncio.gather(
        *(store.alike.read("k", failing) for _ in range(5)), return_exceptions=True
    )
    assert calls == 1
    assert all(isinstance(r, LookupError) for r in results)

    async def answering() -> int:
        return 7

    assert await store.alike.read("k", answering) == 7


async def test_a_request_that_goes_away_leaves_the_read_to_the_others() -> None:
    store = Store()
    leaving = asyncio.create_task(store.figure("X"))
    staying = asyncio.create_task(store.figure("X"))
    await settle()
    leaving.cancel()
    await settle()
    store.ends.set()
    assert await staying == ("X", 2025, 0)
    with pytest.raises(asyncio.CancelledError):
        await leaving
    assert store.begun == [0]


async def test_nothing_is_kept_once_the_reads_end() -> None:
    store = Store()
    store.ends.set()
    await store.figure("X")
    store.value = 2
    assert await store.figure("X") == ("X", 2025, 2)
    assert store.begun == [0, 2]


async def test_a_next_read_cancelled_before_it_began_leaves_the_key_to_a_new_read() -> None:
    store = Store()
    running = asyncio.create_task(store.figure("X"))
    await settle()
    waiting = asyncio.create_task(store.figure("X"))
    await settle()
    (flight,) = [t for t in asyncio.all_tasks() if t.get_coro().__qualname__ == "Alike._fly"
                 and t is not _running_flight(store)]  # fmt: skip
    flight.cancel()  # as a shutdown hook that cancels every task would
    await settle()
    store.ends.set()
    assert await running == ("X", 2025, 0)
    with pytest.raises(asyncio.CancelledError):
        await waiting
    store.value = 3
    assert await store.figure("X") == ("X", 2025, 3)  # a new read, not the cancelled one
    assert store.begun == [0, 3]
    assert not store.alike._next  # nothing kept once every read has ended
    assert not store.alike._running


def _running_flight(store: Store) -> asyncio.Task[object]:
    (flight,) = store.alike._running.values()
    return flight
