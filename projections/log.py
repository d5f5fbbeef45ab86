"""The store's notification log as projections read it: raw stored rows, decoded in bulk."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from eventsourcing.utils import resolve_topic

from domain.office import LiaisonOffice

EVENTS_TABLE = f"{LiaisonOffice.name.lower()}_events"
"""The library names the application's stored events table after the application."""

SELECT_AFTER = (
    f"SELECT notification_id, originator_id, originator_version, topic, state FROM {EVENTS_TABLE}"
    " WHERE notification_id > %s AND notification_id <= %s ORDER BY notification_id LIMIT %s"
)


@dataclass(frozen=True)
class StoredRow:
    """One stored event exactly as the table holds it (what the seal hashes)."""

    notification_id: int
    originator_id: UUID
    originator_version: int
    topic: str
    state: bytes


@dataclass(frozen=True)
class Entry:
    """A stored row with its decoded domain event."""

    row: StoredRow
    event: Any
    memo: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    """What one model derived from this event for the next to reuse (the batch's lifetime)."""


_TOPICS: dict[str, Any] = {}


def decode(row: StoredRow) -> Entry:
    """Decode a stored row with its topic's pydantic class (the store has no cipher/compressor)."""
    cls = _TOPICS.get(row.topic)
    if cls is None:
        cls = _TOPICS[row.topic] = resolve_topic(row.topic)
    return Entry(row=row, event=cls.model_validate_json(row.state))


def rows_from(records: Sequence[Any]) -> list[StoredRow]:
    """Stored rows from psycopg dict rows or tuples of the five columns."""
    out: list[StoredRow] = []
    for r in records:
        values = tuple(r.values()) if isinstance(r, dict) else tuple(r)
        nid, oid, version, topic, state = values
        out.append(StoredRow(int(nid), oid, int(version), str(topic), bytes(state)))
    return out


def event_name(entry: Entry) -> str:
    """The event's class name (its topic's last part)."""
    return entry.row.topic.rpartition(":")[2].rpartition(".")[2]
