"""The members behind each number: by unit, stage, overdue and grade; paged; searchable."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from domain.text import fold
from projections.dashboard import Period, scope, scope_size, subtree_sql
from projections.figures import FIGURES, SHARED, SMALL_SUBTREE, TALLIED_UNIT, TREE_UNITS, within
from projections.liaisons import WALK_FROM
from projections.standing import OVERDUE_BY_UNIT

NOT_REFERRED = "not_referred"
"""The stage listed for a member never referred (registered, or exempt from introduction)."""

_OVERDUE = (
    "(r.liaison_id IN (SELECT liaison_id FROM ({a}) o1) OR r.liaison_id IN"
    " (SELECT liaison_id FROM ({b}) o2))"
).format(a=FIGURES["assessments_overdue"], b=FIGURES["requests_overdue"])

_STAGE = (
    "coalesce((SELECT t.stage_after FROM timeline t WHERE t.liaison_id = r.liaison_id"
    " AND t.effective_date <= $3 AND t.recorded_at <= $4 ORDER BY t.version DESC LIMIT 1),"
    " (SELECT t.stage_after FROM timeline t WHERE r.liaison_id IS NULL"
    " AND t.member_id = r.member_id AND t.effective_date <= $3 AND t.recorded_at <= $4"
    f" ORDER BY t.effective_date DESC, t.notification_id DESC LIMIT 1), '{NOT_REFERRED}')"
)
"""The stage of the row's liaison then; for a row naming only a member, their latest liaison's
(closed, say), or `not_referred` when they had none."""


@dataclass(frozen=True)
class ListQuery:
    """Which list, narrowed how, and which page."""

    figure: str
    stage: str | None = None
    overdue: bool | None = None
    code: str | None = None
    name: str | None = None
    page: int = 1
    page_size: int = 50
    peek: bool = False  # one row more than the page when there is one: "is there a next page?"


def _figure(figure: str) -> str:
    """The figure's SQL (`projections.figures.FIGURES`); refuses an unknown one."""
    if figure not in FIGURES:
        raise ValueError(f"unknown figure {figure!r}; one of {', '.join(FIGURES)}")
    return FIGURES[figure]


_NAMED = (
    "r.member_id, r.liaison_id, r.unit_id, r.code, m.name, m.party_card_number,"
    " coalesce(l.workplace_unit_id, m.workplace_unit_id) AS workplace_unit_id,"
    " l.commune_id, l.cell_id, m.name_folded"
)
"""A row behind a figure with its member's name, card and places."""


def _named(figure: str) -> str:
    """The rows behind a figure, each with `_NAMED` ($1..$5; `SHARED` goes before).

    Each row's member and liaison are looked up by key (a lateral read of one row, which
    PostgreSQL does not turn into a join): for a figure with few rows among many it estimated
    tens of thousands and hashed every member and liaison of the store to join them (at 300,000
    members, the assessments outstanding: 3,362 rows estimated at 90,522, 0.4 s of the page's
    1.5 s hashing 300,000 members and 188,193 liaisons)."""
    return (
        f"SELECT {_NAMED} FROM ({_figure(figure)}) r"
        " LEFT JOIN LATERAL (SELECT m.name, m.party_card_number, m.workplace_unit_id,"
        " m.name_folded FROM member m WHERE m.member_id = r.member_id LIMIT 1) m ON true"
        " LEFT JOIN LATERAL (SELECT l.workplace_unit_id, l.commune_id, l.cell_id FROM liaison l"
        " WHERE l.liaison_id = r.liaison_id LIMIT 1) l ON true"
        " WHERE $2::date IS NOT NULL AND $5::int IS NOT NULL"  # every parameter typed
    )


_STAGED = f"{_STAGE} AS stage, {_OVERDUE} AS overdue"
_NARROWED = (
    " AND ($8::text IS NULL OR x.code = $8)"
    " AND ($9::text IS NULL OR x.name_folded LIKE '%' || $9 || '%')"
)
_PAGE = " ORDER BY {x}.name_folded NULLS LAST, {x}.member_id, {x}.liaison_id, {x}.unit_id, {x}.code"
"""A list's order: by name, then by what each row says (rows alike in all of it are alike on the
page, so each page holds the same rows whichever way PostgreSQL reads them: a member's
attendances at two meetings, present and absent, were each on both pages or neither)."""


def _page(figure: str, staged: bool) -> str:
    """One page ($10 rows after $11) of the rows behind a figure by name, with each row's stage
    and whether it is overdue ($1..$5 the figure's parameters, then $6 stage, $7 overdue, $8
    code, $9 letters of the name).

    Exactly the rows the figure counts: a list narrows them only by what its reader asks for
    (stage, overdue, code, name), never by another reading of the board's units. Narrowed by
    stage or overdue (`staged`), every row's are worked out first; otherwise only the page's,
    after it is chosen (a province's 300,000 members in scope: a look-up in the timeline and the
    overdue sets for each row took 3.3 of 5.7 s)."""
    if staged:
        return (
            f"{SHARED} SELECT * FROM (SELECT r.*, {_STAGED} FROM ({_named(figure)}) r) x"
            " WHERE ($6::text IS NULL OR x.stage = $6) AND ($7::bool IS NULL OR x.overdue = $7)"
            f"{_NARROWED}{_PAGE.format(x='x')} LIMIT $10 OFFSET $11"
        )
    return (
        f"{SHARED} SELECT r.*, {_STAGED} FROM (SELECT x.* FROM ({_named(figure)}) x"
        f" WHERE $6::text IS NULL AND $7::bool IS NULL"  # typed, and NULL in this form
        f"{_NARROWED}{_PAGE.format(x='x')}"
        f" LIMIT $10 OFFSET $11) r{_PAGE.format(x='r')}"
    )


def figure_rows(figure: str) -> str:
    """The rows a figure counts ($1..$5), as they are."""
    return (
        f"{SHARED} SELECT r.* FROM ({_figure(figure)}) r"
        " WHERE $2::date IS NOT NULL AND $5::int IS NOT NULL"  # every parameter typed
    )


async def members_behind(conn: Any, period: Period, query: ListQuery) -> list[dict[str, Any]]:
    """One page of the rows behind a figure, with each member's name, card and stage then.

    A page of a subtree holding most of the tree is found by walking its members by name
    (`_walk`), when its figure's rows each name a member; else every row is worked out."""
    sql, args, walkable = await _statement(conn, period, query)
    skip, size = (query.page - 1) * query.page_size, query.page_size + query.peek
    walked = await _walk(conn, _walked(sql), args, skip, size) if walkable else None
    rows = walked if walked is not None else await conn.fetch(sql, *args, size, skip)
    return _shown(rows)


async def every_member_behind(
    conn: Any, period: Period, query: ListQuery
) -> AsyncIterator[list[dict[str, Any]]]:
    """Every row behind a figure (an export), in the list's order, `query.page_size` at a time:
    one statement read through a cursor, in the caller's transaction (repeatable read, so that
    what it reads is one snapshot).

    Page after page, each page past the walk's reach worked every row out again: a province's
    members in scope at 50,000 members, 50 pages of 1,000, took 26 s; read by one statement
    1.4 s, walking the members a stretch at a time 3.5–4.3 s."""
    sql, args, _ = await _statement(conn, period, query)
    cursor = await conn.cursor(sql, *args, None, 0)  # LIMIT NULL: every row
    while rows := await cursor.fetch(query.page_size):
        yield _shown(rows)


def _shown(rows: list[Any]) -> list[dict[str, Any]]:
    return [{k: v for k, v in dict(r).items() if k != "name_folded"} for r in rows]


async def _statement(
    conn: Any, period: Period, query: ListQuery
) -> tuple[str, tuple[Any, ...], bool]:
    """A list's page statement for its subtree ($10 rows after $11 more), its first arguments,
    and whether its rows may be found by walking the members (`_walk`)."""
    tree = int(await conn.fetchval(TREE_UNITS))
    units = await scope_size(conn, period.unit_id, period.end, tree)
    staged = query.stage is not None or query.overdue is not None
    args = (
        *period.args(period.unit_id),
        query.stage,
        query.overdue,
        query.code,
        fold(query.name) if query.name else None,
    )
    walkable = query.figure not in UNWALKED and units > max(SMALL_SUBTREE, WALK_FROM * tree)
    return within(_page(query.figure, staged), units, tree), args, walkable


UNWALKED = frozenset(
    {"cells_attending", "cells_assessing", "cells_assessed", "meetings_held", "escalations_open"}
)
"""Figures whose rows are not found by walking the members: they name cells or meetings, not
members, or are read from the escalations (few)."""
WALK_SPREAD = 2
WALK_FIRST = 100
"""The members the first step of a walk takes: `WALK_SPREAD` a row it is to find, and
`WALK_FIRST` more (a province's members in scope: nearly one row a member)."""
WALK_MOST = 20_000
"""Members a walk goes through at most before every row is worked out instead (a figure with few
rows among many members: the late referrals)."""
_FACTS = "FROM fact f WHERE "
_WALKED = (
    "WITH walked AS MATERIALIZED (SELECT member_id FROM member WHERE ($12::text IS NULL"
    " OR (name_folded, member_id) > ($12::text, $13::uuid))"
    " ORDER BY name_folded, member_id LIMIT $14), "
)
"""The $14 members after the one named $12, $13 (NULL: from the first), by name."""
_BOUND = (
    "SELECT name_folded, member_id FROM member WHERE ($1::text IS NULL"
    " OR (name_folded, member_id) > ($1::text, $2::uuid))"
    " ORDER BY name_folded, member_id OFFSET $3 LIMIT 1"
)
"""The member $3 places after the one named $1, $2 (NULL: from the first), by name."""


def _walked(sql: str) -> str:
    """A page's statement (`_page`, in its subtree's form) with every fact it reads narrowed to
    the members `_WALKED` names, each looked up by member (`fact_member`: an array, of which
    PostgreSQL expects a few elements, where it scanned each kind's facts to hash-join them to a
    set of members)."""
    narrowed = sql.replace(
        _FACTS, f"{_FACTS}f.member_id = ANY(ARRAY(SELECT member_id FROM walked)) AND "
    )
    return narrowed.replace("WITH ", _WALKED, 1)


async def _walk(
    conn: Any, sql: str, args: tuple[Any, ...], skip: int, size: int
) -> list[Any] | None:
    """The `size` rows after the first `skip` found by walking the members by name (in one
    snapshot: `_walked_in`), or None when the walk would go through more than `WALK_MOST`
    members: then every row is worked out instead."""
    if conn.is_in_transaction():
        return await _walked_in(conn, sql, args, skip, size)
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        return await _walked_in(conn, sql, args, skip, size)


async def _walked_in(
    conn: Any, sql: str, args: tuple[Any, ...], skip: int, size: int
) -> list[Any] | None:
    """`_walk`, a stretch of members at a time (`_walked`'s statement on each).

    A province's members in scope, the first page of 200 at 300,000 members, took 2.8–3.0 s with
    every row worked out (800,000 facts made one a member, each named, then sorted by name).
    The rows of a stretch of members come before those of the next (`_PAGE` orders by name and
    member first), and a row naming a member the facts model has not recorded sorts last, after
    every stretch: so the rows walked are those of the page. Each stretch's end is read apart
    from its rows, so both are read in one snapshot: a member recorded between the two reads
    would have taken the place of the stretch's last, whose rows no stretch would then hold."""
    found: list[Any] = []
    after: tuple[str | None, Any] = (None, None)
    members, walked = WALK_SPREAD * (skip + size) + WALK_FIRST, 0
    while walked + members <= WALK_MOST:
        last = await conn.fetchrow(_BOUND, *after, members - 1)
        if last is None:  # fewer members left than the stretch: rows naming none sort after
            return None
        wanted = skip + size - len(found)
        rows = await conn.fetch(sql, *args, wanted, 0, *after, members)
        if len(rows) == wanted:
            return (found + list(rows))[skip:]
        found.extend(rows)
        after, walked = tuple(last), walked + members
        # twice as many, or as many as the rows found so far say it takes, eight times when none:
        # a few stretches at most (a page of 200: 502 members, then 4,016 when none were found)
        rest = skip + size - len(found)
        members = (
            max(2 * members, rest * WALK_SPREAD * walked // len(found)) if found else 8 * members
        )
    return None


async def breakdown(conn: Any, period: Period, figure: str) -> dict[str, int]:
    """How many rows behind a figure fall on each unit of the subtree (the unit of each row of
    its list): read from the figure's own rows, not from the list's, which work out for every
    row its stage (a look-up in the timeline) and whether it is overdue (the rows of two more
    figures), a WITH query keeping PostgreSQL from leaving out the columns nobody reads. A large
    unit's overdue assessments are read from the steps the facts model keeps of them per unit
    (`projections.standing.OVERDUE`)."""
    if figure == "assessments_overdue" and period.known_at is None:
        tallied = await conn.fetchrow(TALLIED_UNIT, period.unit_id, period.end)
        if tallied is not None and tallied["stepped"] and tallied["version_3"]:
            rows = await conn.fetch(
                OVERDUE_BY_UNIT, tallied["ancestor_id"], period.the_year, period.end
            )
            return {str(r["unit_id"]): int(r["n"]) for r in rows}
    units = await scope(conn, period.unit_id, period.end)
    sql = (
        f"SELECT x.unit_id AS key, count(*) AS n FROM ({figure_rows(figure)}) x"
        " WHERE x.unit_id IS NOT NULL GROUP BY x.unit_id ORDER BY x.unit_id"
    )
    rows = await conn.fetch(await subtree_sql(conn, sql, units), *period.args(units))
    return {str(r["key"]): int(r["n"]) for r in rows}
