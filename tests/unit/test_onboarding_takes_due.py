"""A fresh run's `onboard_liaison` takes the rungs then due (`take_due`) in the same activity.

A liaison onboarded late has its cycle to open and several rungs due at once: the run used to
ask for them in a second activity (`take_steps`), which read the organisation, the liaison and
the regulation book again; the first activity has them in hand. It takes the rungs a fresh run
works out (`LiaisonProcess.due` on the state once the cycle is open), each its own command, event
and receipt as `take_steps` records them, queues their notices and names them in `taken`.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import date
from typing import Any
from uuid import UUID

import pytest

from domain.deadlines import Deadline, DeadlineKind
from domain.escalation import escalation_id
from domain.registry import ORGANISATION_ID, REGULATION_BOOK_ID
from tests.unit.conftest import World, build_world
from tests.unit.test_take_steps_together import ONBOARDED, _count_saves
from workflows.activities import LiaisonActivities
from workflows.messages import OnboardInput, OnboardResult
from workflows.outbox import InMemoryOutbox
from workflows.process import LiaisonProcess


def unmet(world: World) -> UUID:
    """Received on 2 March 2026 and never met: on 4 January 2027 the year's cycle is due, and
    the first meeting's reminder, miss and escalation."""
    _, liaison = world.received(cell="Y1", referred_on=date(2026, 3, 2))
    return liaison


def onboard(
    world: World, liaison: UUID, outbox: InMemoryOutbox, *, take_due: bool = True
) -> OnboardResult:
    request = OnboardInput(
        liaison_id=str(liaison), after_version=0, on=ONBOARDED.isoformat(), from_state=True,
        take_due=take_due,
    )  # fmt: skip
    return asyncio.run(LiaisonActivities(world.office, outbox).onboard_liaison(request))


def due_now(world: World, liaison: UUID) -> list[tuple[str, str, str]]:
    """The rungs a fresh run finds due on the liaison's state as the store now holds it."""
    state = world.office.state_of(liaison)
    process = LiaisonProcess()
    process.start_from(state, world.office.policy(ONBOARDED, state.residence_commune_id))
    return [(d.kind, d.subject, r.step.value) for d, r in process.due(ONBOARDED)]


def named(result: OnboardResult) -> list[tuple[str, str, str]]:
    taken = [(Deadline.model_validate_json(r.deadline_json), r.step) for r in result.taken]
    return [(d.kind, d.subject, step) for d, step in taken]


def escalation_of(liaison: UUID, result: OnboardResult) -> UUID:
    """The escalation of the (one) deadline whose rungs the onboarding took."""
    ((kind, subject),) = {(kind, subject) for kind, subject, _ in named(result)}
    return escalation_id(liaison, DeadlineKind(kind), subject)


def test_an_onboarding_opens_the_cycle_and_takes_the_rungs_due_in_one_activity(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world = build_world(ONBOARDED)
    liaison = unmet(world)
    outbox = InMemoryOutbox()
    saves = _count_saves(monkeypatch, world.office)
    result = onboard(world, liaison, outbox)

    assert (result.cycle_year, result.refusal) == (ONBOARDED.year, None)
    expected = due_now(world, liaison)  # on the state after the cycle opened
    assert [step for *_, step in expected] == ["reminder", "missed", "escalated"]
    assert named(result) == expected
    assert len(saves) == 2  # the cycle; the three rungs together, each with its receipt
    escalation = world.office.escalation(escalation_of(liaison, result))
    assert escalation.is_open
    assert sorted(n.step.value for n in outbox.rows.values()) == sorted(
        ["reminder", "missed", "missed", "escalated", "escalated"]
    )  # each rung told once, the miss and the escalation to the workplace as well


def test_an_onboarding_retried_names_the_same_rungs_and_records_nothing_twice() -> None:
    world = build_world(ONBOARDED)
    liaison = unmet(world)
    outbox = InMemoryOutbox()
    first = onboard(world, liaison, outbox)
    escalation = escalation_of(liaison, first)
    version = world.office.escalation(escalation).version
    told = dict(outbox.rows)
    again = onboard(world, liaison, outbox)  # the activity retried after its saves
    assert named(again) == named(first)
    assert world.office.escalation(escalation).version == version
    assert outbox.rows == told


def test_without_take_due_an_onboarding_takes_no_rung() -> None:
    """As a run begun before the change asks: the rungs are left to `take_steps`."""
    world = build_world(ONBOARDED)
    liaison = unmet(world)
    outbox = InMemoryOutbox()
    result = onboard(world, liaison, outbox, take_due=False)
    assert result.taken == []
    assert outbox.rows == {}
    assert [step for *_, step in due_now(world, liaison)] == ["reminder", "missed", "escalated"]


def test_the_organisation_and_the_book_are_read_once_for_the_cycle_and_the_rungs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The activity, the cycle's command and the rungs' commands decide a moment apart on one
    organisation and one regulation book (`holding_references`): each was read, and caught up
    by a round trip, by each of them."""
    world = build_world(ONBOARDED)
    liaison = unmet(world)
    world.office.tree(), world.office.regulation_book()  # cached, as on a worker running a while
    store = world.office.events  # type: ignore[attr-defined]
    reads: Counter[UUID] = Counter()
    get = store.get

    def counted(originator_id: UUID, *args: Any, **kwargs: Any) -> Any:
        reads[originator_id] += 1
        return get(originator_id, *args, **kwargs)

    monkeypatch.setattr(store, "get", counted)
    result = onboard(world, liaison, InMemoryOutbox())
    assert len(result.taken) == 3
    assert (reads[ORGANISATION_ID], reads[REGULATION_BOOK_ID]) == (1, 1)
    assert world.office.tree() is not None  # outside the activity, read as ever
    assert reads[ORGANISATION_ID] == 2
