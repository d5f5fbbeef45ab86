"""Reference data read by many threads at once: one read shared, never an answer older than the
call."""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor

import pytest

from application.shared_read import SharedRead


class Store:
    """A read that counts itself and waits at a gate: the answer is the read's number."""

    def __init__(self) -> None:
        self.reads = 0
        self.gate = threading.Event()
        self.fail_next = False

    def read(self) -> int:
        self.reads += 1
        number = self.reads
        self.gate.wait(10)
        if self.fail_next:
            self.fail_next = False
            raise ConnectionError("the store went away")
        return number


def asked(shared: SharedRead[int], callers: int) -> None:
    """Wait until that many callers have asked."""
    deadline = time.monotonic() + 10
    while shared._asked < callers:
        assert time.monotonic() < deadline
        time.sleep(0.001)


def test_callers_arriving_during_a_read_share_the_next_one_not_that_one() -> None:
    store = Store()
    shared = SharedRead(store.read)
    with ThreadPoolExecutor(5) as pool:
        first = pool.submit(shared)
        asked(shared, 1)
        later: list[Future[int]] = [pool.submit(shared) for _ in range(4)]
        asked(shared, 5)
        store.gate.set()
        assert first.result() == 1
        assert [f.result() for f in later] == [2, 2, 2, 2]  # begun after they asked
    assert store.reads == 2


def test_one_caller_alone_reads_every_time() -> None:
    store = Store()
    store.gate.set()
    shared = SharedRead(store.read)
    assert [shared(), shared(), shared()] == [1, 2, 3]


def test_a_failed_read_fails_its_caller_and_the_waiting_read_for_themselves() -> None:
    store = Store()
    store.fail_next = True
    shared = SharedRead(store.read)
    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(shared)
        asked(shared, 1)
        waiting = pool.submit(shared)
        asked(shared, 2)
        store.gate.set()
        with pytest.raises(ConnectionError):
            first.result()
        assert waiting.result() == 2
