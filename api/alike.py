"""Equal reads asked at once, answered by one read that began after each of them was asked.

Twenty supervisors opening the province's home at 8 o'clock ask the same figures of the same
store: on two cores, twenty reads at once each take twenty times as long as one. Here a read asked
while an equal one runs waits for the *next* equal read, which begins as soon as the running one
ends and answers everyone who asked before it began. No answer is older than its request (a page
asked after a command was seen projected shows that command, as a read of its own would), and at
most two equal reads exist at a time: one running, one waiting to begin.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
from collections.abc import Awaitable, Callable, Coroutine, Hashable
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


class Alike:
    """The reads of one holder (a web process's `ProjectionReads`), by what they ask."""

    def __init__(self) -> None:
        self._running: dict[Hashable, asyncio.Task[Any]] = {}
        self._next: dict[Hashable, asyncio.Task[Any]] = {}

    async def read(self, key: Hashable, read: Callable[[], Awaitable[T]]) -> T:
        """`read()`'s answer, shared with the equal reads (`key`) asked before it begins."""
        flight = _ours(self._next.get(key))
        if flight is None:
            flight = asyncio.create_task(self._fly(key, _ours(self._running.get(key)), read))
            flight.add_done_callback(_retrieved)
            self._next[key] = flight
        # A request that goes away (a closed page) leaves the read to those still waiting.
        return await asyncio.shield(flight)

    async def _fly(
        self, key: Hashable, before: asyncio.Task[Any] | None, read: Callable[[], Awaitable[T]]
    ) -> T:
        this = asyncio.current_task()
        assert this is not None
        try:
            if before is not None:
                await asyncio.wait([before])  # its answer (or error) is its own askers'
            else:  # `read` registers this flight first, even where tasks start eagerly (3.12+)
                await asyncio.sleep(0)
        finally:  # begun, or cancelled while waiting: a request from now on waits for another
            if self._next.get(key) is this:
                del self._next[key]
        self._running[key] = this
        try:
            return await read()
        finally:
            if self._running.get(key) is this:
                del self._running[key]


class _Holder(Protocol):
    alike: Alike


H = TypeVar("H", bound=_Holder)


def shared(
    method: Callable[Concatenate[H, P], Coroutine[Any, Any, T]],
) -> Callable[Concatenate[H, P], Coroutine[Any, Any, T]]:
    """The method's equal calls asked at once answered by one read (`Alike`); its arguments,
    defaults filled in, are what makes two calls equal, so they must be hashable."""
    signature = inspect.signature(method)

    @functools.wraps(method)
    async def alike(holder: H, /, *args: P.args, **kwargs: P.kwargs) -> T:
        bound = signature.bind(holder, *args, **kwargs)
        bound.apply_defaults()
        key = (method.__name__, *tuple(bound.arguments.values())[1:])
        return await holder.alike.read(key, lambda: method(holder, *args, **kwargs))

    return alike


def _ours(flight: asyncio.Task[Any] | None) -> asyncio.Task[Any] | None:
    """The flight if it is still to end, on this event loop (a test's earlier loop may have left
    one)."""
    if flight is None or flight.done() or flight.get_loop() is not asyncio.get_running_loop():
        return None
    return flight


def _retrieved(flight: asyncio.Task[Any]) -> None:
    """Its error read, so that a read whose askers all went away is not reported unretrieved."""
    if not flight.cancelled():
        flight.exception()
