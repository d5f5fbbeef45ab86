"""`onboard_liaison` in a new year reads the liaison's events once (its aggregate, which the
cycle's command then finds in the cache and only catches up), opens the cycle, then reads only
the events the cycle added; the organisation is read once for the activity's actor and policy
(the command catches it up).

An onboarding is a chain of round trips the workflow waits on (eight starts in flight in the
benchmark): it used to read and replay the liaison's whole history three times (the history, the
actor's aggregate, the history again after the cycle) and the organisation three times.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from copy import deepcopy
from datetime import date
from typing import Any
from uuid import UUID, uuid4, uuid5

import pytest
from eventsourcing import application as application_module
from eventsourcing.application import LRUCache

from domain.escalation import system_actor
from domain.liaison_events import replay
from domain.registry import ORGANISATION_ID, receipt_id_for
from domain.stamp import Stamp
from domain.state import LiaisonState
from tests.unit.conftest import build_world
from tests.unit.test_onboarding_from_state import years_of_history
from workers.worker import warm
from workflows.activities import LiaisonActivities
from workflows.messages import OnboardInput
from workflows.outbox import InMemoryOutbox

ON = date(2027, 1, 4)


def test_an_onboarding_in_a_new_year_reads_each_thing_it_needs_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world = build_world(ON)
    liaison: UUID = years_of_history(world)
    store = world.office.events  # type: ignore[attr-defined]
    reads: Counter[tuple[str, str]] = Counter()
    get = store.get

    opening = receipt_id_for(uuid5(liaison, "open-cycle:2027"))

    def counted(originator_id: UUID, *args: Any, **kwargs: Any) -> Any:
        names = {liaison: "liaison", ORGANISATION_ID: "organisation", opening: "receipt"}
        what = names.get(originator_id, "other")
        reads[what, "after" if kwargs.get("gt") else "whole"] += 1
        return get(originator_id, *args, **kwargs)

    monkeypatch.setattr(store, "get", counted)
    world.office.repository.cache = LRUCache(maxsize=2000)  # a worker's first look, empty
    request = OnboardInput(liaison_id=str(liaison), after_version=0, on=ON.isoformat(),
                           from_state=True)  # fmt: skip
    result = asyncio.run(LiaisonActivities(world.office, InMemoryOutbox()).onboard_liaison(request))

    assert reads["liaison", "whole"] == 1  # the aggregate, then cached
    assert reads["liaison", "after"] == 2  # the command's, caught up; what the cycle added
    assert reads["organisation", "whole"] == 1  # the activity's (the command's is caught up)
    assert reads["receipt", "whole"] == 0  # a retry would fail on its id: not looked up first
    assert (result.cycle_year, result.refusal) == (2027, None)
    assert result.state_json is not None
    assert LiaisonState.model_validate_json(result.state_json) == world.office.state_of(liaison)


def test_a_liaisons_state_now_is_caught_up_from_the_cache_not_read_whole(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """After its notifications a rung's activity asks the liaison's state: the aggregate its
    command just loaded is caught up from the cache (the events after its version), not its
    whole history decoded and replayed again; the state is the one its events give."""
    world = build_world(ON)
    liaison: UUID = years_of_history(world)
    world.office.liaison(liaison)  # as a command loads it
    store = world.office.events  # type: ignore[attr-defined]
    reads: list[str] = []
    get = store.get

    def counted(originator_id: UUID, *args: Any, **kwargs: Any) -> Any:
        if originator_id == liaison:
            reads.append("after" if kwargs.get("gt") else "whole")
        return get(originator_id, *args, **kwargs)

    monkeypatch.setattr(store, "get", counted)
    state = world.office.state_of(liaison)
    assert reads == ["after"]
    assert state == replay(list(get(liaison)))


def test_a_liaisons_state_now_is_read_from_the_cached_aggregate_not_a_copy_of_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A command gets a copy of the cached aggregate to change (the library deep-copies it, the
    whole state with it); the state asked to be read is the cached aggregate's own, which no
    one changes (each event replaces it): an onboarding and its rungs ask it twice."""
    world = build_world(ON)
    liaison: UUID = years_of_history(world)
    world.office.liaison(liaison)  # cached
    copies: list[Any] = []
    deepcopy = application_module.deepcopy

    def counted(thing: Any, *args: Any) -> Any:
        copies.append(thing)
        return deepcopy(thing, *args)

    monkeypatch.setattr(application_module, "deepcopy", counted)
    first = world.office.state_of(liaison)
    world.office.system_actor_for(liaison, ON)
    assert copies == []
    world.office.liaison(liaison)  # to change: a copy
    assert len(copies) == 1
    assert first == replay(world.office.history(liaison))


def test_a_cycle_opened_again_answers_as_the_first_time_and_records_nothing() -> None:
    """The cycle's command is not preceded by a look at its receipt: sent again (an activity
    retried after its save), it fails on its id, and then answers as the first time did."""
    world = build_world(ON)
    liaison: UUID = years_of_history(world)
    activities = LiaisonActivities(world.office, InMemoryOutbox())
    first = activities._open(liaison, 2027, ON)
    version = world.office.state_of(liaison).version
    again = activities._open(liaison, 2027, ON)
    assert (first, again) == (None, None)
    assert world.office.state_of(liaison).version == version
    assert activities._open(liaison, 2028, ON) == "malformed"  # refused: not its year yet


def test_a_commands_copy_of_a_liaison_shares_its_state_which_no_event_changes_in_place() -> None:
    """The library deep-copies a cached aggregate for each command that may change it; the
    liaison's state is immutable (each event replaces it), so the copy shares it rather than
    copying every meeting and assessment, and an event on the copy leaves the cached one as
    it was."""
    world = build_world(ON)
    liaison: UUID = years_of_history(world)
    cached = world.office.state_of(liaison)
    copy = world.office.liaison(liaison)  # as a command gets it, to change
    assert copy.state is cached
    assert deepcopy(cached) is cached
    stamp = Stamp(actor=system_actor("P"), command_id=uuid4(), effective_date=ON,
                  regulation="213")  # fmt: skip
    copy.open_cycle(stamp, 2027)
    assert copy.state.cycle_year == 2027
    assert cached.cycle_year == 2026
    assert world.office.state_of(liaison) is cached  # the cached liaison, unchanged


def test_a_worker_reads_the_organisation_before_it_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    """`warm` replays the organisation and reads the regulation book into the office's cache
    before the worker polls (`run_worker`), so that its first activity only catches them up
    instead of replaying the organisation whole while every other activity thread waits."""
    world = build_world(ON)
    liaison: UUID = years_of_history(world)
    store = world.office.events  # type: ignore[attr-defined]
    reads: Counter[str] = Counter()
    get = store.get

    def counted(originator_id: UUID, *args: Any, **kwargs: Any) -> Any:
        if originator_id == ORGANISATION_ID:
            reads["after" if kwargs.get("gt") is not None else "whole"] += 1
        return get(originator_id, *args, **kwargs)

    monkeypatch.setattr(store, "get", counted)
    world.office.repository.cache = LRUCache(maxsize=2000)  # a worker just started
    warm(world.office)
    assert reads == {"whole": 1}
    request = OnboardInput(liaison_id=str(liaison), after_version=0, on=ON.isoformat(),
                           from_state=True)  # fmt: skip
    asyncio.run(LiaisonActivities(world.office, InMemoryOutbox()).onboard_liaison(request))
    assert reads["whole"] == 1  # the activity caught it up, no replay
    assert reads["after"] >= 1
