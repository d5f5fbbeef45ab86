"""Property: a large unit's state figures read from its steps (`projections.standing`) are the
figures the SQL counts from the facts, on every date on which either could change.

Hypothesis draws fact rows for a few members straight into the facts model's table (so that
same-day closures and exemptions, lifts, due dates, assessments made though none was owed,
liaisons moved between cells and the 2025 merger of two communes all come up), the steps are
built from them, and for each tallied unit, each year and every date around each change the
board's statement (`figures.STEPPED`) is compared with the state figures' SQL (`figures.COUNTS`).
Then the steps are kept again fact by fact (`Standing.save`, the old part out and the new in),
and must be the same rows.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

import psycopg
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from psycopg.rows import dict_row

from domain.organisation import OrganisationTree, Unit, UnitKind
from projections import dashboard, reads, standing
from projections.dashboard import Period
from projections.escalations import Escalations
from projections.facts import FACT_COLUMNS, Facts
from projections.figures import COUNTS
from projections.lists import figure_rows
from projections.model import copy_rows
from projections.standing import OVERDUE_BY_UNIT, STEPPED
from projections.tally import roll_up
from tests.conftest import isolated_schema

START, MERGER = date(2024, 11, 1), date(2025, 7, 1)


def _unit(uid: str, kind: UnitKind, parent: str | None, until: date | None = None) -> Unit:
    since = MERGER if uid in ("XN", "C2") else date(2019, 1, 1)
    successor = "XN" if until else None
    return Unit(id=uid, name=uid, kind=kind, parent_id=parent, valid_from=since,
                valid_until=until, successor_id=successor)  # fmt: skip


TREE = OrganisationTree([
    _unit("P", UnitKind.PROVINCIAL_COMMITTEE, None),
    _unit("D", UnitKind.DISTRICT_COMMITTEE, "P"),
    _unit("X1", UnitKind.COMMUNE_COMMITTEE, "D", until=MERGER),
    _unit("X2", UnitKind.COMMUNE_COMMITTEE, "D", until=MERGER),
    _unit("XN", UnitKind.COMMUNE_COMMITTEE, "P"),
    _unit("C1", UnitKind.RESIDENCE_CELL, "X1", until=MERGER),
    _unit("C2", UnitKind.RESIDENCE_CELL, "XN"),
    _unit("X3", UnitKind.COMMUNE_COMMITTEE, "P"),
    _unit("C3", UnitKind.RESIDENCE_CELL, "X3"),
    _unit("W", UnitKind.WORKPLACE_COMMITTEE, "P"),
    _unit("W2", UnitKind.WORKPLACE_CELL, "D"),
])  # fmt: skip
ROLLS = roll_up(TREE, tally_from=0)
ANCESTORS = ("P", "D", "X1", "XN", "C1", "C3", "W")
"""The units compared: the province, a district, a commune merged away and the one after, cells,
a workplace committee."""
RESIDENCES = ("X1", "X2", "XN", "C1", "C2", "X3", "C3")
LIAISON_KINDS = (
    "referred", "received_commune", "received_cell", "received_cell", "closed", "exempt_act",
    "exempt_act_lifted", "assessment_due", "assessment_due", "assessed", "requested", "provided",
)  # fmt: skip

days = st.integers(0, 30).map(lambda k: START + timedelta(days=20 * k))
fact = st.one_of(
    st.tuples(st.just("registered"), st.none(), st.none(), st.sampled_from(("W", "W2")), days,
              st.none(), st.none(), st.one_of(st.none(), st.integers(0, 3))),
    st.tuples(st.sampled_from(("exempt_intro", "exempt_intro_lifted")), st.none(), st.none(),
              st.sampled_from(("W", "W2")), days, st.none(), st.sampled_from(("a", "b")),
              st.none()),
    st.tuples(st.sampled_from(LIAISON_KINDS), st.integers(0, 1), st.sampled_from(RESIDENCES),
              st.sampled_from(("W", "W2")), days, st.sampled_from((2024, 2025)),
              st.sampled_from(("a", "b")), st.one_of(st.none(), st.integers(0, 3))),
)  # fmt: skip
"""(kind, liaison, residence, workplace, date, year, code, due in steps of 20 days or none)."""
histories = st.lists(st.lists(fact, min_size=1, max_size=12), min_size=1, max_size=4)


RECORDED = datetime(2026, 1, 1, tzinfo=UTC)


def _rows(history: list[list[tuple[Any, ...]]], hours: Sequence[int] = ()) -> list[tuple[Any, ...]]:
    """The fact rows, in a drawn log order (a fact's date need not follow the log), the n-th
    recorded `hours[n]` hours after `RECORDED` (none given: at it)."""
    out = []
    for m, facts in enumerate(history):
        member = UUID(int=m + 1)
        for kind, li, unit, workplace, day, year, code, due in facts:
            liaison = None if li is None else UUID(int=1000 + 10 * m + li)
            due_on = None if due is None else day + timedelta(days=20 * due)
            out.append([0, 0, kind, member, liaison, unit, workplace, day, RECORDED,
                        year, code, due_on])  # fmt: skip
    for nid, row in enumerate(out, start=1):
        row[0] = nid
        row[8] += timedelta(hours=hours[nid - 1] if nid <= len(hours) else 0)
    return [tuple(r) for r in out]


def _dates(rows: list[tuple[Any, ...]]) -> list[date]:
    """Every date on which a figure may change, and the day before."""
    facts = [standing.Fact(r[0], r[2], r[3], r[4], r[5], r[6], r[7], r[9], r[10], r[11])
             for r in rows]  # fmt: skip
    marks = standing._breaks(facts) | {MERGER}
    return sorted({d + timedelta(days=k) for d in marks for k in (-1, 0)})


def _subtree(ancestor: str, day: date) -> list[str]:
    return sorted(
        u
        for u, by in ROLLS.items()
        if any(s <= day and (e is None or day < e) for s, e in by.get(ancestor, ()))
    )


_FUNCTIONS = [
    f"CREATE FUNCTION pg_temp.{name}(text[], date, date, timestamptz, int, text)"
    f" RETURNS TABLE (figure text, code text, n int8) LANGUAGE sql AS $body$ {query} $body$"
    for name, query in (("counted", COUNTS), ("stepped", STEPPED))
]
_EVERY_DAY = (
    "SELECT q.day, q.year, c.figure, c.code, c.n FROM unnest($1::date[], $2::int[], $3::text[])"
    " AS q (day, year, units), LATERAL pg_temp.{name}(string_to_array(q.units, ','),"
    " make_date(q.year, 1, 1), q.day, 'infinity', q.year, $4) c"
)
"""One board's figures on many dates and years, in one statement."""


def _every_day_args(ancestor: str, rows: list[tuple[Any, ...]]) -> tuple[Any, ...]:
    """The parameters of one ancestor's boards on every date around a change, both years."""
    asked = [(d, y) for d in _dates(rows) for y in (2024, 2025)]
    return ([d for d, _ in asked], [y for _, y in asked],
            [",".join(_subtree(ancestor, d)) for d, _ in asked], ancestor)  # fmt: skip


Said = Callable[[Any, str], Awaitable[dict[str, Counter[Any]]]]
"""What one ancestor's boards say, counted from the facts and read from the steps."""


async def _differing(url: str, functions: list[str], said_of: Said) -> list[tuple[Any, ...]]:
    """Each ancestor whose boards the steps and the facts say differently, with the rows only
    the steps say and those only the facts say (`functions`: what `said_of` asks, made first)."""
    conn = await reads.connect(url)
    try:
        for statement in functions:
            await conn.execute(statement)
        wrong = []
        for ancestor in ANCESTORS:
            said = await said_of(conn, ancestor)
            if said["counted"] != said["stepped"]:
                wrong.append((ancestor, said["stepped"] - said["counted"],
                              said["counted"] - said["stepped"]))  # fmt: skip
        return wrong
    finally:
        await conn.close()


async def _compare(url: str, rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Each (unit, date, year, figure, code) whose steps and facts say different counts."""

    async def said_of(conn: Any, ancestor: str) -> dict[str, Counter[Any]]:
        args = _every_day_args(ancestor, rows)
        return {
            name: Counter(
                {
                    (r["day"], r["year"], r["figure"], r["code"]): r["n"]
                    for r in await conn.fetch(_EVERY_DAY.format(name=name), *args)
                    if r["figure"] in standing.FIGURES and r["n"]
                }
            )
            for name in ("counted", "stepped")
        }

    return await _differing(url, _FUNCTIONS, said_of)


_OVERDUE_FUNCTIONS = [
    "CREATE FUNCTION pg_temp.overdue_counted(text[], date, date, timestamptz, int)"
    " RETURNS TABLE (unit_id text, n int8) LANGUAGE sql AS $body$ SELECT x.unit_id, count(*)"
    f" FROM ({figure_rows('assessments_overdue')}) x WHERE x.unit_id IS NOT NULL"
    " GROUP BY x.unit_id $body$",
    "CREATE FUNCTION pg_temp.overdue_stepped(text, int, date)"
    f" RETURNS TABLE (unit_id text, n int8) LANGUAGE sql AS $body$ {OVERDUE_BY_UNIT} $body$",
]
_OVERDUE_EVERY_DAY = (
    "SELECT q.day, q.year, 'counted' AS how, c.unit_id, c.n"
    " FROM unnest($1::date[], $2::int[], $3::text[]) AS q (day, year, units),"
    " LATERAL pg_temp.overdue_counted(string_to_array(q.units, ','), make_date(q.year, 1, 1),"
    " q.day, 'infinity', q.year) c"
    " UNION ALL SELECT q.day, q.year, 'stepped', c.unit_id, c.n"
    " FROM unnest($1::date[], $2::int[]) AS q (day, year),"
    " LATERAL pg_temp.overdue_stepped($4, q.year, q.day) c"
)


async def _compare_overdue(url: str, rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Each (unit, date, year) whose overdue chart (`lists.breakdown`) the steps and the facts
    say differently: the overdue assessments by the unit their list names them under."""

    async def said_of(conn: Any, ancestor: str) -> dict[str, Counter[Any]]:
        said: dict[str, Counter[Any]] = {"counted": Counter(), "stepped": Counter()}
        for r in await conn.fetch(_OVERDUE_EVERY_DAY, *_every_day_args(ancestor, rows)):
            said[r["how"]][r["day"], r["year"], r["unit_id"]] += r["n"]
        return said

    return await _differing(url, _OVERDUE_FUNCTIONS, said_of)


_KNOWN_DAY = (
    "SELECT q.i, c.figure, c.code, c.n FROM unnest($1::date[], $2::int[], $3::text[],"
    " $4::timestamptz[]) WITH ORDINALITY AS q (day, year, units, at, i),"
    " LATERAL pg_temp.{name}(string_to_array(q.units, ','), make_date(q.year, 1, 1), q.day,"
    " q.at, q.year, $5) c"
)
"""Boards on many dates, years and known-at times, in one statement (by the board's number)."""


async def _compare_known(url: str, rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Each (unit, date, year, known-at time) whose steps, less what was recorded after the
    time (`dashboard._recorded_after`), and facts known then say different state figures."""
    conn = await reads.connect(url)
    try:
        for statement in _FUNCTIONS:
            await conn.execute(statement)
        times = sorted({r[8] for r in rows} | {RECORDED - timedelta(hours=1)})
        wrong = []
        for ancestor in ANCESTORS:
            asked = [
                (min(as_of, date(year, 12, 31)), year, at)  # a board's last day counted
                for as_of in _dates(rows)[::2]
                for year in (2024, 2025)
                for at in times
            ]
            args = ([d for d, _, _ in asked], [y for _, y, _ in asked],
                    [",".join(_subtree(ancestor, d)) for d, _, _ in asked],
                    [t for *_, t in asked], ancestor)  # fmt: skip
            said: dict[str, dict[int, Counter[Any]]] = {}
            for name in ("counted", "stepped"):
                said[name] = defaultdict(Counter)
                for r in await conn.fetch(_KNOWN_DAY.format(name=name), *args):
                    if r["figure"] in standing.FIGURES:
                        said[name][r["i"] - 1][r["figure"], r["code"]] += r["n"]
            for i, (day, year, at) in enumerate(asked):
                period = Period(ancestor, day, at, year)
                unknown = await dashboard._recorded_after(
                    conn, period, set(_subtree(ancestor, day)), ancestor, {}
                )
                assert unknown is not None  # a few members: never counted instead
                known = said["stepped"][i].copy()
                for (figure, code, _), n in unknown.items():
                    known[figure, code] -= n
                if +known != +said["counted"][i] or -known:
                    wrong.append((ancestor, day, year, at, known, said["counted"][i]))
        return wrong
    finally:
        await conn.close()


@pytest.fixture(scope="module")
def facts_url(pg_server_url: str) -> Iterator[str]:
    """One schema holding the facts model's tables for every example, each emptying them first
    (a schema made, its tables created, emptied and dropped for each example was most of these
    tests' time)."""
    with isolated_schema(pg_server_url) as url:
        with psycopg.connect(url) as conn:
            for statement in [*Facts().ddl(), *Escalations().ddl()]:  # COUNTS reads escalations
                conn.execute(statement)
        yield url


def _empty(cur: Any, tables: Sequence[str]) -> None:
    """Delete every row (a few dozen: faster than TRUNCATE's new files for each table)."""
    for table in tables:
        cur.execute(f"DELETE FROM {table}")


def _load(url: str, rows: list[tuple[Any, ...]]) -> dict[str, str]:
    model = Facts()
    tables = {t: model.t(t) for t in model.tables}
    with psycopg.connect(url, row_factory=dict_row) as conn, conn.cursor() as cur:
        _empty(cur, list(tables.values()))
        copy_rows(cur, tables["fact"], FACT_COLUMNS, rows)
        standing.Standing().rebuild(cur, tables, len(rows), ROLLS)
    return tables


def _kept_fact_by_fact(url: str, rows: list[tuple[Any, ...]], tables: dict[str, str]) -> None:
    """The steps kept as the facts came, one at a time, from none."""
    with psycopg.connect(url, row_factory=dict_row) as conn, conn.cursor() as cur:
        _empty(cur, [tables[t] for t in ("fact", "fact_step", "fact_cell_step", "fact_step_state")])
        keeper = standing.Standing()
        keeper.rebuild(cur, tables, 0, ROLLS)
        for row in rows:
            copy_rows(cur, tables["fact"], FACT_COLUMNS, [row])
            keeper.save(cur, tables, row[0] - 1, (row[0], row[0]), {row[3]}, (ROLLS, ROLLS), [])


def _table(url: str, table: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2, 3, 4, 5").fetchall()


def _on(k: int) -> date:
    return START + timedelta(days=20 * k)


CLOSED_AFTER_DUE = [[("assessment_due", 0, "C1", "W", _on(0), 2024, None, 1),
                     ("closed", 0, "C1", "W", _on(2), None, None, None)]]  # fmt: skip
"""Closed after the assessment's due date: still due that year."""
EXEMPT_THEN_LIFTED = [[("assessment_due", 0, "C1", "W", _on(0), 2024, None, 2),
                       ("exempt_act", 0, "C1", "W", _on(1), None, "a", None),
                       ("exempt_act_lifted", 0, "C1", "W", _on(3), None, None, None),
                       ("received_cell", 0, "C1", "W", _on(0), None, None, None)]]  # fmt: skip
"""Exempt before the due date and lifted after it: not due; a cell attending again."""
MOVED_CELLS = [[("assessment_due", 0, "C1", "W2", _on(0), 2025, None, 3),
                ("received_cell", 0, "C1", "W2", _on(0), None, None, None),
                ("received_cell", 0, "C3", "W2", _on(12), None, None, None),
                ("assessed", 0, "C3", "W2", _on(13), 2025, None, None),
                ("assessed", 1, "C3", "W", _on(14), 2024, None, None)],
               [("registered", None, None, "W", _on(0), None, None, None),
                ("exempt_intro", None, None, "W", _on(1), None, "a", None),
                ("exempt_intro_lifted", None, None, "W2", _on(2), None, None, None)]]  # fmt: skip
"""A member assessed in the cell they moved to (owed in the old one), an assessment none owed; a
member exempt from introduction at one workplace and lifted at another."""


@example(history=CLOSED_AFTER_DUE)
@example(history=EXEMPT_THEN_LIFTED)
@example(history=MOVED_CELLS)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(history=histories)
def test_the_steps_count_what_the_facts_say_on_every_date(
    facts_url: str, history: list[list[tuple[Any, ...]]]
) -> None:
    rows = _rows(history)
    tables = _load(facts_url, rows)
    assert asyncio.run(_compare(facts_url, rows)) == []
    assert asyncio.run(_compare_overdue(facts_url, rows)) == []
    built = [_table(facts_url, tables[t]) for t in ("fact_step", "fact_cell_step")]
    _kept_fact_by_fact(facts_url, rows, tables)
    assert [_table(facts_url, tables[t]) for t in ("fact_step", "fact_cell_step")] == built


CLOSED_BEFORE_RECEIVED = [[("received_cell", 0, "C1", "W", _on(2), None, None, None),
                           ("closed", 0, "C1", "W", _on(1), None, None, None)]]  # fmt: skip
"""Received in a cell, then a closure dated before it recorded: the cell never had a member."""


@example(history=MOVED_CELLS, hours=[0, 2, 1, 3, 1, 0, 2, 1])
@example(history=CLOSED_BEFORE_RECEIVED, hours=[0, 1])
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(history=histories, hours=st.lists(st.integers(0, 3), max_size=48))
def test_a_board_known_at_a_time_is_its_steps_less_what_was_recorded_after(
    facts_url: str, history: list[list[tuple[Any, ...]]], hours: list[int]
) -> None:
    """As known at each time a fact was recorded (and before any), the steps less the rows that
    the facts recorded later change are the state figures the facts known then say."""
    rows = _rows(history, hours)
    _load(facts_url, rows)
    assert asyncio.run(_compare_known(facts_url, rows)) == []


def test_the_steps_built_on_every_core_are_the_steps_built_in_one_process(
    facts_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bulk catch-up's rebuild folds a large store's members in worker processes (one chunk
    of members at a time, round robin) and adds their parts up: the same rows as one process
    folding them all, whichever process a member's part was worked out in."""
    rng = random.Random(20261205)
    drawn = [
        [(*f[:4], START + timedelta(days=20 * rng.randrange(31)), *f[5:]) for f in member]
        for member in rng.choices(CLOSED_AFTER_DUE + EXEMPT_THEN_LIFTED + MOVED_CELLS
                                  + CLOSED_BEFORE_RECEIVED, k=60)
    ]  # fmt: skip
    rows = _rows(drawn)
    tables = _load(facts_url, rows)
    alone = [_table(facts_url, tables[t]) for t in ("fact_step", "fact_cell_step")]
    assert alone[0]
    assert alone[1]
    monkeypatch.setattr(standing, "CHUNK_MEMBERS", 7)
    monkeypatch.setattr(standing, "SPREAD_FROM", 1)  # all but the first 7 members in workers
    with psycopg.connect(facts_url, row_factory=dict_row) as conn, conn.cursor() as cur:
        standing.Standing().rebuild(cur, tables, len(rows), ROLLS, workers=2)
    assert [_table(facts_url, tables[t]) for t in ("fact_step", "fact_cell_step")] == alone
