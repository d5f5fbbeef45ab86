"""The board's work lists: the liaisons touching a subtree, their stages then, the meetings held."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Collection
from datetime import date, datetime
from typing import Any
from uuid import UUID

from asyncpg.exceptions import UndefinedTableError

from domain.state import LiaisonState, Stage
from domain.worklist import GROUPED_BY_SUBJECT
from projections.ancestry import in_force, rolling_into, subtree
from projections.dashboard import FAR_FUTURE, Period, scope, scope_size
from projections.figures import SMALL_SUBTREE, TREE_UNITS, for_subtree
from projections.stages import STEPPED, STEPPED_UNIT

_UNITS = "(SELECT unnest($1::text[]))"
_CONCERNS = (
    f"(l.workplace_unit_id IN {_UNITS} OR l.commune_id IN {_UNITS} OR l.cell_id IN {_UNITS})"
)
"""Liaison `l` concerns one of the units $1 (a hashed set: see `projections.figures.SHARED`)."""
_BEGUN = (
    "EXISTS (SELECT 1 FROM timeline t WHERE t.liaison_id = l.liaison_id"
    " AND t.effective_date <= $2 AND t.recorded_at <= $3)"
)
"""Liaison `l` had begun by the date $2 as known at $3."""
_TOUCHING = f"{_CONCERNS} AND {_BEGUN}"
"""Liaison `l` concerns one of the units $1 and had begun by the date $2 as known at $3."""
_WITHIN = (
    f"EXISTS ({rolling_into('$1')} AND a.unit_id IN (l.workplace_unit_id, l.commune_id,"
    f" l.cell_id)) AND {_BEGUN}"
)
"""The same of the subtree of the unit $1 in force on $2 (`ancestry.in_force`), each liaison's
units looked up in it: a condition PostgreSQL can test row by row while it walks a province's
members by name (a province's set of unit ids, tested row by row, it costs as if built for every
row). The unit is a parameter, not a sub-query, so that the planner knows how much rolls into it."""

_STAGE_THEN = (
    "(SELECT t.stage_after FROM timeline t WHERE t.liaison_id = l.liaison_id"
    " AND t.effective_date <= $2 AND t.recorded_at <= $3 ORDER BY t.version DESC LIMIT 1)"
)


def _bounds(period: Period) -> tuple[date, datetime]:
    return period.as_of, period.known_at or FAR_FUTURE


async def stages(conn: Any, period: Period) -> dict[str, int]:
    """How many liaisons of the subtree stood at each stage on the period's date: a large unit's
    from the steps the facts model keeps (`projections.stages`), others counted."""
    if period.known_at is None and period.as_of == period.end:
        try:
            ancestor = await conn.fetchval(STEPPED_UNIT, period.unit_id, period.end)
        except UndefinedTableError:  # a store whose facts model is from before the steps
            ancestor = None
        if ancestor is not None:
            rows = await conn.fetch(STEPPED, ancestor, period.end)
            return {str(r["stage"]): int(r["n"]) for r in rows}
    return await counted_stages(conn, period)


async def counted_stages(conn: Any, period: Period) -> dict[str, int]:
    """`stages` counted from each liaison's timeline."""
    units = await scope(conn, period.unit_id, period.end)
    rows = await conn.fetch(for_subtree(COUNTED, units, _UNITS), units, *_bounds(period))
    return {str(r["stage"]): int(r["n"]) for r in rows}


# A liaison not begun by then has no stage then: the lateral join drops it, and each liaison is
# looked up once (a filter on the scalar stage made PostgreSQL look twice).
COUNTED = (
    "SELECT s.stage_after AS stage, count(*) AS n FROM liaison l CROSS JOIN LATERAL"
    " (SELECT t.stage_after FROM timeline t WHERE t.liaison_id = l.liaison_id"
    " AND t.effective_date <= $2 AND t.recorded_at <= $3 ORDER BY t.version DESC LIMIT 1) s"
    f" WHERE {_CONCERNS} GROUP BY s.stage_after"
)
"""The funnel of the liaisons concerning the units $1 on $2 as known at $3, from the timeline."""


async def latest_states(
    conn: Any, period: Period, among: Collection[UUID] | None = None
) -> list[LiaisonState]:
    """The latest recorded state of every liaison of the subtree that had begun by the date
    (of those `among` only, when given), parsed on a worker thread: a province's hundreds of
    thousands take seconds of CPU, which on the event loop would hold every other request of the
    board waiting."""
    rows = await state_rows(conn, period, among)
    return await asyncio.to_thread(
        lambda: [LiaisonState.model_validate_json(r["state"]) for r in rows]
    )


async def state_rows(conn: Any, period: Period, among: Collection[UUID] | None = None) -> list[Any]:
    """`latest_states`' rows, each state as JSON text."""
    units = await scope(conn, period.unit_id, period.as_of)
    only = "" if among is None else " AND l.liaison_id = ANY($4::uuid[])"
    sql = (
        "SELECT s.state::text AS state FROM liaison l JOIN facts_state s USING (liaison_id)"
        f" WHERE {_TOUCHING}{only} ORDER BY l.liaison_id"
    )
    args = (units, *_bounds(period), *(() if among is None else (list(among),)))
    return list(await conn.fetch(for_subtree(sql, units, _UNITS), *args))


_OPEN_ROWS = (
    "SELECT l.member_id, m.name, l.liaison_id, l.workplace_unit_id,"
    " l.commune_id AS residence_commune_id, l.cell_id, l.stages[cardinality(l.stages)] AS stage"
    " FROM liaison l JOIN member m USING (member_id) WHERE {touching}"
    f" AND l.stages[cardinality(l.stages)] <> '{Stage.CLOSED.value}'{{after}}"
    ' ORDER BY m.name COLLATE "C", l.liaison_id LIMIT $4'
)
"""The first $4 (NULL: all) liaisons `latest_states` reads that are not closed, each as a list
row (its member, units and stage now: the last of its stages, which its latest version left it
in), by name in code point order as Python sorts, then id; {touching}: of the subtree, as
`_TOUCHING` or `_WITHIN` says it; {after}: those after a row."""
_AFTER = (
    ' AND (m.name COLLATE "C", l.liaison_id) > ($5::text COLLATE "C", $6::uuid)'
    ' AND m.name COLLATE "C" >= $5::text COLLATE "C"'  # where a walk by name starts
)


WALK_FROM = 0.5
"""The share of the tree's units above which a page of open liaisons walks the members by name
(at 150,000 members the province's first page took 0.80 s found through its 14,438 unit ids and
sorted, 0.08 s walked; a commune's page walked would read most of the province's members)."""


async def open_rows(
    conn: Any, period: Period, first: int | None = None, after: tuple[str, UUID] | None = None
) -> list[dict[str, Any]]:
    """The liaisons of the subtree begun by the date that are not closed, each as a list row,
    read from the facts model's columns (parsing a province's states took seconds of CPU): the
    `first` of them (all when None), after the row of that name and liaison id if given.

    A page of a subtree holding most of the tree walks its members by name and stops at the
    page's end; a smaller subtree's liaisons are found through their units and sorted."""
    tree = int(await conn.fetchval(TREE_UNITS))
    walked = int(WALK_FROM * tree)
    after_sql = _AFTER if after else ""
    subject: str | list[str]
    if first is not None and await scope_size(conn, period.unit_id, period.as_of, walked) > walked:
        # the subtree's ids are not fetched: the statement looks each liaison's units up
        sql = _OPEN_ROWS.format(touching=_WITHIN, after=after_sql)
        subject = await conn.fetchval(in_force(), period.unit_id, period.as_of)
    else:
        subject = await scope(conn, period.unit_id, period.as_of)
        sql = for_subtree(
            _OPEN_ROWS.format(touching=_TOUCHING, after=after_sql), subject, _UNITS, tree=tree
        )
    args = (subject, *_bounds(period), first, *(after or ()))
    return [dict(r) for r in await conn.fetch(sql, *args)]


_OVERDUE = (
    "SELECT k.step, min(k.kind) AS kind, k.unit_id, k.due_on, {subject} AS subject,"
    " min(k.opens_on) AS first_opened, count(DISTINCT k.member_id) AS count,"
    ' (array_agg(k.member_id ORDER BY k.member_name COLLATE "C", k.member_id::text))[:$4]'
    ' AS ids, (array_agg(k.member_name ORDER BY k.member_name COLLATE "C",'
    " k.member_id::text))[:$4] AS names, count(*) OVER () AS lines"
    " FROM task k"
    f" WHERE (k.workplace_unit_id IN {_UNITS} OR k.commune_id IN {_UNITS} OR k.cell_id IN {_UNITS})"
    " AND k.opens_on <= $2 AND k.due_on < $2 AND ($3::timestamptz IS NULL OR EXISTS (SELECT 1"
    " FROM timeline t WHERE t.liaison_id = k.liaison_id AND t.effective_date <= $2"
    " AND t.recorded_at <= $3))"
    " GROUP BY k.step, k.unit_id, k.due_on, 5"
    ' ORDER BY k.due_on, k.unit_id COLLATE "C", k.step COLLATE "C" LIMIT $5'
).format(
    subject="CASE WHEN k.kind IN ({}) THEN k.subject ELSE '' END".format(
        ", ".join(f"'{kind.value}'" for kind in GROUPED_BY_SUBJECT)
    )
)
"""The steps overdue on $2 of the liaisons that concern one of the units $1 and had begun by
then as known at $3 (the liaisons `latest_states` reads), by step, unit, due date (and year, for
`GROUPED_BY_SUBJECT`), each with its first $4 members by name (in code point order, as Python
sorts; twice as many are read, for a member with two liaisons in one group): the first $5 of
those lines, each with the number of lines in all.

$3 NULL: as things stand, where a step open by $2 says its liaison had begun by then. A step
opens on the date of one of its liaison's own events (referred, received, met, assessed,
requested, resumed, closed: `domain.deadlines`), or on an assessment window's first day, after
the cell's receipt; each event is a version of the timeline dated so. Not looking it up halves a
province's home (at 300,000 members 10,877 lines of 11,557 steps: 140-150 -> 69 ms). While the
timeline model is behind the facts model (a rebuild of it alone), such a home lists the steps of
liaisons it has not yet recorded, where the states' worklist leaves them out until it has."""


_OVERDUE_MANY = f"WITH board_unit AS MATERIALIZED ({subtree()}) " + _OVERDUE.replace(
    _UNITS, "(SELECT unit_id FROM board_unit)"
)
"""`_OVERDUE` for a large subtree, found by the statement: $1 the unit, $2 the date."""


async def overdue_steps(
    conn: Any, period: Period, shown: int, lines: int
) -> tuple[list[dict[str, Any]], int] | None:
    """The steps overdue on the period's date across the liaisons of the subtree, from the steps
    the facts model keeps (`projections.tasks`), as the worklist lists them: the steps
    `domain.worklist.open_tasks` works out from `latest_states`, when the policy in force then
    is the one they were worked out under (the caller checks). The first `lines` lines, each
    with its first `shown` members, and how many lines there are in all (a province's home
    draws fifty of its thousands). None while the steps are not kept (a bulk catch-up under
    way)."""
    if await conn.fetchval("SELECT to_regclass('task_state')") is None:
        return None  # a store the facts model has not folded since the steps were added
    if not await conn.fetchval("SELECT EXISTS (SELECT FROM task_state)"):
        return None
    if await scope_size(conn, period.unit_id, period.as_of, SMALL_SUBTREE) > SMALL_SUBTREE:
        subject: str | list[str] = period.unit_id  # found by the statement: thousands of ids
        query = _OVERDUE_MANY
    else:
        subject = await scope(conn, period.unit_id, period.as_of)
        query = for_subtree(_OVERDUE, subject, _UNITS)
    found = await conn.fetch(query, subject, period.as_of, period.known_at, 2 * shown, lines)
    first = [
        {**r, "members": list(dict.fromkeys(zip(r["ids"], r["names"], strict=True)))[:shown]}
        for r in found
    ]
    return first, found[0]["lines"] if found else 0


async def meetings(conn: Any, period: Period) -> list[dict[str, Any]]:
    """The meetings held by the subtree's cells in the period, with attendance counted by kind."""
    units = await scope(conn, period.unit_id, period.end)
    rows = await conn.fetch(
        "SELECT originator_id, effective_date, details::text AS details FROM audit_event"
        " WHERE event = 'MeetingHeld' AND details->>'cell_id' = ANY($1)"
        " AND effective_date BETWEEN $2 AND $3 AND recorded_at <= $4"
        " ORDER BY effective_date, notification_id",
        units,
        period.start,
        period.end,
        period.known_at or FAR_FUTURE,
    )
    out = []
    for r in rows:
        details = json.loads(r["details"])
        out.append(
            {
                "meeting_id": r["originator_id"],
                "cell_id": details["cell_id"],
                "held_on": r["effective_date"],
                "ad_hoc": bool(details.get("ad_hoc")),
                "attendance": dict(Counter(a["attendance"] for a in details["attendance"])),
            }
        )
    return out
