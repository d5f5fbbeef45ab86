"""The seal: a hash chain over the notification log, and the check that finds where it breaks."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import psycopg
from psycopg.rows import dict_row

from projections.log import EVENTS_TABLE, Entry, StoredRow, rows_from
from projections.model import Cursor, ReadModel, copy_rows

GENESIS = bytes(32)


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
        copy_rows(cur, self.t("seal_link"), ("notification_id", "link"), rows)
        self.head = previous


@dataclass(frozen=True)
class Break:
    """Where the recomputed chain first differs from the sealed one, and how."""

    position: int
    problem: str


@dataclass(frozen=True)
class Verdict:
    """The outcome of a verification: events checked, the head reached, and the first break."""

    checked: int
    head_position: int
    head: str
    broken: Break | None
    recomputed: int = 0
    """How many links this verification recomputed (fewer than `checked` when incremental)."""

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


def verify(cur: Cursor, since: Verdict | None = None) -> Verdict:
    """Recompute the chain from the stored events and compare it with every sealed link.

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
            broken = Break(where, problem)
            return Verdict(checked, head_position, previous.hex(), broken, checked - begun)
        previous, checked, head_position = current, checked + 1, position
    return Verdict(checked, head_position, previous.hex(), None, checked - begun)


def link_at(cur: Cursor, position: int) -> str | None:
    """The sealed link at a notification id (hex), or None when that position is not sealed."""
    cur.execute("SELECT link FROM seal_link WHERE notification_id = %s", (position,))
    found = cur.fetchone()
    return bytes(found["link"]).hex() if found else None


async def head(conn: Any) -> dict[str, Any]:
    """The seal's head (position and link, hex) beside the store's head position (asyncpg)."""
    row = await conn.fetchrow(
        "SELECT notification_id, link FROM seal_link ORDER BY notification_id DESC LIMIT 1"
    )
    store = await conn.fetchval(f"SELECT coalesce(max(notification_id), 0) FROM {EVENTS_TABLE}")
    return {
        "position": int(row["notification_id"]) if row else 0,
        "link": bytes(row["link"]).hex() if row else None,
        "store_head": int(store),
    }


def verify_url(url: str, since: Verdict | None = None) -> Verdict:
    """`verify` on its own connection to the store's database (the URL carries the schema)."""
    with psycopg.connect(url, row_factory=dict_row) as conn, conn.cursor() as cur:
        if since is not None and link_at(cur, since.head_position) != since.head:
            since = None  # the sealed links were rebuilt or changed: start from the genesis
        return verify(cur, since)
