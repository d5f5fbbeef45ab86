"""The rungs of one liaison due on one day are saved in one transaction, each still its own
command, event and receipt (`LiaisonOffice.execute_together`).

A liaison onboarded late has several rungs due at once (the reminder, the miss, the escalation):
each used to be a command of its own with its own reads and its own save, every save queued on
the store's table lock behind the other activity threads' saves.
"""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any
from uuid import UUID, uuid5

import pytest

from application import office as office_module
from application.office import LiaisonOffice
from application.work import Work
from domain import commands as cmd
from domain.deadlines import Deadline, DeadlineKind
from domain.errors import Refused
from domain.escalation import Step, TakeStep, escalation_id, step_command_id, system_actor
from domain.liaison_events import replay
from domain.registry import receipt_id_for
from tests.unit.conftest import ADMIN, World, build_world, k
from workflows.activities import LiaisonActivities
from workflows.messages import Rung, TakeStepsInput, TakeStepsResult
from workflows.outbox import InMemoryOutbox
from workflows.process import LiaisonProcess

ONBOARDED = date(2027, 1, 4)


def late_liaison(world: World) -> tuple[UUID, list[tuple[Deadline, Step]]]:
    """A liaison referred on 10 November whose receipt (due 10 December) is not recorded: on
    4 January its reminder, miss and escalation are all due."""
    member = world.register(on=date(2026, 11, 10))
    liaison: UUID = world.refer(member, commune="XN", on=date(2026, 11, 10))
    process = LiaisonProcess()
    state = replay(world.office.history(liaison))
    process.start_from(state, world.office.policy(ONBOARDED, state.residence_commune_id))
    return liaison, [(deadline, rung.step) for deadline, rung in process.due(ONBOARDED)]


def take(world: World, liaison: UUID, due: list[tuple[Deadline, Step]]) -> TakeStepsResult:
    rungs = [Rung(deadline_json=d.model_dump_json(), step=s.value) for d, s in due]
    request = TakeStepsInput(liaison_id=str(liaison), rungs=rungs, on=ONBOARDED.isoformat())
    return asyncio.run(LiaisonActivities(world.office, InMemoryOutbox()).take_steps(request))


def _count_saves(monkeypatch: pytest.MonkeyPatch, office: LiaisonOffice) -> list[int]:
    """Each transaction the store is asked to write, as the number of events in it."""
    saves: list[int] = []
    insert = office.recorder.insert_events

    def counted(events: Any, **kwargs: Any) -> Any:
        saves.append(len(events))
        return insert(events, **kwargs)

    monkeypatch.setattr(office.recorder, "insert_events", counted)
    return saves


def _receipt_events(office: LiaisonOffice, escalation: UUID, step: Step) -> Any:
    receipt_id = receipt_id_for(step_command_id(escalation, step.value))
    (recorded,) = office.events.get(receipt_id)  # type: ignore[attr-defined]
    return recorded.events


def test_three_rungs_due_at_once_are_saved_in_one_transaction_each_with_its_receipt(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world = build_world(ONBOARDED)
    liaison, due = late_liaison(world)
    assert [step.value for _, step in due] == ["reminder", "missed", "escalated"]
    saves = _count_saves(monkeypatch, world.office)
    escalation = escalation_id(liaison, DeadlineKind.RECEIPT, str(liaison))
    receipts = {receipt_id_for(step_command_id(escalation, s.value)) for _, s in due}
    store = world.office.events  # type: ignore[attr-defined]
    looked_up: list[UUID] = []
    get = store.get

    def counted(originator_id: UUID, *args: Any, **kwargs: Any) -> Any:
        if originator_id in receipts:
            looked_up.append(originator_id)
        return get(originator_id, *args, **kwargs)

    monkeypatch.setattr(store, "get", counted)

    taken = take(world, liaison, due)

    assert [(r.recorded, r.unit_id) for r in taken.results] == [
        (True, "XN"), (True, "XN"), (True, "P"),  # the escalation tells the superior
    ]  # fmt: skip
    assert saves == [4 + 3]  # one transaction: the escalation's four events, three receipts
    assert looked_up == []  # a receipt's id taken fails the save: no round trip to look first
    stored = list(world.office.events.get(escalation))  # type: ignore[attr-defined]
    assert [type(e).__name__ for e in stored] == [
        "EscalationOpened", "ReminderSent", "DeadlineMissed", "Escalated",
    ]  # fmt: skip
    # Each command's receipt names the events it made, and only those.
    assert [_receipt_events(world.office, escalation, s) for _, s in due] == [
        ((escalation, 1, 2),), ((escalation, 3, 3),), ((escalation, 4, 4),),
    ]  # fmt: skip


def test_taking_the_same_rungs_again_records_nothing_and_answers_the_same(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A retried activity (its worker died after the save): the batch, decided again without
    looking its receipts up, fails on their ids and writes nothing; each command then answers
    its earlier outcome."""
    world = build_world(ONBOARDED)
    liaison, due = late_liaison(world)
    first = take(world, liaison, due)
    head = world.office.recorder.max_notification_id()  # type: ignore[attr-defined]
    saves = _count_saves(monkeypatch, world.office)

    again = take(world, liaison, due)

    assert again == first
    assert saves == [3 + 3]  # tried once, whole (three more rungs), refused on ids taken
    assert world.office.recorder.max_notification_id() == head  # type: ignore[attr-defined]


def test_rungs_taken_before_answer_as_they_did_and_the_rest_are_recorded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A run took the reminder and the miss one at a time, then was lost; the new run takes all
    three: the two answer their earlier outcomes, the escalation alone is recorded."""
    world = build_world(ONBOARDED)
    liaison, due = late_liaison(world)
    before = take(world, liaison, due[:1]).results + take(world, liaison, due[1:2]).results
    saves = _count_saves(monkeypatch, world.office)

    taken = take(world, liaison, due)

    assert taken.results[:2] == before
    assert (taken.results[2].recorded, taken.results[2].unit_id) == (True, "P")
    escalation = escalation_id(liaison, DeadlineKind.RECEIPT, str(liaison))
    stored = list(world.office.events.get(escalation))  # type: ignore[attr-defined]
    assert [type(e).__name__ for e in stored] == [
        "EscalationOpened", "ReminderSent", "DeadlineMissed", "Escalated",
    ]  # fmt: skip
    assert saves == [3 + 3, 1 + 1]  # the batch refused on the ids taken, then the escalation


def test_a_refused_rung_is_audited_once_and_the_others_are_recorded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A forged rung among the due ones (a late referral's, naming the liaison as a member) is
    refused and audited; the rungs before and after it are recorded all the same."""
    world = build_world(ONBOARDED)
    liaison, due = late_liaison(world)
    reminder, missed, _ = due
    forged = reminder[0].model_copy(update={"kind": DeadlineKind.REFERRAL})
    saves = _count_saves(monkeypatch, world.office)

    taken = take(world, liaison, [reminder, (forged, Step.REMINDER), missed])

    assert [(r.recorded, r.refusal) for r in taken.results] == [
        (True, None), (False, "unknown_member"), (True, None),
    ]  # fmt: skip
    escalation = escalation_id(liaison, DeadlineKind.RECEIPT, str(liaison))
    stored = list(world.office.events.get(escalation))  # type: ignore[attr-defined]
    assert [type(e).__name__ for e in stored] == ["EscalationOpened", "ReminderSent",
                                                  "DeadlineMissed"]  # fmt: skip
    refused = escalation_id(liaison, DeadlineKind.REFERRAL, forged.subject)
    audit = uuid5(step_command_id(refused, Step.REMINDER.value), "refused")
    assert len(list(world.office.events.get(audit))) == 1  # type: ignore[attr-defined]
    assert escalation_id(liaison, DeadlineKind.REFERRAL, forged.subject) not in (
        world.office.repository
    )
    # Nothing of the batch was saved before the refusal: each then alone, the audit row beside.
    assert saves == [3, 1, 2]


def _step(liaison: UUID, deadline: Deadline, step: Step) -> TakeStep:
    escalation = escalation_id(liaison, deadline.kind, deadline.subject)
    return TakeStep(
        command_id=step_command_id(escalation, step.value),
        actor=system_actor("P"),
        effective_date=ONBOARDED,
        liaison_id=liaison,
        deadline=deadline,
        step=step,
    )


def test_commands_carried_out_together_record_what_they_record_one_at_a_time() -> None:
    """The same rungs of two late liaisons, one `execute` each for the first and together for
    the second: the same events and outcomes, and receipts naming the same versions."""
    world = build_world(ONBOARDED)
    ids = {"originator_id", "command_id", "liaison_id", "subject", "timestamp"}
    recorded = []
    for together in (False, True):
        liaison, due = late_liaison(world)
        commands = [_step(liaison, deadline, step) for deadline, step in due]
        if together:
            outcomes = world.office.execute_together(commands)
        else:
            outcomes = [world.office.execute(c) for c in commands]
        escalation = escalation_id(liaison, DeadlineKind.RECEIPT, str(liaison))
        events = world.office.events.get(escalation)  # type: ignore[attr-defined]
        recorded.append(
            (
                [o if isinstance(o, Refused) else (o.unit_id, o.resolved) for o in outcomes],
                [e.model_dump(exclude=ids) for e in events],
                [[v for _, *v in _receipt_events(world.office, escalation, s)] for _, s in due],
            )
        )
    assert recorded[0] == recorded[1]
    assert recorded[0][0] == [("XN", False), ("XN", False), ("P", False)]


def test_a_batch_too_large_for_one_save_is_carried_out_one_command_at_a_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Past `MAX_EVENTS_PER_SAVE` (a save of about 1 MB hangs PostgreSQL's writers) the batch is
    not saved at all: each command is then saved alone, as `execute` saves it."""
    world = build_world(ONBOARDED)
    liaison, due = late_liaison(world)
    monkeypatch.setattr(office_module, "MAX_EVENTS_PER_SAVE", 6)  # the batch makes 4 + 3
    saves = _count_saves(monkeypatch, world.office)

    taken = take(world, liaison, due)

    assert [r.recorded for r in taken.results] == [True, True, True]
    assert saves == [3, 2, 2]  # each rung's events and its receipt
    escalation = escalation_id(liaison, DeadlineKind.RECEIPT, str(liaison))
    assert [_receipt_events(world.office, escalation, s) for _, s in due] == [
        ((escalation, 1, 2),), ((escalation, 3, 3),), ((escalation, 4, 4),),
    ]  # fmt: skip


def _overrides() -> list[cmd.Command]:
    return [
        cmd.OverridePolicy(**k(ADMIN, date(2026, 1, 1)), province_id="P", setting=name, value=n)
        for name, n in (("rereferral_days", 10), ("meeting_interval_months", 3))
    ]


def test_commands_that_change_a_fresh_copy_of_a_record_are_carried_out_one_at_a_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Only the workflow's commands are batched (`TOGETHER`): a handler that changes a fresh
    copy of a record (the regulation book, `Work.writable`) would leave the batch two copies of
    it, and one's events would be lost behind a receipt saying done."""
    world = build_world(ONBOARDED)
    saves = _count_saves(monkeypatch, world.office)
    decided: list[Any] = []
    decide = world.office._decide

    def counted(work: Any) -> Any:
        decided.append(work.command)
        return decide(work)

    monkeypatch.setattr(world.office, "_decide", counted)

    outcomes = world.office.execute_together(_overrides())

    assert not any(isinstance(o, Refused) for o in outcomes)
    assert len(saves) == 2  # one at a time
    assert len(decided) == 2  # each decided once, alone: no batch tried first
    assert {"rereferral_days", "meeting_interval_months"} <= {
        o.setting for o in world.office.regulation_book().overrides
    }


def test_a_batch_holding_two_copies_of_one_record_is_carried_out_one_at_a_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Were such commands let into a batch, the two copies are seen and the batch is not
    saved: each command is then carried out alone, and both are recorded."""
    world = build_world(ONBOARDED)
    monkeypatch.setattr(office_module, "TOGETHER", (cmd.OverridePolicy,))
    saves = _count_saves(monkeypatch, world.office)

    outcomes = world.office.execute_together(_overrides())

    assert not any(isinstance(o, Refused) for o in outcomes)
    assert len(saves) == 2
    assert {"rereferral_days", "meeting_interval_months"} <= {
        o.setting for o in world.office.regulation_book().overrides
    }


def test_a_batch_decides_on_the_book_as_it_first_read_it() -> None:
    """The cached regulation book is caught up in place by whichever thread reads it next: the
    book a batch's commands decide on is the one its first command read, whatever changes
    meanwhile."""
    world = build_world(ONBOARDED)
    liaison, due = late_liaison(world)
    first, then = _overrides()
    world.office.execute(first)
    work = Work(world.office, _step(liaison, *due[0]), ONBOARDED)
    before = work.book.overrides
    world.office.execute(then)
    assert world.office.regulation_book().overrides != before  # the cached one, caught up
    following = Work(world.office, _step(liaison, *due[1]), ONBOARDED, following=work)
    assert (work.book.overrides, following.book.overrides) == (before, before)
