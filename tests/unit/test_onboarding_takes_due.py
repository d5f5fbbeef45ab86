"""A fresh run's `onboard_liaison` takes the rungs then due (`take_due`) in the same activity.

A liaison onboarded late has its cycle to open and several rungs due at once: the run used to
ask for them in a second activity (`take_steps`), which read the organisation, the liaison and
the regulation book again; the first activity has them in hand. It takes the rungs a fresh run
works out (`LiaisonProcess.due` on the state once the cycle is open), each its own command, event
and receipt as `take_steps` records them, queues their notices and names them in `taken`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date
from typing import Any
from uuid import UUID, uuid5

import pytest

from domain import commands as cmd
from domain.deadlines import Deadline, DeadlineKind
from domain.errors import Refused
from domain.escalation import escalation_id
from domain.registry import ORGANISATION_ID, REGULATION_BOOK_ID
from domain.state import LiaisonState
from tests.unit.conftest import World, build_world, store_reads
from tests.unit.test_take_steps_together import ONBOARDED, _count_saves
from workflows.activities import LiaisonActivities, _due, _steps
from workflows.messages import OnboardInput, OnboardResult, TakeStepsInput
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
    assert len(saves) == 1  # the cycle and the three rungs, each with its receipt
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
    reads = store_reads(monkeypatch, world.office)
    result = onboard(world, liaison, InMemoryOutbox())
    assert len(result.taken) == 3
    assert (reads[ORGANISATION_ID], reads[REGULATION_BOOK_ID]) == (1, 1)
    # The liaison caught up for the activity and for the cycle's command; the state the cycle
    # left is the one it decided, not read back.
    assert reads[liaison] == 2
    assert world.office.tree() is not None  # outside the activity, read as ever
    assert reads[ORGANISATION_ID] == 2


def _opening(world: World, liaison: UUID) -> tuple[cmd.OpenCycle, Any]:
    actor = world.office.system_actor_for(liaison, ONBOARDED)
    opening = cmd.OpenCycle(
        command_id=uuid5(liaison, "open-cycle:2027"), actor=actor, effective_date=ONBOARDED,
        liaison_id=liaison, year=2027,
    )  # fmt: skip
    return opening, actor


def test_then_works_out_the_rungs_from_the_state_the_cycle_left_all_saved_together(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world = build_world(ONBOARDED)
    liaison = unmet(world)
    opening, actor = _opening(world, liaison)
    policy = world.office.policy(ONBOARDED, "X1")
    seen: list[int | None] = []

    def rungs(decided: Callable[[UUID], LiaisonState]) -> list[cmd.Command]:
        state = decided(liaison)
        seen.append(state.cycle_year)
        return _steps(liaison, ONBOARDED, _due(state, policy, ONBOARDED), actor)

    saves = _count_saves(monkeypatch, world.office)
    first = world.office.execute_together([opening], rungs)
    assert seen == [2027]  # the cycle decided, not yet saved
    assert len(first) == 4
    assert not any(isinstance(o, Refused) for o in first)
    assert saves == [2 + 3 + 4]  # the cycle's two events, three steps, four receipts: one save
    version = world.office.state_of(liaison).version

    again = world.office.execute_together([opening], rungs)  # the same batch again, saved before
    assert again == first  # each answers as the first time
    assert seen == [2027, 2027]  # the cycle refused in the batch: asked on the store's state
    assert world.office.state_of(liaison).version == version
    assert len(saves) == 1  # nothing written twice


def test_a_refused_command_from_then_leaves_the_others_recorded_one_at_a_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A forged rung among those `then` names is refused and audited: nothing of the batch was
    saved, then the cycle and the other rungs are carried out alone."""
    world = build_world(ONBOARDED)
    liaison = unmet(world)
    opening, actor = _opening(world, liaison)
    policy = world.office.policy(ONBOARDED, "X1")

    def rungs(decided: Callable[[UUID], LiaisonState]) -> list[cmd.Command]:
        due = _due(decided(liaison), policy, ONBOARDED)
        forged = due[0][0].model_copy(update={"kind": DeadlineKind.REFERRAL})
        return _steps(liaison, ONBOARDED, [due[0], (forged, due[0][1]), *due[1:]], actor)

    saves = _count_saves(monkeypatch, world.office)
    outcomes = world.office.execute_together([opening], rungs)
    assert [isinstance(o, Refused) for o in outcomes] == [False, False, True, False, False]
    assert world.office.state_of(liaison).cycle_year == 2027
    # Refused before the batch's save: the cycle, a rung, the audit row, the other two rungs.
    assert saves == [2, 3, 1, 2, 2]


class FailingOnce(InMemoryOutbox):
    """An outbox whose first write fails (its database away a moment)."""

    def __init__(self) -> None:
        super().__init__()
        self.failed = False

    async def write(self, notification: Any) -> bool:
        if not self.failed:
            self.failed = True
            raise ConnectionError("outbox unavailable")
        return await super().write(notification)


def test_rungs_recorded_whose_notices_failed_are_named_untold_for_take_steps() -> None:
    """The rungs are saved, then the outbox fails: the activity does not fail (a retry would
    work the rungs out anew, on a state that may have moved on, and leave the escalation it
    opened unknown to the run); it names them untold, and `take_steps` for the same rungs
    answers each as recorded and queues every notice."""
    world = build_world(ONBOARDED)
    liaison = unmet(world)
    outbox = FailingOnce()
    result = onboard(world, liaison, outbox)
    assert result.untold
    assert len(named(result)) == 3
    escalation = escalation_of(liaison, result)
    version = world.office.escalation(escalation).version
    assert outbox.rows == {}

    request = TakeStepsInput(liaison_id=str(liaison), rungs=result.taken, on=ONBOARDED.isoformat())
    taken = asyncio.run(LiaisonActivities(world.office, outbox).take_steps(request))
    assert [r.recorded for r in taken.results] == [True, True, True]
    assert world.office.escalation(escalation).version == version  # nothing recorded twice
    assert len(outbox.rows) == 5
