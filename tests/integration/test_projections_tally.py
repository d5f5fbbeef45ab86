"""A large unit's one-fact figures read from its tally (`projections.tally`) are the figures the
facts give, on every date, across the 2025 merger, however the projector batched the events."""

from __future__ import annotations

import threading
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

import psycopg
import pytest

from application.office import LiaisonOffice
from domain.errors import UnknownUnit
from projections import (
    apart,
    cores,
    dashboard,
    facts,
    liaisons,
    lists,
    reads,
    runner,
    stages,
    standing,
    tally,
    tasks,
)
from projections import figures as figure_sql
from projections.catalog import MODELS, all_models
from projections.dashboard import Period, figures
from projections.dashboard import dashboard as inspection
from projections.facts import Facts
from projections.figures import TALLIED_UNIT
from projections.log import EVENTS_TABLE
from projections.runner import Projector
from projections.stages import STEPPED_UNIT
from projections.standing import unknown_rows
from projections.units import Units
from tests.integration import province as pv
from tests.integration.test_projections_dashboard import record
from workers.bootstrap import persistence_env
from workers.province import demo

DAYS = (date(2019, 6, 30), date(2019, 12, 31), date(2020, 12, 31), date(2025, 6, 30),
        date(2025, 12, 31))  # fmt: skip
EVERYTHING_KNOWN = datetime(9000, 1, 1, tzinfo=UTC)
"""A known-at time after every record: the same figures, counted from the facts."""


async def _tallied_and_counted(url: str, units: list[str]) -> list[tuple[Any, ...]]:
    """For each unit and date: whether it read a tally and steps, its figures, the figures
    counted."""
    conn = await reads.connect(url)
    try:
        out = []
        for unit in units:
            for day in DAYS:
                try:
                    read = (await figures(conn, Period(unit, day))).summary()
                except UnknownUnit:
                    continue
                counted = (await figures(conn, Period(unit, day, EVERYTHING_KNOWN))).summary()
                tallied = await conn.fetchrow(TALLIED_UNIT, unit, day)
                used = tallied is not None and tallied["stepped"]
                out.append((unit, day, used, read, counted | {"known_at": None}))
        return out
    finally:
        await conn.close()


def _differences(answers: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Each figure that its tally and its facts give differently: (unit, date, figure, both)."""
    return [
        (unit, day, name, value, counted[name])
        for unit, day, _, read, counted in answers
        for name, value in read.items()
        if value != counted[name]
    ]


@pytest.fixture
def recorded(pg_env: dict[str, str], pg_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The dashboard scenario (a merger recorded after years of facts), every unit tallied."""
    monkeypatch.setattr(tally, "TALLY_FROM", 0)
    monkeypatch.setattr(tally, "FLUSH_EVENTS", 7)  # counts added every seven events
    office = LiaisonOffice(env=pg_env, clock=pv.clock)
    record(office)
    office.close()
    return pg_url


@pytest.mark.parametrize("small_subtree", [1_000_000, 0], ids=["looked up", "scanned"])
async def test_every_unit_reads_from_its_tally_what_its_facts_say(
    recorded: str, pg_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, small_subtree: int
) -> None:
    """In each form of the statement that works out the subtree's units itself (the units looked
    up; scanned, and the province's tested against the few outside it): what the facts give."""
    monkeypatch.setattr(figure_sql, "SMALL_SUBTREE", small_subtree)
    projector = Projector(pg_env, all_models(), batch=1)  # the merger moves earlier facts
    projector.catch_up()
    projector.close()
    with psycopg.connect(recorded) as conn:
        units = [r[0] for r in conn.execute("SELECT unit_id FROM unit ORDER BY 1")]
    answers = await _tallied_and_counted(recorded, units)
    assert all(used for _, _, used, _, _ in answers)
    assert _differences(answers) == []
    assert sum(read["attendance"].get("present", 0) for *_, read, _ in answers) > 0
    assert {u for u, *_ in answers} >= {"P", "D", "X1", "XN", "C1"}


async def test_a_tallied_units_board_is_not_sent_its_units(
    recorded: str, pg_env: dict[str, str]
) -> None:
    """A large unit's board as things stand is two statements: which tally it reads (with how
    many units its subtree has), then its figures, which find the subtree's units themselves. A
    province's 28,876 unit ids were fetched and sent back for each year of each page."""
    projector = Projector(pg_env, all_models(), batch=1)
    projector.catch_up()
    projector.close()
    conn = await reads.connect(recorded)
    statements: list[Any] = []
    conn.add_query_logger(statements.append)
    try:
        found = await figures(conn, Period("P", date(2025, 12, 31)))
    finally:
        await conn.close()
    assert found.total("members_in_scope") > 0
    assert len(statements) == 2
    assert not any(isinstance(a, list) for s in statements for a in s.args)


async def _funnels_and_charts(url: str) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Each unit's funnel on each date, as read and as counted from the timeline, and its overdue
    chart, as read and as counted from the facts."""
    conn = await reads.connect(url)
    try:
        units = [r[0] for r in await conn.fetch("SELECT unit_id FROM unit ORDER BY 1")]
        read, charts = [], []
        for unit in units:
            for day in DAYS:
                period = Period(unit, day)
                try:
                    counted = await liaisons.counted_stages(conn, period)
                except UnknownUnit:
                    continue
                read.append((unit, day, await liaisons.stages(conn, period), counted))
                overdue = [
                    await lists.breakdown(conn, Period(unit, day, at), "assessments_overdue")
                    for at in (None, EVERYTHING_KNOWN)  # the steps, and the facts counted
                ]
                charts.append((unit, day, *overdue))
        return read, charts
    finally:
        await conn.close()


async def test_every_unit_reads_its_funnel_and_overdue_chart_from_its_steps(
    recorded: str, pg_env: dict[str, str]
) -> None:
    """A large unit's stage funnel and overdue chart from the steps kept event by event across
    the merger: what each liaison's timeline and the facts say, on every date. With the facts
    model's tables of version 2 (as while a store upgrades), the same, counted."""
    projector = Projector(pg_env, all_models(), batch=1)
    projector.catch_up()
    projector.close()
    read, charts = await _funnels_and_charts(recorded)
    conn = await reads.connect(recorded)
    try:
        stepped = [await conn.fetchval(STEPPED_UNIT, unit, day) for unit, day, *_ in read]
    finally:
        await conn.close()
    assert None not in stepped  # every unit tallied: every funnel read from the steps
    assert len(read) > 20
    assert [r for r in read if r[2] != r[3]] == []
    assert sum(sum(r[3].values()) for r in read) > 50
    assert [c for c in charts if c[2] != c[3]] == []
    assert sum(sum(c[2].values()) for c in charts) > 5
    with psycopg.connect(recorded) as db:  # version 2: no funnel steps, no overdue rows
        db.execute("DROP TABLE stage_step, stage_step_state")
        db.execute("DELETE FROM fact_cell_step WHERE figure = 'overdue'")
    assert await _funnels_and_charts(recorded) == (read, charts)


async def _known_at(url: str, units: list[str], times: list[datetime]) -> list[tuple[Any, ...]]:
    """Each unit's figures on each date as known at each time."""
    conn = await reads.connect(url)
    try:
        out = []
        for unit in units:
            for day in DAYS:
                for at in times:
                    try:
                        read = (await figures(conn, Period(unit, day, at))).summary()
                    except UnknownUnit:
                        continue
                    out.append((unit, day, at, read))
        return out
    finally:
        await conn.close()


def _caught_up(url: str, pg_env: dict[str, str]) -> tuple[list[str], list[datetime]]:
    """Every model caught up event by event: the units, and the times at which facts were
    recorded, in order."""
    projector = Projector(pg_env, all_models(), batch=1)
    projector.catch_up()
    projector.close()
    with psycopg.connect(url) as conn:
        units = [r[0] for r in conn.execute("SELECT unit_id FROM unit ORDER BY 1")]
        times = [r[0] for r in conn.execute("SELECT DISTINCT recorded_at FROM fact ORDER BY 1")]
    return units, times


async def test_a_board_known_at_a_time_reads_the_steps_less_what_was_recorded_after(
    recorded: str, pg_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """As known at a past time, a large unit's figures are its tally and steps less what the
    records made after that time changed: the figures its facts say as known then."""
    units, times = _caught_up(recorded, pg_env)
    asked = [times[0] - timedelta(seconds=1), *times[:: max(1, len(times) // 8)], times[-1]]
    changes = []

    def spied(*args: Any) -> Any:
        rows = unknown_rows(*args)
        changes.append(any(rows[0].values()) or any(rows[1].values()))
        return rows

    monkeypatch.setattr(standing, "unknown_rows", spied)
    read = await _known_at(recorded, units, asked)
    monkeypatch.setattr(dashboard, "KNOWN_AT_UNITS", 0)  # members recorded after, anywhere
    read_anywhere = await _known_at(recorded, units, asked)
    monkeypatch.setattr(dashboard, "KNOWN_AT_MEMBERS", -1)  # every board counted from the facts
    counted = await _known_at(recorded, units, asked)
    assert len(read) == len(counted) > 100
    assert [r for r in read if r not in counted] == []
    assert read_anywhere == read
    assert sum(changes) > 40  # boards whose steps were corrected, not just read
    assert any(figures["members_in_scope"] for *_, figures in read)


_LATER = (
    "SELECT count(*) AS facts, count(DISTINCT member_id) AS members FROM fact"
    " WHERE kind = ANY($1::text[]) AND recorded_at > $2 AND effective_date <= $3"
    " AND member_id IS NOT NULL"
)
"""How many facts of the state figures were recorded after $2, effective by $3, and of how many
members."""


async def test_a_board_known_at_a_time_corrects_its_own_members_alone(
    recorded: str, pg_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only a member with a fact in a unit's subtree can change its figures: a commune's board as
    known at a time corrects its steps for its own members recorded after it, however many were
    recorded elsewhere (before, it counted from the facts once `KNOWN_AT_MEMBERS` of the
    province's were)."""
    units, times = _caught_up(recorded, pg_env)
    asked = [times[0] - timedelta(seconds=1), *times[:: max(1, len(times) // 8)]]
    corrected: list[tuple[str, int]] = []
    recorded_after = dashboard._recorded_after

    async def spied(conn: Any, period: Period, inside: set[str], ancestor: str, read: Any) -> Any:
        unknown = await recorded_after(conn, period, inside, ancestor, read)
        if unknown is not None:
            kinds = list(standing.STANDING_KINDS)
            later = await conn.fetchrow(_LATER, kinds, period.known_at, period.end)
            changed = later["members"]
            corrected.append((period.unit_id, changed))
        return unknown

    monkeypatch.setattr(dashboard, "_recorded_after", spied)
    monkeypatch.setattr(dashboard, "KNOWN_AT_MEMBERS", 1)
    read = await _known_at(recorded, units, asked)
    monkeypatch.setattr(dashboard, "KNOWN_AT_MEMBERS", -1)  # every board counted from the facts
    counted = await _known_at(recorded, units, asked)
    assert [r for r in read if r not in counted] == []
    assert len(read) > 100
    beyond = {unit for unit, changed in corrected if changed > 1}
    assert {"C1", "X1"} & beyond  # corrected, though more members than one changed elsewhere
    assert "P" not in beyond


class _Recording:
    """A read connection that notes each statement it fetches rows of, with its arguments."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn
        self.fetched: list[tuple[str, tuple[Any, ...]]] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.conn, name)

    async def fetch(self, query: str, *args: Any) -> Any:
        self.fetched.append((query, args))
        return await self.conn.fetch(query, *args)

    def asked(self, query: str) -> list[tuple[Any, ...]]:
        """The arguments of each fetch of that statement."""
        return [args for q, args in self.fetched if q == query]


async def test_an_inspection_reads_a_members_facts_once_for_both_years(
    recorded: str, pg_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An inspection as known at a time corrects the year and the year before for the members
    recorded after it: each member's facts are read once for both, and the figures are the
    facts' own."""
    units, times = _caught_up(recorded, pg_env)
    asked = times[:: max(1, len(times) // 6)]
    monkeypatch.setattr(dashboard, "KNOWN_AT_MEMBERS", 1_000)
    conn = await reads.connect(recorded)
    try:
        counting = _Recording(conn)
        shared = 0
        answers = []
        for unit in units:
            for day in DAYS:
                for at in asked:
                    counting.fetched = []
                    try:
                        read = await inspection(counting, Period(unit, day, at))
                    except UnknownUnit:
                        continue
                    reads_of = [list(a[0]) for a in counting.asked(standing.MEMBERS_FACTS)]
                    members = [m for ids in reads_of for m in ids]
                    assert len(members) == len(set(members)), (unit, day, at)
                    shared += len(reads_of) == 1 and read["previous_year"] is not None
                    answers.append(((unit, day, at), read))
        monkeypatch.setattr(dashboard, "KNOWN_AT_MEMBERS", -1)  # every board counted
        for (unit, day, at), read in answers:
            assert read == await inspection(conn, Period(unit, day, at)), (unit, day, at)
    finally:
        await conn.close()
    assert shared  # both years corrected from one read
    assert len(answers) > 50


async def test_a_board_with_too_many_facts_recorded_after_its_time_fetches_none_of_them(
    recorded: str, pg_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A large unit's board as known at a time after which more than `KNOWN_AT_FACTS` facts
    were recorded counts from the facts: it learns that there are too many from a count, without
    fetching the members behind them (at the middle of an import, 50,001 ids a period); with
    fewer, it fetches them and corrects its steps. Either way the figures are the facts'."""
    units, times = _caught_up(recorded, pg_env)
    asked = [times[0] - timedelta(seconds=1), *times[:: max(1, len(times) // 8)], times[-1]]
    monkeypatch.setattr(dashboard, "KNOWN_AT_UNITS", 0)  # each board asks of the whole store
    monkeypatch.setattr(dashboard, "KNOWN_AT_FACTS", 3)
    kinds = list(standing.STANDING_KINDS)
    conn = await reads.connect(recorded)
    try:
        fetching = _Recording(conn)
        answers, fetched, many = [], 0, 0
        for unit in units:
            for day in DAYS:
                for at in asked:
                    fetching.fetched = []
                    try:
                        read = (await figures(fetching, Period(unit, day, at))).summary()
                    except UnknownUnit:
                        continue
                    answers.append(((unit, day, at), read))
                    tallied = await conn.fetchrow(TALLIED_UNIT, unit, day)
                    if tallied is None or not tallied["stepped"]:
                        continue
                    later = (await conn.fetchrow(_LATER, kinds, at, day))["facts"]
                    asked_ids = bool(fetching.asked(standing.RECORDED_AFTER))
                    assert asked_ids == (later <= dashboard.KNOWN_AT_FACTS), (unit, day, at)
                    fetched += asked_ids
                    many += later > dashboard.KNOWN_AT_FACTS
        monkeypatch.setattr(dashboard, "KNOWN_AT_MEMBERS", -1)  # every board counted
        for (unit, day, at), read in answers:
            assert read == (await figures(conn, Period(unit, day, at))).summary(), (unit, day, at)
    finally:
        await conn.close()
    assert fetched > 10
    assert many > 10


def _kept_and_at_once(conn: Any, table: str, reached: str, keys: int) -> list[Any]:
    """The table's rows kept event by event and built at once (suffix `_at_once`), in key
    order, each with the event its state table (`reached`: table.column) says they count to."""
    state, column = reached.split(".")
    order = ", ".join(str(k) for k in range(1, keys + 1))
    return [
        conn.execute(
            f"SELECT *, (SELECT {column} FROM {state}{suffix})"
            f" FROM {table}{suffix} ORDER BY {order}"
        ).fetchall()
        for suffix in ("", "_at_once")
    ]


def test_a_tally_kept_event_by_event_is_the_tally_built_at_once(
    recorded: str, pg_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Counts waiting in memory across batches, restarts in between (the waiting counts read
    back from the facts), the merger moving the counted facts, a tally left behind: the same
    rows as a bulk catch-up counts at its end. The state figures' steps kept batch by batch are
    those a bulk catch-up builds at its end."""
    with psycopg.connect(recorded) as conn:
        row = conn.execute(f"SELECT max(notification_id) FROM {EVENTS_TABLE}").fetchone()
    assert row is not None
    for stop in [*range(5, row[0], 5), None]:  # a new projector, its memory empty, every 5
        projector = Projector(pg_env, [Units(), Facts()], batch=2)
        projector.catch_up(stop)
        projector.close()
        if stop == 20:  # steps left behind (a bulk stopped midway, a store from before them)
            with psycopg.connect(recorded) as conn:
                conn.execute(
                    "TRUNCATE fact_step, fact_cell_step, fact_step_state, stage_step,"
                    " stage_step_state"
                )
        if stop == 35:  # the tally left behind by a bulk stopped midway, its counts kept
            with psycopg.connect(recorded) as conn:
                conn.execute("DELETE FROM fact_tally_state")
    monkeypatch.setattr(runner, "BULK_EVENTS", 1)  # in bulk: the steps built at the end
    projector = Projector(pg_env, [Units(), Facts("_at_once")], batch=10_000)
    projector.catch_up()
    projector.close()
    with psycopg.connect(recorded) as conn:
        kept, at_once = _kept_and_at_once(conn, "fact_tally", "fact_tally_state.tallied_to", 6)
        steps = [
            *_kept_and_at_once(conn, "fact_step", "fact_step_state.stepped_to", 5),
            *_kept_and_at_once(conn, "fact_cell_step", "fact_step_state.stepped_to", 5),
        ]
        funnels = _kept_and_at_once(conn, "stage_step", "stage_step_state.stepped_to", 3)
        moved = conn.execute(
            "SELECT count(*) FROM fact_tally WHERE ancestor_id = 'XN' AND kind = 'attendance'"
            " AND effective_date < '2025-07-01'"
        ).fetchone()
    assert kept == at_once
    assert steps[0] == steps[1]
    assert steps[2] == steps[3]
    assert steps[0]
    assert steps[0][0][-1] == row[0]  # kept up to the last event
    assert funnels[0] == funnels[1]
    assert funnels[0]
    assert funnels[0][0][-1] == row[0]
    assert moved is not None
    assert moved[0] > 0  # C1's 2019 and 2020 meetings, under XN since the merger
    assert all(row[-2] > 0 for row in kept)


def test_a_bulk_catch_up_counts_its_tally_beside_its_steps(
    recorded: str, pg_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """At a bulk catch-up's end the tally's statement runs in a transaction of its own, on
    another connection, while the steps are worked out; should it fail, the catch-up fails and
    keeps neither (the next one builds both)."""
    monkeypatch.setattr(runner, "BULK_EVENTS", 1)  # in bulk: the tally and steps built at the end
    seen: dict[str, tuple[Any, str]] = {}
    count, step = tally.Tally.rebuild, standing.Standing.rebuild

    def counting(self: Any, cur: Any, *args: Any) -> None:
        seen["tally"] = (cur.connection, threading.current_thread().name)
        count(self, cur, *args)

    def stepping(self: Any, cur: Any, *args: Any, **kwargs: Any) -> None:
        seen["steps"] = (cur.connection, threading.current_thread().name)
        step(self, cur, *args, **kwargs)

    monkeypatch.setattr(tally.Tally, "rebuild", counting)
    monkeypatch.setattr(standing.Standing, "rebuild", stepping)
    projector = Projector(pg_env, [Facts("_beside")], batch=10_000)  # one group: this process
    projector.catch_up()
    projector.close()
    assert seen["tally"][0] is not seen["steps"][0]
    assert seen["tally"][1].startswith("tally")
    assert seen["steps"][1] == threading.current_thread().name

    def failing(self: Any, cur: Any, *args: Any) -> None:
        raise RuntimeError("the tally's statement failed")

    monkeypatch.setattr(tally.Tally, "rebuild", failing)
    projector = Projector(pg_env, [Facts("_failed")], batch=10_000)
    with pytest.raises(RuntimeError, match="the tally's statement failed"):
        projector.catch_up()
    projector.close()
    with psycopg.connect(recorded) as conn:
        for table in ("fact_tally_state_failed", "fact_step_state_failed", "fact_step_failed"):
            assert conn.execute(f"SELECT count(*) FROM {table}").fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM fact_failed").fetchone() != (0,)  # the facts


def test_a_large_bulk_catch_up_works_out_its_funnel_and_tasks_in_a_process_of_their_own(
    pg_url: str, pg_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """From `APART_LIAISONS` liaisons, a bulk catch-up's end works out the funnel's steps and
    the tasks in a process of their own, started once the figures' steps' parts are counted,
    while it adds those up and writes them here: the same rows as worked out here, kept up to
    the same event. (A demo province, whose large units are tallied as they are in the other
    process: a setting changed here would not be there.)"""
    office = LiaisonOffice(env=pg_env, clock=pv.clock)
    demo.load(office, demo.generate(300, seed=5, until=date(2025, 12, 31)))
    office.close()
    monkeypatch.setattr(runner, "BULK_EVENTS", 1)
    here = Projector(pg_env, [Facts("_here")], batch=10_000)
    here.catch_up()
    here.close()
    monkeypatch.setattr(facts, "APART_LIAISONS", 1)
    started: list[Any] = []
    start, states = apart.start, cores.Cores.states

    def starting(env: Any, work: Any) -> Any:
        started.append("apart")
        return start(env, work)

    def counting(self: Any) -> Any:
        parts = states(self)
        started.append("parts counted")
        return parts

    def not_here(*_: Any) -> None:
        raise AssertionError("worked out in the catch-up's own process")

    monkeypatch.setattr(apart, "start", starting)
    monkeypatch.setattr(cores.Cores, "states", counting)
    monkeypatch.setattr(stages.Stages, "rebuild", not_here)
    monkeypatch.setattr(tasks.Tasks, "rebuild", not_here)
    away = Projector(pg_env, [Facts("_away")], batch=10_000)
    away.catch_up()
    away.close()
    assert started == ["parts counted", "apart"]
    with psycopg.connect(pg_url) as conn:
        for table, order in (("stage_step", "1, 2, 3"), ("task", "1, 2, 3, 4")):
            rows = [
                conn.execute(f"SELECT * FROM {table}{suffix} ORDER BY {order}").fetchall()
                for suffix in ("_here", "_away")
            ]
            assert rows[0] == rows[1]
            assert rows[0]
            states = [
                conn.execute(f"SELECT * FROM {table}_state{suffix}").fetchall()
                for suffix in ("_here", "_away")
            ]
            assert states[0] == states[1] != []


IDLE = {"POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT": "2"}
"""A store whose transactions the server ends once idle for 2 s (a minute in `persistence_env`)."""


def test_the_build_at_a_bulk_catch_ups_end_may_idle_longer_than_a_batch(
    pg_url: str, pg_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The build a bulk catch-up leaves for its end works its rows out in Python between two
    statements, longer than other transactions may idle on a large store and a slow host (at
    300,000 members, the steps' sum took more than the minute allowed; the server ended the
    transaction, and every catch-up after it failed at the same place): here 3 s in a store
    whose transactions may idle 2 s. The steps are built up to the event the facts are."""
    office = LiaisonOffice(env=pg_env, clock=pv.clock)
    demo.load(office, demo.generate(60, seed=5, until=date(2025, 12, 31)))
    office.close()
    monkeypatch.setattr(runner, "BULK_EVENTS", 1)
    summing, slept = standing.cell_figures, []

    def slowly(*args: Any) -> Any:
        time.sleep(3)  # the steps' sum, between their read and their COPY
        slept.append(3)
        return summing(*args)

    monkeypatch.setattr(standing, "cell_figures", slowly)
    projector = Projector({**pg_env, **IDLE}, [Facts()], batch=500)
    projector.catch_up()
    projector.close()
    with psycopg.connect(pg_url) as conn:
        stepped = conn.execute("SELECT stepped_to FROM fact_step_state").fetchall()
        tracked = conn.execute(
            "SELECT notification_id FROM projections_tracking WHERE application_name = 'facts'"
        ).fetchall()
    assert slept == [3]
    assert stepped == tracked != []


def _pausing(cur: Any) -> None:
    cur.execute("SELECT 1")
    time.sleep(3)
    cur.execute("SELECT 1")


def test_work_done_apart_may_idle_as_long_as_the_build(pg_env: dict[str, str]) -> None:
    apart.start({**pg_env, **IDLE}, _pausing).result(timeout=120)


def _failing(cur: Any) -> None:
    cur.execute("SELECT 1")
    raise RuntimeError("the funnel failed")


def test_work_done_apart_says_how_it_failed(pg_env: dict[str, str]) -> None:
    with pytest.raises(RuntimeError, match="the funnel failed"):
        apart.start(pg_env, _failing).result(timeout=120)


ESCALATED = date(2025, 12, 31)
_SOME_LIAISONS = (
    "SELECT DISTINCT liaison_id FROM fact WHERE liaison_id IS NOT NULL ORDER BY 1 LIMIT 40"
)


@pytest.mark.parametrize("small_subtree", [1_000_000, 0], ids=["looked up", "scanned"])
async def test_a_demo_provinces_large_units_read_their_tallies(
    pg_url: str, monkeypatch: pytest.MonkeyPatch, small_subtree: int
) -> None:
    monkeypatch.setattr(tally, "FLUSH_EVENTS", 1_000)
    monkeypatch.setattr(figure_sql, "SMALL_SUBTREE", small_subtree)
    office = LiaisonOffice(env=persistence_env(pg_url), clock=pv.clock)
    demo.load(office, demo.generate(300, seed=5, until=date(2025, 12, 31)))
    dashboard_models = [MODELS[name]() for name in ("units", "facts", "escalations")]
    projector = Projector(persistence_env(pg_url), dashboard_models)
    projector.catch_up()
    with psycopg.connect(pg_url) as conn:
        large = [r[0] for r in conn.execute("SELECT ancestor_id FROM fact_tallied ORDER BY 1")]
        liaisons_ = [r[0] for r in conn.execute(_SOME_LIAISONS)]
    for liaison_id in liaisons_:  # escalated, as the workflows would, to count open escalations
        if office.deadlines(liaison_id, ESCALATED):
            pv.escalate(office, liaison_id, ESCALATED)
    office.close()
    projector.catch_up()
    projector.close()
    answers = await _tallied_and_counted(pg_url, large)
    assert large  # the province, at least
    assert all(used for _, _, used, _, _ in answers)
    assert _differences(answers) == []
    assert sum(read["escalations_open"] for *_, read, _ in answers) > 0
