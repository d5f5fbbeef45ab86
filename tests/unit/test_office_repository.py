"""The office rebuilds its aggregates without the library's runtime-protocol assertion on each
event (`application.repository`): the same records, none of its cost."""

from __future__ import annotations

from typing import Any

import pytest
from eventsourcing.application import LRUCache, project_aggregate
from eventsourcing.domain import CanMutateProtocol

from application.office import LiaisonOffice
from domain.registry import ORGANISATION_ID
from tests.unit.conftest import World


def protocol_checks(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Each object tested against the library's `CanMutateProtocol` from now on."""
    checked: list[Any] = []
    meta = type(CanMutateProtocol)
    original = meta.__instancecheck__

    def counted(cls: Any, instance: Any) -> bool:
        if cls is CanMutateProtocol:
            checked.append(instance)
        return bool(original(cls, instance))

    monkeypatch.setattr(meta, "__instancecheck__", counted)
    return checked


def uncached(office: LiaisonOffice) -> None:
    """The office's aggregate cache emptied, as a process's first read finds it."""
    office.repository.cache = LRUCache(maxsize=2000)


def test_a_liaison_and_the_organisation_are_rebuilt_without_a_protocol_check_per_event(
    monkeypatch: pytest.MonkeyPatch, world: World
) -> None:
    liaison_id = world.refer(world.register())
    world.receive_commune(liaison_id, on=world.today)
    office = world.office
    uncached(office)
    checked = protocol_checks(monkeypatch)

    liaison = office.liaison(liaison_id)
    organisation = office.organisation()
    office.liaison(liaison_id)  # from the cache, fast-forwarded: no check either

    assert checked == []
    assert liaison.version == 2
    events = list(office.events.get(liaison_id))
    assert len(events) == 2
    rebuilt = project_aggregate(None, events)  # the library's own rebuild: the same record
    assert rebuilt is not None
    assert rebuilt.__dict__ == liaison.__dict__
    assert len(checked) == 2  # and the counting sees the library's checks
    assert organisation.version == len(list(office.events.get(ORGANISATION_ID)))
