"""A read of the store that threads asking at the same time share, none given an older answer
than one read after it asked (the reference data every command and activity reads)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class SharedRead(Generic[T]):
    """`read()` for many threads: each caller gets the answer of a read that began after it asked;
    callers who ask while a read runs wait for it to end and share the next one.

    The library fast-forwards a cached aggregate under a lock of its own, so threads reading the
    same aggregate together queue one round trip each behind that lock; sharing the read keeps
    every answer as fresh (nothing committed before a caller asked is missed) at one or two round
    trips however many threads ask."""

    def __init__(self, read: Callable[[], T]) -> None:
        self._read = read
        self._turn = threading.Condition()
        self._asked = 0
        """Callers so far, each numbered in the order they asked."""
        self._running = False
        self._answered = 0
        """The callers the last finished read answers: those who asked before it began."""
        self._answer: T | None = None

    def __call__(self) -> T:
        """An answer read after this call began."""
        with self._turn:
            self._asked += 1
            caller = self._asked
            while self._answered < caller:
                if not self._running:
                    self._running = True
                    break
                self._turn.wait()
            else:
                return self._answer  # type: ignore[return-value]  # set with `_answered`
            covers = self._asked  # everyone who has asked by now is answered by this read
        answered = False
        try:
            answer = self._read()
            answered = True
        finally:
            with self._turn:
                self._running = False
                if answered:
                    self._answer, self._answered = answer, covers
                self._turn.notify_all()  # on a failure a waiting caller reads for itself
        return answer
