"""An escalation the run knows was never opened is opened without being looked up first.

The first rung of a deadline's ladder (a storm's reminder, the rungs a fresh run takes when it is
onboarded) opens its escalation; the command looked the escalation up first, a round trip that
finds nothing (9 % of an onboarding's activity under load). The run says which rungs open
theirs (`Rung.opens`; a fresh run's first activity knows of none), and the batch opens them
unlooked: should one have been opened after all (a run onboarded again), the save fails on its
id and each rung is carried out alone, looked up, as before.
"""

from __future__ import annotations

import asyncio
from uuid import UUID

import pytest

from application.work import Work
from domain.deadlines import Deadline, DeadlineKind
from domain.escalation import Step, escalation_id
from tests.unit.conftest import World, build_world, store_reads
from tests.unit.test_onboarding_takes_due import _opening, escalation_of, onboard, unmet
from tests.unit.test_take_steps_together import ONBOARDED, _count_saves, late_liaison
from workflows.activities import LiaisonActivities
from workflows.messages import Rung, TakeStepsInput, TakeStepsResult
from workflows.outbox import InMemoryOutbox
from workflows.process import LiaisonProcess


def take(
    world: World, liaison: UUID, due: list[tuple[Deadline, Step]], *, opens: bool,
    outbox: InMemoryOutbox | None = None,
) -> TakeStepsResult:  # fmt: skip
    rungs = [Rung(deadline_json=d.model_dump_json(), step=s.value, opens=opens) for d, s in due]
    request = TakeStepsInput(liaison_id=str(liaison), rungs=rungs, on=ONBOARDED.isoformat())
    activities = LiaisonActivities(world.office, outbox or InMemoryOutbox())
    return asyncio.run(activities.take_steps(request))


def test_an_onboarding_opens_the_escalation_of_the_rungs_due_unlooked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world = build_world(ONBOARDED)
    liaison = unmet(world)
    reads = store_reads(monkeypatch, world.office)
    outbox = InMemoryOutbox()
    result = onboard(world, liaison, outbox)
    escalation = escalation_of(liaison, result)
    assert reads[escalation] == 0
    stored = list(world.office.events.get(escalation))  # type: ignore[attr-defined]
    assert [type(e).__name__ for e in stored] == [
        "EscalationOpened", "ReminderSent", "DeadlineMissed", "Escalated",
    ]  # fmt: skip
    assert len(outbox.rows) == 5


@pytest.mark.parametrize(("opens", "looked_up"), [(True, 0), (False, 1)])
def test_take_steps_looks_the_escalation_up_unless_the_run_says_it_opens_it(
    monkeypatch: pytest.MonkeyPatch, opens: bool, looked_up: int
) -> None:
    world = build_world(ONBOARDED)
    liaison, due = late_liaison(world)
    escalation = escalation_id(liaison, DeadlineKind.RECEIPT, str(liaison))
    reads = store_reads(monkeypatch, world.office)
    saves = _count_saves(monkeypatch, world.office)
    taken = take(world, liaison, due, opens=opens)
    assert [r.recorded for r in taken.results] == [True, True, True]
    assert reads[escalation] == looked_up
    assert saves == [4 + 3]  # one transaction either way


def test_an_escalation_opened_before_fails_the_batch_and_each_rung_is_taken_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A run onboarded again knows of no rung taken: it says its rungs open the escalation,
    which an earlier run opened with the reminder. The batch's save fails on the escalation's
    id; the miss and the escalation are then recorded one at a time, each once, each told."""
    world = build_world(ONBOARDED)
    liaison, due = late_liaison(world)
    escalation = escalation_id(liaison, DeadlineKind.RECEIPT, str(liaison))
    take(world, liaison, due[:1], opens=True)  # the earlier run's reminder
    saves = _count_saves(monkeypatch, world.office)
    outbox = InMemoryOutbox()

    taken = take(world, liaison, due[1:], opens=True, outbox=outbox)

    assert [(r.recorded, r.unit_id) for r in taken.results] == [(True, "XN"), (True, "P")]
    assert saves == [3 + 2, 2, 2]  # refused on the id taken, then each rung with its receipt
    stored = list(world.office.events.get(escalation))  # type: ignore[attr-defined]
    assert [type(e).__name__ for e in stored] == [
        "EscalationOpened", "ReminderSent", "DeadlineMissed", "Escalated",
    ]  # fmt: skip
    assert sorted(n.step.value for n in outbox.rows.values()) == [
        "escalated", "escalated", "missed", "missed",
    ]  # fmt: skip


def test_a_run_says_a_rung_opens_its_escalation_until_it_took_one_of_its_ladder() -> None:
    world = build_world(ONBOARDED)
    _, due = late_liaison(world)
    (reminder, first), (missed, _), _ = due
    process = LiaisonProcess()
    assert not process.opened(reminder)
    process.mark_taken(reminder, first)
    assert process.opened(missed)  # the same deadline's ladder: its escalation is open
    assert not process.opened(reminder.model_copy(update={"subject": "another"}))


def test_only_a_step_that_would_open_the_escalation_skips_its_look_up() -> None:
    """Closing an escalation (`resolve_escalation`) finds none to close when it is absent: it
    must look, whatever the caller presumes, or a wrong presumption would close nothing and say
    so with no failed save to catch it."""
    world = build_world(ONBOARDED)
    liaison, due = late_liaison(world)
    take(world, liaison, due[:1], opens=True)
    (reminder, _), *_ = due
    opening, _ = _opening(world, liaison)

    def work() -> Work:
        return Work(world.office, opening, ONBOARDED, unopened=lambda _: True)

    assert work().escalation(liaison, reminder.kind, reminder.subject) is not None
    assert work().escalation_to_open(liaison, reminder.kind, reminder.subject) is None
