"""The seal's verification for the board: one at a time, incremental from the last intact link."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from starlette.concurrency import run_in_threadpool

from projections import seal
from projections.seal import Verdict

FULL_EVERY_SECONDS = 900.0
"""How old the last full recomputation may be before the next one starts again from the genesis.

In between, a verification recomputes only the links sealed since the last intact one: an edit of
an older stored event shows at the next full check (or at once in `liaison verify`)."""


class SealVerifier:
    """Verifies the seal on request without recomputing the whole chain each time."""

    def __init__(
        self,
        url: str,
        full_every: float = FULL_EVERY_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url, self.full_every, self.clock = url, full_every, clock
        self._intact: Verdict | None = None
        self._full_at: float | None = None
        self._lock = asyncio.Lock()

    async def verdict(self) -> Verdict:
        """The chain's verdict; concurrent callers wait for one check rather than repeat it."""
        async with self._lock:
            fresh = self._full_at is not None and self.clock() - self._full_at < self.full_every
            since = self._intact if fresh else None
            if since is None:
                self._full_at = self.clock()
            verdict = await run_in_threadpool(seal.verify_url, self.url, since)
            self._intact = verdict if verdict.ok else None
            if not verdict.ok:
                self._full_at = None  # once broken, every request recomputes from the genesis
            return verdict
