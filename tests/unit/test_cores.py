"""`projections.cores`: chunks folded in worker processes, round robin, each worker's state
kept in it until the end; a worker's failure reaches the caller; workers end with their
process, even killed."""

from __future__ import annotations

import functools
import gc
import multiprocessing
import os
import signal
import time
from pathlib import Path

import pytest

from projections.cores import YOUNG_OBJECTS, Cores, seldom_collected


def _fold(state: list[tuple[int, int]], chunk: int) -> None:
    if chunk < 0:
        raise ValueError(f"chunk {chunk} refused")
    state.append((os.getpid(), chunk))


def test_chunks_after_the_first_are_folded_once_each_in_the_workers() -> None:
    with Cores(list, _fold, spread_from=3, workers=2) as cores:
        cores.add(range(20))
        here, *workers = cores.states()
    assert here == [(os.getpid(), c) for c in range(3)]
    assert len(workers) == 2
    pids = [{pid for pid, _ in state} for state in workers]
    assert [len(p) for p in pids] == [1, 1]
    assert len(pids[0] | pids[1]) == 2
    assert os.getpid() not in pids[0] | pids[1]
    chunks = sorted(c for state in workers for _, c in state)
    assert chunks == list(range(3, 20))


class _Handed:
    """A state that notes when it is pickled (handed back), which takes a while."""

    def __init__(self, folder: str) -> None:
        self.folder = folder

    def __getstate__(self) -> dict[str, str]:
        began = time.monotonic()
        time.sleep(1)
        Path(self.folder, f"handed-{os.getpid()}").write_text(f"{began} {time.monotonic()}")
        return self.__dict__


def _noted(state: _Handed, chunk: int) -> None:
    Path(state.folder, f"folded-{os.getpid()}").touch()


def test_the_workers_hand_their_states_back_at_the_same_time(tmp_path: Path) -> None:
    """Each worker pickles its state while the others pickle theirs, not once the one before
    has handed its state back."""
    with Cores(
        functools.partial(_Handed, str(tmp_path)), _noted, spread_from=0, workers=2
    ) as cores:
        cores.add(range(4))
        deadline = time.monotonic() + 60
        while len(list(tmp_path.glob("folded-*"))) < 2:  # both started and folding, however slow
            assert time.monotonic() < deadline, "the workers never folded their chunks"
            time.sleep(0.05)
        states = cores.states()
    assert len(states) == 3
    spans = [tuple(map(float, p.read_text().split())) for p in tmp_path.glob("handed-*")]
    assert len(spans) == 2
    assert max(began for began, _ in spans) < min(ended for _, ended in spans)


def _young(state: list[int], chunk: int) -> None:
    state.append(gc.get_threshold()[0])


def test_a_worker_collects_cycles_seldom_and_this_process_as_it_did() -> None:
    before = gc.get_threshold()
    with Cores(list, _young, spread_from=1, workers=1) as cores:
        cores.add(range(4))
        here, worker = cores.states()
    assert here == [before[0]]
    assert worker == [YOUNG_OBJECTS] * 3
    assert gc.get_threshold() == before


def test_a_block_collected_seldom_leaves_the_collector_as_it_was_even_when_it_fails() -> None:
    before, frozen = gc.get_threshold(), gc.get_freeze_count()
    inside: list[tuple[object, ...]] = []

    def fail() -> None:
        with seldom_collected(freeze=True):
            inside.append((gc.get_threshold(), gc.get_freeze_count() > frozen))
            raise RuntimeError

    with pytest.raises(RuntimeError):
        fail()
    assert inside == [((YOUNG_OBJECTS, *before[1:]), True)]  # what was alive is left out
    assert (gc.get_threshold(), gc.get_freeze_count()) == (before, frozen)


def test_without_workers_everything_is_folded_here() -> None:
    with Cores(list, _fold, spread_from=0, workers=0) as cores:
        cores.add(range(5))
        assert cores.states() == [[(os.getpid(), c) for c in range(5)]]


def _refused() -> None:
    with Cores(list, _fold, spread_from=0, workers=2) as cores:
        cores.add([1, 2, -1, 3, 4, 5, 6, 7])
        cores.states()


def test_a_workers_failure_reaches_the_caller() -> None:
    with pytest.raises(ValueError, match="chunk -1 refused"):
        _refused()


def _tell_pid(state: list[int], path: str) -> None:
    Path(path).write_text(str(os.getpid()))


def _fold_then_hang(path: str) -> None:
    with Cores(list, _tell_pid, spread_from=0, workers=1) as cores:
        cores.add([path])
        time.sleep(600)


def _alive(pid: int) -> bool:
    return Path(f"/proc/{pid}").exists()


def test_workers_end_when_their_process_is_killed(tmp_path: Path) -> None:
    told = tmp_path / "worker.pid"
    parent = multiprocessing.get_context("spawn").Process(target=_fold_then_hang, args=(str(told),))
    parent.start()
    try:
        deadline = time.monotonic() + 30
        while not told.exists() or not told.read_text():
            assert time.monotonic() < deadline, "the worker never folded its chunk"
            time.sleep(0.05)
        worker = int(told.read_text())
        assert _alive(worker)
    finally:
        os.kill(parent.pid, signal.SIGKILL)  # type: ignore[arg-type]
        parent.join()
    deadline = time.monotonic() + 10
    while _alive(worker):
        assert time.monotonic() < deadline, "the worker outlived its killed process"
        time.sleep(0.05)
