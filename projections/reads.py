"""Audit trail and timeline queries (asyncpg), and the read connection for a store's schema."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit
from uuid import UUID

import asyncpg

from domain.messages import Count, Message, gettext_noop
from projections.catalog import MODELS
from projections.runner import BUILD_LOCKS

AUDIT_COLUMNS = (
    "notification_id, originator_id, version, event, effective_date, recorded_at, actor_id, role,"
    " actor_unit_id, command_id, regulation, comment, member_id, units, details::text AS details"
)

READ_SETTINGS = {"jit": "off", "plan_cache_mode": "force_custom_plan", "work_mem": "64MB"}
"""Every read connection's settings. The dashboard's one query over every figure is costed high
enough to be JIT-compiled, which took 200 ms of a 30 ms answer; and a generic plan cannot hash
the subtree's unit list (`= ANY($1)`), so each call is planned for its own parameters."""


def _dsn(url: str, schema: str | None) -> tuple[str, dict[str, str]]:
    """The DSN without `options`, and the server settings that set the store's search path."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query)
    options = dict(query).get("options", "")
    found = schema or next(
        (o.split("=", 1)[1] for o in options.replace("-c ", "-c").split() if "search_path=" in o),
        None,
    )
    rest = urlencode([(k, v) for k, v in query if k != "options"])
    dsn = urlunsplit(parts._replace(query=rest))
    return dsn, {**READ_SETTINGS, **({"search_path": found} if found else {})}


async def connect(url: str, schema: str | None = None) -> Any:
    """An asyncpg connection whose search path is the store's schema (from the URL's options)."""
    dsn, settings = _dsn(url, schema)
    return await asyncpg.connect(dsn, server_settings=settings)


async def pool(url: str, size: int = 4) -> Any:
    """A small asyncpg pool on the store's schema, for a process that reads many times."""
    dsn, settings = _dsn(url, None)
    return await asyncpg.create_pool(dsn, min_size=1, max_size=size, server_settings=settings)


async def audit(
    conn: Any,
    *,
    member_id: UUID | None = None,
    records: Sequence[UUID] | None = None,
    actor_id: str | None = None,
    units: list[str] | None = None,
    recorded_from: datetime | None = None,
    recorded_to: datetime | None = None,
    upto: int | None = None,
    after: int | None = None,
    limit: int = 1000,
    event: str | None = None,
    hidden: tuple[str, ...] = (),
    named: bool = False,
) -> list[dict[str, Any]]:
    """Audit rows by member, record (the aggregates' ids), actor, unit subtree (unit ids),
    recorded period and event kind (but none of the `hidden` kinds), in log order; `named` adds
    the member's name and workplace (`member_name`, `member_unit_id`) as the facts model knows
    them.

    Pages by keyset: `after` is the last notification id of the previous page."""
    select = (
        f"SELECT {AUDIT_COLUMNS} FROM audit_event WHERE ($1::uuid IS NULL OR member_id = $1)"
        " AND ($2::text IS NULL OR actor_id = $2) AND ($3::text[] IS NULL OR units && $3)"
        " AND ($4::timestamptz IS NULL OR recorded_at >= $4)"
        " AND ($5::timestamptz IS NULL OR recorded_at <= $5)"
        " AND ($6::bigint IS NULL OR notification_id <= $6)"
        " AND ($8::bigint IS NULL OR notification_id > $8)"
        " AND ($9::text IS NULL OR event = $9) AND NOT (event = ANY($10::text[]))"
        " AND ($11::uuid[] IS NULL OR originator_id = ANY($11))"
        " ORDER BY notification_id LIMIT $7"
    )
    if named:
        select = (
            f"SELECT a.*, m.name AS member_name, m.workplace_unit_id AS member_unit_id"
            f" FROM ({select}) a LEFT JOIN member m USING (member_id) ORDER BY a.notification_id"
        )
    rows = await conn.fetch(
        select,
        member_id,
        actor_id,
        units,
        recorded_from,
        recorded_to,
        upto,
        limit,
        after,
        event,
        list(hidden),
        None if records is None else list(records),
    )
    return [dict(r) for r in rows]


async def timeline(conn: Any, member_id: UUID) -> list[dict[str, Any]]:
    """One member's liaisons and their events in order, with the stage after each."""
    rows = await conn.fetch(
        "SELECT * FROM timeline WHERE member_id = $1 ORDER BY notification_id", member_id
    )
    return [dict(r) for r in rows]


async def positions(conn: Any) -> list[dict[str, Any]]:
    """Each projection's position and its lag behind the store's head."""
    head = await conn.fetchval("SELECT coalesce(max(notification_id), 0) FROM liaisonoffice_events")
    rows = await conn.fetch(
        "SELECT application_name, notification_id FROM projections_tracking"
        " WHERE application_name <> '__migration__' ORDER BY application_name"
    )
    return [
        {
            "name": r["application_name"],
            "position": r["notification_id"],
            "lag": head - r["notification_id"],
        }
        for r in rows
    ]


async def projected(conn: Any, names: list[str]) -> int:
    """The log position that every named read model has processed (0 while one has none)."""
    position: int = await conn.fetchval(
        "SELECT CASE WHEN count(*) = cardinality($1::text[]) THEN min(notification_id) ELSE 0 END"
        " FROM projections_tracking WHERE application_name = ANY($1::text[])",
        names,
    )
    return position


_HELD = (
    "EXISTS (SELECT FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 2"
    " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
    " AND classid = hashtext(current_schema())::oid AND objid = hashtext({})::oid)"
)
_BUILDING = f"SELECT {_HELD.format('$1')} AS reading, {_HELD.format('$2')} AS totals"
"""Whether a bulk catch-up of the store's live read models holds the lock of reading the log,
and whether one holds that of the totals (`BUILD_LOCKS`)."""


@dataclass(frozen=True)
class Build:
    """How far a bulk catch-up has got: the events every read model has processed (`done`) of
    the events the log holds (`total`)."""

    done: int
    total: int
    reading: bool = True
    """Whether the log is still being read (else every event it held when the build began is,
    and the indexes and totals are being made)."""

    @property
    def percent(self) -> int:
        """Whole per cent; 100 only once built."""
        if not self.reading:
            return 99
        return min(99, self.done * 100 // self.total) if self.total else 0

    def message(self) -> Message:
        """What the board and the CLI say instead of reading the models meanwhile."""
        if not self.reading:
            return Message(
                gettext_noop(
                    "The read models have read {done} events of the log; their totals are being"
                    " worked out; try again shortly."
                ),
                done=Count(self.done),
            )
        return Message(
            gettext_noop(
                "The read models are being built from the event log: {percent}% ({done} of"
                " {total} events); try again shortly."
            ),
            percent=self.percent,
            done=Count(self.done),
            total=Count(self.total),
        )


async def building(conn: Any) -> Build | None:
    """How far a bulk catch-up filling the read models (a new store after an import, or a
    rebuild) has got, while it runs; None when none does. Until it ends their tables hold part
    of the log without their indexes, then without their totals and statistics: a read of them
    then scanned whole tables (at 8,000 members a province's figures took 25 s, and for 35 s
    more while the totals were worked out)."""
    held = await conn.fetchrow(_BUILDING, *BUILD_LOCKS)
    if not (held["reading"] or held["totals"]):
        return None
    head = await conn.fetchval("SELECT coalesce(max(notification_id), 0) FROM liaisonoffice_events")
    return Build(await projected(conn, list(MODELS)), int(head), held["reading"])
