"""The store's notification log as projections read it: raw stored rows, decoded in bulk."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from eventsourcing.utils import resolve_topic
from pydantic import ValidationError

from domain.events import DomainEvent
from domain.persistence import APPLICATION_NAME

EVENTS_TABLE = f"{APPLICATION_NAME.lower()}_events"
"""The library names the application's stored events table after the application."""

SELECT_AFTER = (
    f"SELECT notification_id, originator_id, originator_version, topic, state FROM {EVENTS_TABLE}"
    " WHERE notification_id > %s AND notification_id <= %s ORDER BY notification_id LIMIT %s"
)

MAX_TEXT = 10_000
"""The longest text a read model takes from one field; a longer one is cut, ending in "…".

No field a command accepts comes near it (comments stop at 2,000), and a single value of about
1 MB would hang a write over a Unix socket (DESIGN.md)."""

REPLACEMENT = "\ufffd"

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StoredRow:
    """One stored event exactly as the table holds it (what the seal hashes)."""

    notification_id: int
    originator_id: UUID
    originator_version: int
    topic: str
    state: bytes


@dataclass(frozen=True)
class Unreadable:
    """What the read models see in place of a stored event that cannot be decoded."""

    problem: str
    """Why, in a few words (never the stored text itself)."""


@dataclass(frozen=True)
class Entry:
    """A stored row with its decoded domain event (or `Unreadable`)."""

    row: StoredRow
    event: Any
    memo: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    """What one model derived from this event for the next to reuse (the batch's lifetime)."""


_TOPICS: dict[str, type[DomainEvent] | None] = {}
_SUSPECT = re.compile(rb"\\u0000|\\u[dD][89a-fA-F]")
"""JSON escapes of a NUL or of a surrogate: text PostgreSQL cannot store may be behind them."""
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def decode(row: StoredRow) -> Entry:
    """Decode a stored row with its topic's pydantic class (the store has no cipher/compressor).

    Whatever the row holds, the result can be written to PostgreSQL: a NUL or a lone surrogate in
    any string becomes U+FFFD, a string longer than `MAX_TEXT` is cut, and a row that does not
    decode at all becomes `Unreadable` (logged with its notification id).
    """
    cls = _event_class(row.topic)
    if cls is None:
        return _unreadable(row, "unknown topic")
    state: bytes | None = row.state
    if len(row.state) <= MAX_TEXT and not _SUSPECT.search(row.state):
        try:  # the fast path, taken by every sound event
            return Entry(row=row, event=cls.model_validate_json(row.state))
        except Exception:  # not valid as it stands: raw control bytes, bad UTF-8, wrong fields
            pass
    state = _cleaned(row.state)
    if state is None:
        return _unreadable(row, "not JSON")
    try:
        return Entry(row=row, event=cls.model_validate_json(state))
    except ValidationError as error:
        fields = sorted({".".join(map(str, e["loc"])) or "(event)" for e in error.errors()})
        return _unreadable(row, f"invalid {', '.join(fields)}"[:200])
    except Exception as error:  # a validator that raised something other than a ValueError
        return _unreadable(row, f"invalid ({type(error).__name__})")


def _event_class(topic: str) -> type[DomainEvent] | None:
    """The domain event class a topic names (None for anything else, which is never imported)."""
    if topic in _TOPICS:
        return _TOPICS[topic]
    found: Any = None
    module = topic.partition(":")[0]
    if module == "domain" or module.startswith("domain."):
        try:
            found = resolve_topic(topic)
        except Exception:  # no such module or class
            found = None
    cls = found if isinstance(found, type) and issubclass(found, DomainEvent) else None
    _TOPICS[topic] = cls
    return cls


def _cleaned(state: bytes) -> bytes | None:
    """The stored JSON with every string made storable and bounded (None: it is not JSON)."""
    try:
        parsed = json.loads(state.decode("utf-8", "replace"), strict=False)
    except (ValueError, RecursionError):
        return None
    return json.dumps(_storable(parsed), ensure_ascii=False).encode()


def _storable(value: Any) -> Any:
    if isinstance(value, str):
        return _text(value)
    if isinstance(value, list):
        return [_storable(v) for v in value]
    if isinstance(value, dict):
        return {_text(k): _storable(v) for k, v in value.items()}
    return value


def _text(value: str) -> str:
    value = _UNSTORABLE.sub(REPLACEMENT, value)
    return value if len(value) <= MAX_TEXT else value[: MAX_TEXT - 1] + "…"


def _unreadable(row: StoredRow, problem: str) -> Entry:
    log.warning(
        "Stored event at notification %s (%s) is unreadable: %s",
        row.notification_id,
        row.topic[:200],
        problem,
    )
    return Entry(row=row, event=Unreadable(problem))


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
