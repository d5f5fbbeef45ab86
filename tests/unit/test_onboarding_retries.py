"""Onboarding rides out a busy Temporal server: transient RPC errors are retried, others are not.

The client here is a fake of the one call onboarding makes (unit tier); the real dev server is
driven by `tests/integration` and the benchmarks.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

import pytest
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from workers import onboarding


class BusyServer:
    """Answers each start with the scripted outcomes, in order, then succeeds."""

    def __init__(self, *outcomes: Exception) -> None:
        self.outcomes = list(outcomes)
        self.calls = 0

    async def start_workflow(self, *_: Any, **__: Any) -> None:
        self.calls += 1
        if self.outcomes:
            raise self.outcomes.pop(0)


def timeout() -> RPCError:
    return RPCError("Timeout expired", RPCStatusCode.DEADLINE_EXCEEDED, b"")


@pytest.fixture(autouse=True)
def no_waiting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(onboarding, "BACKOFF_SECONDS", 0.0)


async def test_a_timed_out_start_is_tried_again() -> None:
    server = BusyServer(timeout(), RPCError("busy", RPCStatusCode.UNAVAILABLE, b""))
    done = await onboarding.start_workflows(server, [uuid4()])  # type: ignore[arg-type]
    assert (done.started, done.already, done.retried, server.calls) == (1, 0, 2, 3)


async def test_a_timed_out_start_that_went_through_counts_as_already_started() -> None:
    liaison: UUID = uuid4()
    server = BusyServer(timeout(), WorkflowAlreadyStartedError(f"liaison-{liaison}", "Liaison"))
    done = await onboarding.start_workflows(server, [liaison])  # type: ignore[arg-type]
    assert (done.started, done.already, done.retried) == (0, 1, 1)


async def test_a_server_that_stays_busy_or_refuses_stops_onboarding() -> None:
    always = BusyServer(*(timeout() for _ in range(onboarding.ATTEMPTS)))
    with pytest.raises(RPCError):
        await onboarding.start_workflows(always, [uuid4()])  # type: ignore[arg-type]
    assert always.calls == onboarding.ATTEMPTS
    refused = BusyServer(RPCError("no", RPCStatusCode.PERMISSION_DENIED, b""))
    with pytest.raises(RPCError):
        await onboarding.start_workflows(refused, [uuid4()])  # type: ignore[arg-type]
    assert refused.calls == 1
