"""Pure: how stored rows are decoded for the read models, and how the read side sorts errors."""

from __future__ import annotations

import json
import sys
import uuid
from datetime import UTC, date, datetime

import eventsourcing.persistence as es
import psycopg
import psycopg_pool
import pytest
from eventsourcing.utils import get_topic
from psycopg import errors

from domain.member import MemberRegistered
from domain.roles import Actor, Role
from projections.log import MAX_TEXT, StoredRow, Unreadable, decode
from projections.outage import Backoff, caused_by_content, from_database, unavailable

TOPIC = get_topic(MemberRegistered)


def _registered(name: str = "Lê Thị Hoa") -> MemberRegistered:
    return MemberRegistered(
        originator_id=uuid.uuid4(),
        originator_version=1,
        timestamp=datetime(2026, 1, 5, tzinfo=UTC),
        originator_topic="domain.member:Member",
        actor=Actor(id="clerk", role=Role.WORKPLACE_CLERK, unit_id="W"),
        command_id=uuid.uuid4(),
        effective_date=date(2026, 1, 5),
        regulation="213",
        name=name,
        birth_date=date(1985, 6, 1),
        party_card_number="93000002",
        workplace_unit_id="W",
    )


def _row(state: bytes, topic: str = TOPIC) -> StoredRow:
    return StoredRow(1, uuid.uuid4(), 1, topic, state)


def _with_name(text: str) -> bytes:
    """A stored MemberRegistered whose name is this JSON string text (escapes included)."""
    state = json.loads(_registered().model_dump_json())
    state["name"] = "@NAME@"
    return json.dumps(state).encode().replace(b'"@NAME@"', text.encode())


def test_a_sound_event_decodes_as_it_was_stored() -> None:
    event = _registered()
    assert decode(_row(event.model_dump_json().encode())).event == event


@pytest.mark.parametrize(
    ("text", "name"),
    [
        (r'"Nul\u0000Name"', "Nul\ufffdName"),
        (r'"Lone\ud800Name"', "Lone\ufffdName"),
        (r'"Lone\uDC00Name"', "Lone\ufffdName"),
        (r'"Pair\ud83d\ude00"', "Pair😀"),  # a real pair is kept
        ('"Raw\x00Nul"', "Raw\ufffdNul"),  # a raw NUL byte inside the JSON string
        ('"Bad\xff"', "Bad\ufffd"),  # not UTF-8 (the byte after escaping below)
        (r'"Back\\u0000slash"', "Back\\u0000slash"),  # an escaped backslash, no NUL at all
    ],
)
def test_text_postgresql_cannot_store_becomes_the_replacement_character(
    text: str, name: str
) -> None:
    state = _with_name(text)
    if "\xff" in text:
        state = state.replace("\xff".encode(), b"\xff")
    event = decode(_row(state)).event
    assert isinstance(event, MemberRegistered)
    assert event.name == name


def test_a_very_long_string_is_cut_and_says_so() -> None:
    event = decode(_row(_registered("Nguyễn " * 5_000).model_dump_json().encode())).event
    assert len(event.name) == MAX_TEXT
    assert event.name.endswith("…")
    assert event.name.startswith("Nguyễn Nguyễn")


@pytest.mark.parametrize(
    ("state", "topic", "problem"),
    [
        (_with_name("42"), TOPIC, "invalid name"),
        (b'{"originator_id": "', TOPIC, "not JSON"),
        (b"[" * 100_000, TOPIC, "not JSON"),
        (b"", TOPIC, "not JSON"),
        (_registered().model_dump_json().encode(), "domain.member:Vanished", "unknown topic"),
        (_registered().model_dump_json().encode(), "domain.organisation:Unit", "unknown topic"),
        (_registered().model_dump_json().encode(), "antigravity:fly", "unknown topic"),
    ],
)
def test_what_does_not_decode_is_unreadable(state: bytes, topic: str, problem: str) -> None:
    event = decode(_row(state, topic)).event
    assert event == Unreadable(problem)


def test_a_topic_outside_the_domain_is_never_imported() -> None:
    decode(_row(b"{}", "antigravity:fly"))
    assert "antigravity" not in sys.modules


def _error(sqlstate: str | None, base: type[psycopg.Error] = psycopg.OperationalError) -> Exception:
    cls = errors.lookup(sqlstate) if sqlstate else base
    try:
        try:
            raise cls("test")
        except psycopg.Error as error:  # as the library re-raises it
            raise es.OperationalError(str(error)) from error
    except es.OperationalError as wrapped:
        return wrapped


@pytest.mark.parametrize(
    ("error", "away", "content"),
    [
        (_error(None), True, False),  # connection lost, refused
        (_error("57P01"), True, False),  # admin shutdown
        (_error("57P03"), True, False),  # the server is starting up
        (_error("53300"), True, False),  # too many connections
        (psycopg_pool.PoolTimeout("no connection"), True, False),
        (psycopg_pool.PoolClosed("closed"), False, False),
        (_error("22P05"), False, True),  # untranslatable character
        (_error("54000"), False, True),  # index row too long
        (_error("23505"), False, True),
        (_error("40P01"), False, False),  # deadlock: retried, never put down to an event
        (_error("42P01"), False, False),  # a table gone (a rebuild elsewhere)
        (es.IntegrityError("tracking moved"), False, False),
        (KeyError("unit"), False, True),  # a model's own logic failed on the event
        (MemoryError(), False, False),
    ],
)
def test_errors_are_sorted_into_outages_and_odd_events(
    error: Exception, away: bool, content: bool
) -> None:
    assert unavailable(error) is away
    assert caused_by_content(error) is content


def test_only_postgresql_errors_count_as_from_the_database() -> None:
    assert from_database(_error("XX000"))
    assert not from_database(ValueError("database URL must name exactly one host"))


def test_backoff_doubles_to_its_ceiling_and_starts_again_after_a_success() -> None:
    backoff = Backoff(first=1, most=8)
    assert [backoff.next() for _ in range(6)] == [1, 2, 4, 8, 8, 8]
    backoff.reset()
    assert backoff.next() == 1
