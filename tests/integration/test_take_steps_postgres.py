"""On PostgreSQL: a batch of rungs some of which were taken before fails on their receipts' ids
and writes nothing (the transaction rolled back whole), and the rungs are then carried out one
at a time; the store's connections stay usable."""

from __future__ import annotations

from domain.deadlines import DeadlineKind
from domain.escalation import escalation_id
from tests.unit.conftest import World, build_world
from tests.unit.test_take_steps_together import ONBOARDED, late_liaison, take


def events_stored(world: World) -> int:
    """How many events the store holds."""
    recorder = world.office.recorder  # type: ignore[attr-defined]
    return len(recorder.select_notifications(start=None, limit=1_000_000))


def test_rungs_taken_before_answer_as_they_did_and_the_rest_are_recorded(
    pg_env: dict[str, str],
) -> None:
    world = build_world(ONBOARDED, env=pg_env)
    try:
        liaison, due = late_liaison(world)
        before = take(world, liaison, due[:1]).results + take(world, liaison, due[1:2]).results
        stored_before = events_stored(world)

        taken = take(world, liaison, due)
        again = take(world, liaison, due)

        assert taken.results[:2] == before
        assert (taken.results[2].recorded, taken.results[2].unit_id) == (True, "P")
        assert again == taken
        escalation = escalation_id(liaison, DeadlineKind.RECEIPT, str(liaison))
        stored = list(world.office.events.get(escalation))  # type: ignore[attr-defined]
        assert [type(e).__name__ for e in stored] == [
            "EscalationOpened", "ReminderSent", "DeadlineMissed", "Escalated",
        ]  # fmt: skip
        # The escalation and its receipt, nothing of the batches that failed (whose notification
        # ids the rolled back transactions used up: PostgreSQL's sequences do not go back).
        assert events_stored(world) == stored_before + 2
    finally:
        world.office.close()
