"""`take_steps` reads the system actor once for all the rungs it takes, not once a rung, and
the organisation tree once for the rungs' commands (decided together) and once for the activity.

A liaison onboarded late has several rungs due at once; each `system_actor_for` reads the liaison
and the organisation tree (behind the library's per-aggregate lock, which the worker's activity
threads queue on), and the actor is the same for every rung of one liaison on one day.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import date
from typing import Any
from uuid import UUID

from domain.deadlines import DeadlineKind
from domain.escalation import SYSTEM_ACTOR_ID, escalation_id
from domain.liaison_events import replay
from tests.unit.conftest import build_world
from workflows.activities import LiaisonActivities
from workflows.messages import Rung, TakeStepsInput
from workflows.outbox import InMemoryOutbox
from workflows.process import LiaisonProcess

ONBOARDED = date(2027, 1, 4)


class Counting:
    """The office, counting the calls the activities make on it."""

    def __init__(self, office: Any) -> None:
        self.office = office
        self.calls: Counter[str] = Counter()

    def __getattr__(self, name: str) -> Any:
        found = getattr(self.office, name)
        if not callable(found):
            return found

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls[name] += 1
            return found(*args, **kwargs)

        return counted


def test_three_rungs_due_at_once_read_the_actor_once() -> None:
    world = build_world(ONBOARDED)
    member = world.register(on=date(2026, 11, 10))
    liaison: UUID = world.refer(member, commune="XN", on=date(2026, 11, 10))  # receipt due 10 Dec
    process = LiaisonProcess()
    state = replay(world.office.history(liaison))
    process.start_from(state, world.office.policy(ONBOARDED, state.residence_commune_id))
    due = process.due(ONBOARDED)
    assert [rung.step.value for _, rung in due] == ["reminder", "missed", "escalated"]

    office = Counting(world.office)
    rungs = [Rung(deadline_json=d.model_dump_json(), step=r.step.value) for d, r in due]
    request = TakeStepsInput(liaison_id=str(liaison), rungs=rungs, on=ONBOARDED.isoformat())
    taken = asyncio.run(LiaisonActivities(office, InMemoryOutbox()).take_steps(request))

    assert [r.recorded for r in taken.results] == [True, True, True]
    assert office.calls["system_actor_for"] == 1
    escalation = escalation_id(liaison, DeadlineKind.RECEIPT, str(liaison))
    steps = list(world.office.events.get(escalation))  # type: ignore[attr-defined]
    assert len(steps) == 4  # opened, then the three rungs
    assert {(e.actor.id, e.actor.unit_id) for e in steps} == {(SYSTEM_ACTOR_ID, "P")}


def test_the_commands_read_the_tree_once_and_the_activity_once_more() -> None:
    """Every read of the organisation or the regulation book waits its turn behind the
    library's lock (a storm's activity threads queued on it): the rungs' commands, decided
    together, decide on one tree and one book, each read once, and the activity reads them once
    for the actor and the notifications, and the liaison once for both."""
    world = build_world(ONBOARDED)
    member = world.register(on=date(2026, 11, 10))
    liaison: UUID = world.refer(member, commune="XN", on=date(2026, 11, 10))
    process = LiaisonProcess()
    state = replay(world.office.history(liaison))
    process.start_from(state, world.office.policy(ONBOARDED, state.residence_commune_id))
    rungs = [
        Rung(deadline_json=d.model_dump_json(), step=r.step.value)
        for d, r in process.due(ONBOARDED)
    ]
    reads = Counter[str]()
    for name in ("organisation", "regulation_book", "state_of"):
        read = getattr(world.office, name)

        def counted(*args: Any, _name: str = name, _read: Any = read) -> Any:
            reads[_name] += 1
            return _read(*args)

        setattr(world.office, name, counted)
    request = TakeStepsInput(liaison_id=str(liaison), rungs=rungs, on=ONBOARDED.isoformat())
    outbox = InMemoryOutbox()
    taken = asyncio.run(LiaisonActivities(world.office, outbox).take_steps(request))

    assert [r.recorded for r in taken.results] == [True, True, True]
    assert len(outbox.rows) >= 3  # each rung told
    assert reads["organisation"] == 2
    assert reads["regulation_book"] == 2  # the commands' (one book for all), the notices'
    assert reads["state_of"] == 1  # the actor's and the notices' (the steps do not change it)
