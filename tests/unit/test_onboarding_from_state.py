"""A fresh run started from the liaison's state does what applying its events one by one did.

Onboarding used to hand the workflow every event of the liaison (a decade of them in an imported
province) to apply in its first task; it now hands it the state (`onboard_liaison` with
`from_state`, `LiaisonProcess.start_from`). Here, for liaisons in the situations onboarding meets
(deadlines open, long histories, closed, a cycle opened by the onboarding itself), a process
started from the state and one fed the events answer every question the workflow asks alike, and
the activity still answers with events those who ask as runs begun before the change do.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date
from uuid import UUID

import pytest
from temporalio.converter import DataConverter

from domain.deadlines import DeadlineKind
from domain.liaison_events import replay
from domain.policy import Policy
from domain.state import Attendance, ClosingReason, LiaisonState
from tests.unit.conftest import World, build_world
from workflows.activities import LiaisonActivities
from workflows.messages import LoadLiaisonInput, OnboardInput, OnboardResult, to_message
from workflows.outbox import InMemoryOutbox
from workflows.process import LiaisonProcess

TODAY = date(2026, 11, 22)


def referred(world: World) -> UUID:
    """Referred on 10 November 2026, not yet received: its receipt deadline is open."""
    return world.refer(world.register(on=date(2026, 11, 10)), commune="XN", on=date(2026, 11, 10))


def years_of_history(world: World) -> UUID:
    """Received in January 2022 into cell Y1; met twice a year, assessed, confirmed and reported
    every year, a cycle opened each January, the 2026 assessment still awaited."""
    _, liaison = world.received(cell="Y1", referred_on=date(2022, 1, 10))
    for year in range(2022, 2027):
        if year > 2022:
            world.open_cycle(liaison, year, on=date(year, 1, 1))
        for month in (3, 9):
            world.meeting("Y1", [(liaison, Attendance.PRESENT)], on=date(year, month, 15))
        if year < 2026:
            world.assess(liaison, year, "fulfilled_well", on=date(year, 11, 10))
            world.confirm(liaison, year, on=date(year, 11, 12))
            world.report(liaison, year, on=date(year, 11, 15))
    return liaison


def retired(world: World) -> UUID:
    """Received in 2025, retired on 1 October 2026: closed, awaiting nothing."""
    _, liaison = world.received(cell="Y1", referred_on=date(2025, 2, 1))
    world.close(liaison, ClosingReason.RETIRED, on=date(2026, 10, 1))
    return liaison


def died(world: World) -> UUID:
    """Received in 2025, died on 1 November 2026: closed, its closing slips awaited."""
    _, liaison = world.received(cell="Y1", referred_on=date(2025, 2, 1))
    world.close(liaison, ClosingReason.DIED, on=date(2026, 11, 1))
    return liaison


SITUATIONS: dict[str, Callable[[World], UUID]] = {
    "open receipt deadline": referred,
    "five years of history": years_of_history,
    "retired": retired,
    "died, slips awaited": died,
}


def from_events(world: World, liaison: UUID, on: date) -> LiaisonProcess:
    """A fresh run as it began before: every event applied in order."""
    process = LiaisonProcess()
    process.policy = policy(world, liaison, on)
    process.apply_fetched([to_message(e) for e in world.office.history(liaison)])
    return process


def from_state(world: World, liaison: UUID, on: date) -> LiaisonProcess:
    """A fresh run as it begins now: from the state the store's events make."""
    process = LiaisonProcess()
    process.start_from(replay(world.office.history(liaison)), policy(world, liaison, on))
    return process


def policy(world: World, liaison: UUID, on: date) -> Policy:
    """The policy in force on that date for the liaison's residence, as the activity reads it."""
    return world.office.policy(on, world.office.state_of(liaison).residence_commune_id)


def answers(process: LiaisonProcess, today: date) -> dict[str, object]:
    """Everything the workflow asks its process (and shows in its `snapshot` query)."""
    return {
        "state": process.state,
        "version": process.version,
        "deadlines": process.deadlines(),
        "scheduled": process.scheduled(),
        "due": process.due(today),
        "next_wake": process.next_wake(today),
        "cycle_due": process.cycle_due(today),
        "finished": process.finished,
        "to_resolve": process.to_resolve(),
        "taken": process.taken,
        "open_escalations": process.open_escalations,
        "runs": process.runs,
        "pending": process.pending,
        "carry": process.carry(),
    }


@pytest.mark.parametrize("situation", SITUATIONS, ids=str)
@pytest.mark.parametrize("today", [TODAY, date(2027, 1, 4), date(2027, 3, 1)], ids=str)
def test_the_state_answers_as_the_events_did(world: World, situation: str, today: date) -> None:
    liaison = SITUATIONS[situation](world)
    started, fed = from_state(world, liaison, today), from_events(world, liaison, today)
    assert answers(started, today) == answers(fed, today)
    assert started.version == len(world.office.history(liaison))


def test_rungs_taken_and_resolved_after_the_start_as_after_the_events() -> None:
    world = build_world(date(2027, 1, 4))  # the receipt is recorded late, in December
    liaison = referred(world)
    started, fed = from_state(world, liaison, TODAY), from_events(world, liaison, TODAY)
    later = date(2026, 12, 20)  # the receipt is late: its ladder has climbed
    for process in (started, fed):
        for deadline, rung in process.due(later):
            process.mark_taken(deadline, rung.step)
    assert started.taken == fed.taken
    assert started.open_escalations == {f"{DeadlineKind.RECEIPT}/{liaison}"}

    world.receive_commune(liaison, cell="C1", on=date(2026, 12, 21))
    world.receive_cell(liaison, on=date(2026, 12, 21))
    news = [to_message(e) for e in world.office.history(liaison)[started.version :]]
    assert [e.originator_version for e in started.apply_fetched(news)] == [
        e.originator_version for e in fed.apply_fetched(news)
    ]
    assert started.to_resolve() == fed.to_resolve() == [(DeadlineKind.RECEIPT, str(liaison))]
    assert answers(started, later) == answers(fed, later)


def test_events_offered_before_the_state_came_are_applied_after_it_or_dropped(
    world: World,
) -> None:
    """Signals may arrive while `onboard_liaison` runs: those the state holds are dropped, the
    next ones applied, as `apply_fetched` did."""
    liaison = referred(world)
    known = world.office.history(liaison)
    world.receive_commune(liaison, cell="C1", on=date(2026, 11, 20))
    world.receive_cell(liaison, on=date(2026, 11, 20))
    everything = [to_message(e) for e in world.office.history(liaison)]
    started = LiaisonProcess()
    for message in everything:  # the dispatcher's signals, the old ones repeated
        started.offer(message)
    applied = started.start_from(replay(known), policy(world, liaison, TODAY))
    assert [e.originator_version for e in applied] == [len(known) + 1, len(known) + 2]
    assert not started.has_pending
    assert started.state == world.office.state_of(liaison)


def onboard(world: World, request: LoadLiaisonInput) -> OnboardResult:
    """Call the activity as the worker would, the request decoded from its payload."""
    converter = DataConverter.default

    async def call() -> OnboardResult:
        payloads = await converter.encode([request])
        (decoded,) = await converter.decode(payloads, [OnboardInput])
        return await LiaisonActivities(world.office, InMemoryOutbox()).onboard_liaison(decoded)

    return asyncio.run(call())


@pytest.mark.parametrize("situation", SITUATIONS, ids=str)
def test_the_activity_answers_with_the_state(world: World, situation: str) -> None:
    liaison = SITUATIONS[situation](world)
    ask = LoadLiaisonInput(liaison_id=str(liaison), after_version=0, on=TODAY.isoformat())
    result = onboard(world, OnboardInput(**vars(ask), from_state=True))
    assert result.events == []
    assert result.state_json is not None
    assert LiaisonState.model_validate_json(result.state_json) == world.office.state_of(liaison)
    assert result.policy_json == policy(world, liaison, TODAY).model_dump_json()


def test_asked_as_before_the_activity_answers_with_the_events(world: World) -> None:
    """A run begun before the change asks with a `LoadLiaisonInput`: it gets every event."""
    liaison = years_of_history(world)
    ask = LoadLiaisonInput(liaison_id=str(liaison), after_version=0, on=TODAY.isoformat())
    result = onboard(world, ask)
    assert result.state_json is None
    assert result.events == [to_message(e) for e in world.office.history(liaison)]


def test_onboarded_in_a_new_year_the_state_holds_the_cycle_opened() -> None:
    on = date(2027, 1, 4)
    world = build_world(on)  # the office's clock: the cycle is opened on that day
    liaison = years_of_history(world)
    ask = LoadLiaisonInput(liaison_id=str(liaison), after_version=0, on=on.isoformat())
    result = onboard(world, OnboardInput(**vars(ask), from_state=True))
    assert (result.cycle_year, result.refusal) == (2027, None)
    assert result.state_json is not None
    state = LiaisonState.model_validate_json(result.state_json)
    assert state == world.office.state_of(liaison)
    assert (state.cycle_year, state.cycle_opened_on) == (2027, on)
    started = LiaisonProcess()
    started.start_from(state, policy(world, liaison, on))
    assert started.cycle_due(on) is None  # the workflow does not open it again
