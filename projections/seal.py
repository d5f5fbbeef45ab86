"""The seal: a hash chain over the notification log, and the check that finds where it breaks."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar

import psycopg
from eventsourcing.utils import get_topic
from psycopg.rows import dict_row

from domain.access import (
    AccountChanged,
    MaintenanceRun,
    PermissionRefused,
    SignedIn,
    SignInFailed,
)
from domain.registry import InstallationKeyed, ReceiptRecorded
from projections.log import EVENTS_TABLE, Entry, StoredRow, rows_from
from projections.model import Cursor, ReadModel, copy_rows

GENESIS = bytes(32)
LINK_COLUMNS = {"notification_id": "int8", "link": "bytea"}


def link(previous: bytes, row: StoredRow) -> bytes:
    """sha256 of the previous link and every stored byte of the event, each part length-prefixed."""
    digest = hashlib.sha256(previous)
    for part in (
        str(row.notification_id).encode(),
        str(row.originator_id).encode(),
        str(row.originator_version).encode(),
        row.topic.encode(),
        row.state,
    ):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.digest()


class Seal(ReadModel):
    """One link per event, in notification order; the last row is the seal's head."""

    name: ClassVar[str] = "seal"
    tables: ClassVar[tuple[str, ...]] = ("seal_link",)

    def ddl(self) -> list[str]:
        return [
            f"CREATE TABLE IF NOT EXISTS {self.t('seal_link')} ("
            " notification_id bigint PRIMARY KEY, link bytea NOT NULL)"
        ]

    def __init__(self, suffix: str = "") -> None:
        super().__init__(suffix)
        self.head: bytes | None = None
        """The last link written (kept between batches while the position is this model's)."""

    def reset(self) -> None:
        self.head = None

    def apply(self, cur: Cursor, entries: Sequence[Entry]) -> None:
        previous = self.head
        if previous is None:
            cur.execute(
                f"SELECT link FROM {self.t('seal_link')} ORDER BY notification_id DESC LIMIT 1"
            )
            found = cur.fetchone()
            previous = bytes(found["link"]) if found else GENESIS
        rows = []
        for entry in entries:
            previous = link(previous, entry.row)
            rows.append((entry.row.notification_id, previous))
        copy_rows(cur, self.t("seal_link"), LINK_COLUMNS, rows)
        self.head = previous


@dataclass(frozen=True)
class Break:
    """Where the store or the seal first fails a check, and how.

    Problems: `altered`, `deleted`, `inserted` (the chain); `unreceipted` (no receipt names the
    event), `backwards` (recorded before an earlier event); `cut` (the seal table lost its last
    rows), `unsealed` (events the seal has not reached); `checkpoint` (the seal differs from a
    signed checkpoint at that position)."""

    position: int
    problem: str


MAX_SKEW = timedelta(minutes=10)
"""How far a recorded time may lie before the latest one seen earlier in the log.

An event's time is taken when its command decides, and the log's order when its save takes the
table lock: a save that waited behind another lands after events recorded a little later. No save
waits ten minutes; a forged event with a copied older time lands far behind."""

RECEIPT_TOPIC = get_topic(ReceiptRecorded)
SELF_RECEIPTED = frozenset(
    get_topic(cls)
    for cls in (
        SignedIn,
        SignInFailed,
        PermissionRefused,
        AccountChanged,
        MaintenanceRun,
        InstallationKeyed,
    )
)
"""The access trail's records and the store's key: each the single event of an aggregate of its
own, saved alone, and so its own receipt."""


@dataclass
class Ledger:
    """What the log owes along the way: events awaiting their receipt, the latest time seen."""

    awaiting: dict[tuple[str, int], tuple[int, str | None]] = field(default_factory=dict)
    """(aggregate id, version) → (position, command id) of events no receipt has named yet."""
    latest: datetime | None = None
    problem: Break | None = None

    def copy(self) -> Ledger:
        """An independent copy (a verdict keeps one to go on from)."""
        return Ledger(dict(self.awaiting), self.latest, self.problem)

    def see(self, row: StoredRow) -> None:
        """Take one stored event in log order; remember the first problem found."""
        state = _state(row.state)
        recorded = _time(state.get("timestamp"))
        if recorded is not None:
            if self.latest is not None and recorded < self.latest - MAX_SKEW:
                self._note(Break(row.notification_id, "backwards"))
            self.latest = recorded if self.latest is None else max(self.latest, recorded)
        if row.topic == RECEIPT_TOPIC:
            self.receipt(state)
        elif row.topic in SELF_RECEIPTED and row.originator_version == 1:
            pass
        else:
            key = (str(row.originator_id), row.originator_version)
            command = state.get("command_id")
            self.awaiting[key] = (row.notification_id, str(command) if command else None)

    def receipt(self, state: dict[str, Any]) -> None:
        """A receipt: the events it names (or, recorded before receipts named them, the events
        that carry its command id) are accounted for."""
        named = state.get("events") or ()
        for item in named if isinstance(named, list) else ():
            try:
                aggregate_id, first, last = str(item[0]), int(item[1]), int(item[2])
            except (TypeError, ValueError, IndexError):
                continue  # a receipt that names nothing readable accounts for nothing
            for key in [k for k in self.awaiting if k[0] == aggregate_id]:
                if first <= key[1] <= last:
                    del self.awaiting[key]
        if not named and self.awaiting:
            command = str(state.get("command_id"))
            for key in [k for k, (_, c) in self.awaiting.items() if c == command]:
                del self.awaiting[key]

    def first_unreceipted(self) -> Break | None:
        """The earliest event still awaiting its receipt."""
        if not self.awaiting:
            return None
        return Break(min(p for p, _ in self.awaiting.values()), "unreceipted")

    def _note(self, problem: Break) -> None:
        if self.problem is None or problem.position < self.problem.position:
            self.problem = problem


def _state(state: bytes) -> dict[str, Any]:
    """A stored event's JSON as a dict ({} for one that does not decode: it then has no time
    to check and names no command, and so still needs a receipt)."""
    try:
        found = json.loads(state)
    except (ValueError, RecursionError):
        return {}
    return found if isinstance(found, dict) else {}


def _time(value: Any) -> datetime | None:
    try:
        found = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None
    return found if found.tzinfo is not None else None


@dataclass(frozen=True)
class Verdict:
    """The outcome of a verification: events checked, the head reached, and the first break."""

    checked: int
    head_position: int
    head: str
    broken: Break | None
    recomputed: int = 0
    """How many links this verification recomputed (fewer than `checked` when incremental)."""
    ledger: Ledger | None = field(default=None, compare=False, repr=False)
    """Receipts and times as they stood at the head, for an incremental verification to go on."""

    @property
    def ok(self) -> bool:
        """True when every sealed event is intact and in place."""
        return self.broken is None


def _stream(
    cur: Cursor, statement: str, after: int = -1, batch: int = 5000
) -> Iterator[dict[str, Any]]:
    while True:
        cur.execute(statement, (after, batch))
        rows = cur.fetchall()
        if not rows:
            return
        yield from rows
        after = int(rows[-1]["notification_id"])


def verify(cur: Cursor, since: Verdict | None = None, store_head: int | None = None) -> Verdict:
    """Recompute the chain from the stored events and compare it with every sealed link; check
    that a receipt names every event and that recorded times do not go back; and that the seal
    reaches its own tracked position (and `store_head`, when given).

    With `since` (an intact verdict), only the links after its head are recomputed, starting from
    its head link; the caller vouches that nothing up to there has changed since.
    """
    start = since.head_position if since else -1
    events = (
        rows_from([r])[0]
        for r in _stream(
            cur,
            "SELECT notification_id, originator_id, originator_version, topic, state"
            f" FROM {EVENTS_TABLE} WHERE notification_id > %s ORDER BY notification_id LIMIT %s",
            start,
        )
    )
    # A second cursor, so that the two keyset reads interleave on one connection.
    sealed = _stream(
        cur.connection.cursor(row_factory=cur.row_factory),
        "SELECT notification_id, link FROM seal_link WHERE notification_id > %s"
        " ORDER BY notification_id LIMIT %s",
        start,
    )
    previous = bytes.fromhex(since.head) if since else GENESIS
    checked, head_position = (since.checked, since.head_position) if since else (0, 0)
    ledger = since.ledger.copy() if since and since.ledger else Ledger()
    begun = checked
    for seal_row in sealed:
        position = int(seal_row["notification_id"])
        row = next(events, None)
        problem = None
        if row is None or row.notification_id > position:
            problem, where = "deleted", position
        elif row.notification_id < position:
            problem, where = "inserted", row.notification_id
        else:
            current = link(previous, row)
            if current != bytes(seal_row["link"]):
                problem, where = "altered", position
        if problem is not None:
            broken = _first(Break(where, problem), ledger.problem)
            return Verdict(checked, head_position, previous.hex(), broken, checked - begun, ledger)
        ledger.see(row)  # type: ignore[arg-type]
        previous, checked, head_position = current, checked + 1, position
    kept = ledger.copy()
    _receipts_after(cur, head_position, ledger)  # a command's receipt may be saved after the head
    broken = _first(
        ledger.problem, ledger.first_unreceipted(), _reach(cur, head_position, store_head)
    )
    return Verdict(checked, head_position, previous.hex(), broken, checked - begun, kept)


def _first(*found: Break | None) -> Break | None:
    """The problem at the earliest position (the chain's own first, at equal positions)."""
    breaks = [b for b in found if b is not None]
    return min(breaks, key=lambda b: b.position) if breaks else None


def _receipts_after(cur: Cursor, position: int, ledger: Ledger) -> None:
    """Receipts stored after the seal's head account for the events they name before it."""
    if not ledger.awaiting:
        return
    cur.execute(
        f"SELECT state FROM {EVENTS_TABLE} WHERE notification_id > %s AND topic = %s"
        " ORDER BY notification_id",
        (position, RECEIPT_TOPIC),
    )
    for found in cur.fetchall():
        ledger.receipt(_state(bytes(found["state"])))


def _reach(cur: Cursor, head_position: int, store_head: int | None) -> Break | None:
    """Whether the seal reaches its own tracked position (else it was cut) and the store's head."""
    cur.execute(
        "SELECT notification_id FROM projections_tracking WHERE application_name = %s",
        (Seal.name,),
    )
    found = cur.fetchone()
    tracked = int(found["notification_id"] or 0) if found else 0
    if tracked > head_position:
        return Break(head_position + 1, "cut")
    if store_head is not None and store_head > head_position:
        return Break(head_position + 1, "unsealed")
    return None


def link_at(cur: Cursor, position: int) -> str | None:
    """The sealed link at a notification id (hex), or None when that position is not sealed."""
    cur.execute("SELECT link FROM seal_link WHERE notification_id = %s", (position,))
    found = cur.fetchone()
    return bytes(found["link"]).hex() if found else None


async def head(conn: Any) -> dict[str, Any]:
    """The seal's head (position and link, hex) beside the store's head position and the seal's
    tracked position (asyncpg)."""
    row = await conn.fetchrow(
        "SELECT notification_id, link FROM seal_link ORDER BY notification_id DESC LIMIT 1"
    )
    store = await conn.fetchval(f"SELECT coalesce(max(notification_id), 0) FROM {EVENTS_TABLE}")
    tracked = await conn.fetchval(
        "SELECT notification_id FROM projections_tracking WHERE application_name = $1", Seal.name
    )
    return {
        "position": int(row["notification_id"]) if row else 0,
        "link": bytes(row["link"]).hex() if row else None,
        "store_head": int(store),
        "tracked": int(tracked or 0),
    }


def verify_url(url: str, since: Verdict | None = None, store_head: int | None = None) -> Verdict:
    """`verify` on its own connection to the store's database (the URL carries the schema)."""
    with psycopg.connect(url, row_factory=dict_row) as conn, conn.cursor() as cur:
        if since is not None and link_at(cur, since.head_position) != since.head:
            since = None  # the sealed links were rebuilt or changed: start from the genesis
        return verify(cur, since, store_head)
