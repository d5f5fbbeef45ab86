"""Property: a large unit's stage funnel read from its steps (`projections.stages`) is the funnel
the timeline counts (`liaisons.COUNTED`), on every date on which either could change.

Hypothesis draws liaisons (a workplace, a commune and a cell that may change from version to
version, and versions effective on dates that need not follow their order, each leaving a stage),
writes their timeline rows and their liaison rows straight into the tables, builds the steps, and
for each tallied unit of the tree of `test_projections_standing` (the 2025 merger of two
communes included) and every date around each change compares the two statements. Then the steps
are kept again version by version (`Stages.save`, the old part out and the new in), and must be
the same rows; and a tree that changes (the merger recorded later) moves the steps of the unit
ids it moves.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

import psycopg
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from psycopg.rows import dict_row

from domain.organisation import OrganisationTree
from domain.state import Stage
from projections import reads
from projections.dashboard import FAR_FUTURE
from projections.facts import Facts
from projections.liaisons import COUNTED
from projections.model import copy_rows
from projections.stages import NOTHING, STEPPED, Part, Stages, advanced
from projections.tally import changed, roll_up
from projections.timeline import COLUMNS as TIMELINE_COLUMNS
from projections.timeline import Timeline
from tests.conftest import isolated_schema
from tests.integration.test_projections_standing import ANCESTORS, MERGER, ROLLS, START, TREE
from tests.integration.test_projections_standing import _subtree as subtree

RECORDED = datetime(2026, 1, 1, tzinfo=UTC)
STAGES = [s.value for s in Stage]
BEFORE_MERGER = roll_up(
    OrganisationTree(
        u.model_copy(update={"valid_until": None, "successor_id": None})
        for u in TREE
        if u.id not in ("XN", "C2")
    ),
    tally_from=0,
)
"""The roll-up while the merger was not yet recorded: X1 and C1 go on, XN and C2 do not exist."""

days = st.integers(0, 30).map(lambda k: START + timedelta(days=20 * k))
version = st.tuples(days, st.sampled_from(STAGES), st.sampled_from((None, "C1", "C2", "C3")))
liaison = st.tuples(
    st.sampled_from(("W", "W2")),
    st.sampled_from(("X1", "X2", "XN", "X3")),
    st.lists(version, min_size=1, max_size=6),
)
histories = st.lists(liaison, min_size=1, max_size=5)

Drawn = list[tuple[str, str, list[tuple[date, str, str | None]]]]


def _timeline(history: Drawn) -> list[tuple[Any, ...]]:
    rows = []
    for k, (_, _, versions) in enumerate(history):
        for v, (day, stage, _) in enumerate(versions, start=1):
            rows.append((UUID(int=k + 1), UUID(int=1000 + k), v, 10 * k + v, "x", day, RECORDED,
                         None, None, None, stage, None, False))  # fmt: skip
    return rows


def _changes(history: Drawn) -> Iterator[tuple[Any, tuple[Part, Part]]]:
    """Each version in turn, as the facts model sees it: the liaison's part before and after."""
    for k, (workplace, commune, versions) in enumerate(history):
        part = NOTHING
        for day, stage, cell in versions:
            now = (workplace, commune, cell), advanced(part[1], day, stage)
            yield UUID(int=1000 + k), (part, now)
            part = now


def _liaisons(history: Drawn) -> list[tuple[Any, ...]]:
    last: dict[Any, Part] = {}
    for liaison_id, (_, now) in _changes(history):
        last[liaison_id] = now
    return [
        (i, UUID(int=i.int - 999), *units, [], [d for d, _ in segments], [s for _, s in segments])
        for i, (units, segments) in last.items()
    ]


def _dates(history: Drawn) -> list[date]:
    marks = {day for _, _, versions in history for day, _, _ in versions} | {MERGER}
    return sorted({d + timedelta(days=k) for d in marks for k in (-1, 0)})


async def _compare(url: str, history: Drawn) -> list[tuple[Any, ...]]:
    """Each (unit, date) whose steps and timeline say a different funnel."""
    conn = await reads.connect(url)
    try:
        wrong = []
        for ancestor in ANCESTORS:
            for day in _dates(history):
                counted = {
                    r["stage"]: r["n"]
                    for r in await conn.fetch(COUNTED, subtree(ancestor, day), day, FAR_FUTURE)
                }
                stepped = {r["stage"]: r["n"] for r in await conn.fetch(STEPPED, ancestor, day)}
                if counted != stepped:
                    wrong.append((ancestor, day, counted, stepped))
        return wrong
    finally:
        await conn.close()


@pytest.fixture(scope="module")
def stages_url(pg_server_url: str) -> Iterator[str]:
    """One schema for every example, each emptying the tables first."""
    with isolated_schema(pg_server_url) as url:
        with psycopg.connect(url) as conn:
            for statement in [*Facts().ddl(), *Timeline().ddl()]:
                conn.execute(statement)
        yield url


TABLES = {t: t for t in ("liaison", "timeline", "stage_step", "stage_step_state")}


def _empty(cur: Any, tables: Sequence[str]) -> None:
    for table in tables:
        cur.execute(f"DELETE FROM {table}")


def _load(url: str, history: Drawn) -> None:
    with psycopg.connect(url, row_factory=dict_row) as conn, conn.cursor() as cur:
        _empty(cur, list(TABLES))
        copy_rows(cur, "timeline", TIMELINE_COLUMNS, _timeline(history))
        for row in _liaisons(history):
            cur.execute(
                "INSERT INTO liaison (liaison_id, member_id, workplace_unit_id, commune_id,"
                " cell_id, due_years, stage_days, stages) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                row,
            )
        Stages().rebuild(cur, TABLES, 1, ROLLS)


def _steps(url: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT * FROM stage_step ORDER BY 1, 2, 3").fetchall()


def _kept_version_by_version(url: str, history: Drawn) -> None:
    """The steps kept as the versions came, one at a time, from none (the liaison rows, which
    `save` reads only for moved units, stay as loaded)."""
    with psycopg.connect(url, row_factory=dict_row) as conn, conn.cursor() as cur:
        _empty(cur, ["stage_step", "stage_step_state"])
        cur.execute("INSERT INTO stage_step_state VALUES (0)")  # kept from the first event
        keeper = Stages()
        for position, (liaison_id, change) in enumerate(_changes(history)):
            keeper.save(cur, TABLES, position, position + 1, {liaison_id: change}, (ROLLS,) * 2, [])


OUT_OF_ORDER = [("W", "X1", [(START + timedelta(days=200), "referred", None),
                             (START + timedelta(days=100), "received_by_commune", "C1"),
                             (START + timedelta(days=300), "attending", "C1")])]  # fmt: skip
"""A version effective before the one before it: the funnel follows the later version from its
date on, the earlier stage never returns."""
MOVED_INTO_MERGED = [("W2", "X1", [(START, "referred", None),
                                   (MERGER + timedelta(days=20), "attending", "C2")]),
                     ("W", "X3", [(START, "closed", "C3")])]  # fmt: skip
"""A liaison whose cell is one the merger made (counted under XN from its start, under D never
after the merger), and a liaison closed from the first."""


@example(history=OUT_OF_ORDER)
@example(history=MOVED_INTO_MERGED)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(history=histories)
def test_the_funnel_s_steps_count_what_the_timeline_says_on_every_date(
    stages_url: str, history: Drawn
) -> None:
    _load(stages_url, history)
    assert asyncio.run(_compare(stages_url, history)) == []
    built = _steps(stages_url)
    _kept_version_by_version(stages_url, history)
    assert _steps(stages_url) == built


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(history=histories)
def test_a_change_of_the_tree_moves_the_steps_of_the_units_it_moves(
    stages_url: str, history: Drawn
) -> None:
    _load(stages_url, history)
    built = _steps(stages_url)
    with psycopg.connect(stages_url, row_factory=dict_row) as conn, conn.cursor() as cur:
        keeper = Stages()
        keeper.rebuild(cur, TABLES, 1, BEFORE_MERGER)
        keeper.save(cur, TABLES, 1, 2, {}, (BEFORE_MERGER, ROLLS), changed(BEFORE_MERGER, ROLLS))
    assert _steps(stages_url) == built


def test_a_version_truncates_the_stages_after_its_date() -> None:
    first, second, third = START, START + timedelta(days=10), START + timedelta(days=20)
    segments = advanced(advanced((), second, "referred"), third, "attending")
    assert advanced(segments, first, "closed") == ((first, "closed"),)
    assert advanced(segments, third, "attending") == segments
    assert advanced(segments, third, "assessed") == ((second, "referred"), (third, "assessed"))
