"""The dataclasses that cross the Temporal boundary decode cheaply and round-trip unchanged."""

from __future__ import annotations

import dataclasses
import inspect

import pytest
from temporalio.converter import DataConverter

import workflows.messages as messages

CLASSES = [
    c
    for _, c in inspect.getmembers(messages, dataclasses.is_dataclass)
    if c.__module__ == messages.__name__
]


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_annotations_are_types_not_strings(cls: type) -> None:
    """The converter calls `get_type_hints` on every value it decodes (each event of a loaded
    liaison): string annotations (`from __future__ import annotations`) are evaluated each time."""
    assert not [f.name for f in dataclasses.fields(cls) if isinstance(f.type, str)]


async def test_a_loaded_liaison_round_trips() -> None:
    event = messages.LiaisonEventMessage("l", 3, "LiaisonOpened", '{"a": 1}')
    result = messages.OnboardResult(events=[event, event], policy_json="{}", cycle_year=2028)
    converter = DataConverter.default
    decoded = await converter.decode(await converter.encode([result]), [messages.OnboardResult])
    assert decoded == [result]


async def test_onboarding_from_the_state_round_trips_and_an_old_question_asks_for_events() -> None:
    converter = DataConverter.default
    result = messages.OnboardResult(events=[], policy_json="{}", state_json='{"version": 9}')
    decoded = await converter.decode(await converter.encode([result]), [messages.OnboardResult])
    assert decoded == [result]
    old = messages.LoadLiaisonInput(liaison_id="l", after_version=0, on="2027-01-04")
    (asked,) = await converter.decode(await converter.encode([old]), [messages.OnboardInput])
    assert asked == messages.OnboardInput(**vars(old), from_state=False)
