"""Projections on a real PostgreSQL: replay from zero, a crash mid-batch, and the seal."""

from __future__ import annotations

import gc
import itertools
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any, ClassVar

import pytest

from application.office import LiaisonOffice
from domain import commands as c
from domain.escalation import Step
from domain.meeting import AttendanceEntry
from domain.state import Attendance
from projections import runner
from projections.catalog import all_models
from projections.cores import YOUNG_OBJECTS
from projections.facts import Facts
from projections.log import EVENTS_TABLE, Entry
from projections.model import Cursor, ReadModel, copy_rows
from projections.parallel import CatchUpFailed
from projections.runner import Projector
from projections.seal import verify
from tests.integration import province as pv


def _store(pg_env: dict[str, str], members: int = 4) -> LiaisonOffice:
    office = LiaisonOffice(env=pg_env, clock=pv.clock)
    pv.build_province(office)
    enrolled = [pv.received_member(office, n) for n in range(1, members + 1)]
    late = pv.received_member(office, 90, received=False)
    pv.escalate(office, late.liaison_id, date(2026, 3, 1))  # receipt overdue: the whole ladder
    reminded = pv.escalate(office, enrolled[0].liaison_id, date(2026, 3, 1), (Step.REMINDER,))
    pv.resolve(office, enrolled[0].liaison_id, reminded, date(2026, 3, 2))
    office.execute(
        c.RecordMeeting(
            **pv.by(pv.SECRETARY, date(2026, 3, 1)),
            cell_id=pv.CELL,
            attendance=tuple(
                AttendanceEntry(liaison_id=e.liaison_id, attendance=Attendance.PRESENT)
                for e in enrolled
            ),
        )
    )
    return office


def snapshot(projector: Projector, model: ReadModel, suffix: str = "") -> dict[str, list[Any]]:
    """Every row of every table of a model, in a fixed order (suffix names a shadow copy)."""
    out = {}
    with projector.transaction() as cur:
        for table in model.tables:
            cur.execute(f"SELECT * FROM {table}{suffix} ORDER BY {model.order_keys(table)}")
            out[table] = [tuple(r.values()) for r in cur.fetchall()]
    return out


def test_replay_from_zero_reproduces_every_projection(pg_env: dict[str, str]) -> None:
    _store(pg_env)
    live = Projector(pg_env, all_models(), batch=7)
    live.catch_up()
    before = {m.name: snapshot(live, m) for m in live.models}
    assert all(any(rows for rows in tables.values()) for tables in before.values())
    live.rebuild()
    assert {m.name: snapshot(live, m) for m in live.models} == before
    live.close()


def test_a_bulk_catch_up_defers_indexes_and_builds_the_same_tables(
    pg_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _store(pg_env)
    reference = Projector(pg_env, all_models("_ref"), batch=7)
    reference.catch_up()
    monkeypatch.setattr(runner, "BULK_EVENTS", 1)  # any catch-up from zero counts as bulk
    bulk = Projector(pg_env, all_models(), batch=7)
    with bulk.transaction() as cur:
        cur.execute("SELECT count(*) AS n FROM pg_indexes WHERE schemaname = current_schema()")
        indexes = cur.fetchone()["n"]
    bulk.catch_up()
    for model in bulk.models:
        assert snapshot(bulk, model) == snapshot(reference, model, "_ref")
    with bulk.transaction() as cur:
        cur.execute("SELECT count(*) AS n FROM pg_indexes WHERE schemaname = current_schema()")
        assert cur.fetchone()["n"] == indexes  # every deferred index was built again
        cur.execute("SELECT relallvisible FROM pg_class WHERE oid = 'fact_registered'::regclass")
        assert cur.fetchone()["relallvisible"] > 0  # vacuumed: index-only scans from the start
    bulk.close()
    reference.close()


def test_a_store_with_the_year_index_of_before_gets_the_one_with_the_code(
    pg_env: dict[str, str],
) -> None:
    """The index by kind and year carries the code since 2026-12-06: a store made before keeps
    its rows and, at its projector's next start, gets the new index in place of the old one."""
    _store(pg_env)
    first = Projector(pg_env, [Facts()], batch=7)
    first.catch_up()
    with first.transaction() as cur:
        cur.execute("DROP INDEX fact_by_year")
        cur.execute(
            "CREATE INDEX fact_year ON fact (kind, year) INCLUDE (recorded_at, effective_date,"
            " unit_id, workplace_id, member_id, liaison_id, due_on)"
        )
    first.close()
    again = Projector(pg_env, [Facts()], batch=7)
    with again.transaction() as cur:
        cur.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()"
            " AND tablename = 'fact'"
            " AND indexname IN ('fact_year', 'fact_by_year')"
        )
        (found,) = cur.fetchall()
        assert found["indexname"] == "fact_by_year"
        assert "due_on, code)" in found["indexdef"]
        assert again.positions(cur)["facts"] > 0  # not rebuilt: the rows stay
    again.close()


KILL_AT = "LIAISON_TEST_WITNESS_KILLED_AT"
HELD_AT = "LIAISON_TEST_WITNESS_HELD_AT"


class Witness(ReadModel):
    """A read model of its own process that notes which process folded each event (and how
    seldom that process's cycle collector looked at new objects); with
    KILL_AT set (`notification:test pid`) it kills its process (SIGKILL, no goodbye) mid-batch
    at that notification; with HELD_AT, it waits there, mid-batch, until its process is stopped."""

    name: ClassVar[str] = "witness"
    tables: ClassVar[tuple[str, ...]] = ("witness",)
    process: ClassVar[str] = "witness"

    def ddl(self) -> list[str]:
        return [
            f"CREATE TABLE IF NOT EXISTS {self.t('witness')}"
            " (notification_id bigint PRIMARY KEY, pid int NOT NULL, young int NOT NULL)"
        ]

    def apply(self, cur: Cursor, entries: Sequence[Entry]) -> None:
        young = gc.get_threshold()[0]
        rows = [(e.row.notification_id, os.getpid(), young) for e in entries]
        columns = {"notification_id": "int8", "pid": "int4", "young": "int4"}
        copy_rows(cur, self.t("witness"), columns, rows)
        for variable in (KILL_AT, HELD_AT):
            at, _, test = os.environ.get(variable, "").partition(":")
            if at and entries[-1].row.notification_id >= int(at):
                if os.getpid() == int(test):  # folding in the test's own process: fail, not wait
                    raise RuntimeError("the witness folds in the test's process")
                if variable == KILL_AT:
                    os.kill(os.getpid(), signal.SIGKILL)
                time.sleep(600)


def _index_count(projector: Projector) -> int:
    with projector.transaction() as cur:
        cur.execute("SELECT count(*) AS n FROM pg_indexes WHERE schemaname = current_schema()")
        return int(cur.fetchone()["n"])


def _same_as_alone(projector: Projector, reference: Projector, indexes: int) -> None:
    """Each model (but the witness) holds the rows of the same model caught up in one process
    (`reference`'s, suffixed "_ref"), at the same position, with every index built again."""
    with projector.transaction() as cur, reference.transaction() as ref:
        assert projector.positions(cur) == {
            n.removesuffix("_ref"): p for n, p in reference.positions(ref).items()
        }
    for model in projector.models[:-1]:
        assert snapshot(projector, model) == snapshot(reference, model, "_ref")
    assert _index_count(projector) == indexes  # each process built its deferred indexes again


def test_a_big_catch_up_folds_in_a_process_per_group_and_builds_the_same_rows(
    pg_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _store(pg_env)
    reference = Projector(pg_env, [*all_models("_ref"), Witness("_ref")], batch=7)
    expected = reference.catch_up()  # a small catch-up: in this process
    monkeypatch.setattr(runner, "BULK_EVENTS", 1)  # any catch-up counts as big
    parallel = Projector(pg_env, [*all_models(), Witness()], batch=7)
    indexes = _index_count(parallel)
    shown: list[tuple[int, int]] = []
    assert parallel.catch_up(progress=lambda *p: shown.append(p)) == expected
    assert shown[-1] == (expected, parallel.head())
    with parallel.transaction() as cur:
        cur.execute("SELECT DISTINCT pid, young FROM witness_ref")
        assert [tuple(r.values()) for r in cur.fetchall()] == [(os.getpid(), gc.get_threshold()[0])]
        cur.execute("SELECT DISTINCT pid, young FROM witness")
        folded = cur.fetchall()
        assert os.getpid() not in {r["pid"] for r in folded}
        assert {r["young"] for r in folded} == {YOUNG_OBJECTS}  # a bulk fold collects seldom
    _same_as_alone(parallel, reference, indexes)
    parallel.close()
    reference.close()


def test_a_catch_up_process_killed_midway_leaves_each_model_whole_and_the_next_one_ends(
    pg_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _store(pg_env)
    monkeypatch.setattr(runner, "BULK_EVENTS", 1)
    projector = Projector(pg_env, [*all_models(), Witness()], batch=7)
    indexes, head = _index_count(projector), projector.head()
    monkeypatch.setenv(KILL_AT, f"{head // 2}:{os.getpid()}")
    with pytest.raises(CatchUpFailed, match="witness failed: exit code -9"):
        projector.catch_up()
    monkeypatch.delenv(KILL_AT)
    _assert_whole_midway(pg_env, projector, head)
    projector.close()
    _assert_resumes(pg_env, head, indexes)


def test_a_group_folded_to_the_end_but_stopped_before_its_steps_gets_them_from_the_next_one(
    pg_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bulk catch-up stopped after the facts' process had folded every event but before it
    built the steps and tasks (`Facts.complete`, minutes at 300,000 members) leaves the facts
    at the log's end; the next catch-up, folding the groups still behind in processes of their
    own, builds them too."""
    _store(pg_env)
    monkeypatch.setattr(runner, "BULK_EVENTS", 1)
    monkeypatch.setattr(Facts, "complete", lambda *_: None)  # stopped before building them
    states = [m for m in all_models() if m.process == Facts.process]
    every = Projector(pg_env, [*all_models(), Witness()], batch=7)  # every model's tables
    indexes = _index_count(every)
    every.close()
    folded = Projector(pg_env, states, batch=7)  # one group: folded here, patched
    head = folded.head()
    assert folded.catch_up() == head
    folded.close()
    monkeypatch.undo()  # the next catch-up's processes are new interpreters in any case
    monkeypatch.setattr(runner, "BULK_EVENTS", 1)
    _assert_resumes(pg_env, head, indexes)


def _assert_whole_midway(pg_env: dict[str, str], projector: Projector, head: int) -> None:
    """The witness stopped midway, and each model's rows are exactly those of its position."""
    with projector.transaction() as cur:
        reached = projector.positions(cur)
    assert 0 < reached["witness"] < head
    for model in projector.models[:-1]:
        at = type(model)("_at")
        alone = Projector(pg_env, [at], batch=7)
        alone.catch_up(stop=reached[model.tracking_name])
        mine, theirs = snapshot(projector, model), snapshot(alone, at, "_at")
        if mine.get("fact_tally_state") == []:  # stopped in bulk: the tally is not kept yet
            assert mine["fact_tally"] == mine["fact_tallied"] == []
            for table in ("fact_tally", "fact_tallied", "fact_tally_state"):
                del mine[table], theirs[table]
        if mine.get("fact_step_state") == []:  # stopped in bulk: the steps are not kept yet
            assert mine["fact_step"] == mine["fact_cell_step"] == []
            for table in ("fact_step", "fact_cell_step", "fact_step_state"):
                del mine[table], theirs[table]
        if mine.get("stage_step_state") == []:  # nor the funnel's
            assert mine["stage_step"] == []
            del mine["stage_step"], theirs["stage_step"]
            del mine["stage_step_state"], theirs["stage_step_state"]
        if mine.get("task_state") == []:  # nor the liaisons' steps
            assert mine["task"] == []
            del mine["task"], theirs["task"], mine["task_state"], theirs["task_state"]
        assert mine == theirs
        with alone.transaction() as cur:
            for statement in at.drop():
                cur.execute(statement)
            alone.reset_position(cur, at)
        alone.close()


def _assert_resumes(pg_env: dict[str, str], head: int, indexes: int) -> None:
    """A catch-up after a stopped one ends at `head`, every index there, every row right."""
    resumed = Projector(pg_env, [*all_models(), Witness()], batch=7)
    resumed.catch_up()
    with resumed.transaction() as cur:
        assert set(resumed.positions(cur).values()) == {head}
    assert _index_count(resumed) == indexes  # none left out by the killed processes
    reference = Projector(pg_env, all_models("_ref"), batch=500)
    reference.catch_up()
    for model in resumed.models[:-1]:
        assert snapshot(resumed, model) == snapshot(reference, model, "_ref")
    resumed.close()
    reference.close()


def _until(condition: Callable[[], bool], what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


def _positions(projector: Projector) -> dict[str, int]:
    with projector.transaction() as cur:
        return projector.positions(cur)


def _witness_pids(projector: Projector, after: int = 0) -> set[int]:
    with projector.transaction() as cur:
        cur.execute("SELECT DISTINCT pid FROM witness WHERE notification_id > %s", (after,))
        return {r["pid"] for r in cur.fetchall()}


def test_following_far_behind_folds_in_a_process_per_group_then_follows_here(
    pg_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    office = _store(pg_env)
    reference = Projector(pg_env, [*all_models("_ref"), Witness("_ref")], batch=7)
    monkeypatch.setattr(runner, "BULK_EVENTS", 1)  # any lag counts as far behind
    follower = Projector(pg_env, [*all_models(), Witness()], batch=7)
    indexes, head = _index_count(follower), follower.head()
    stop = threading.Event()
    thread = threading.Thread(target=follower.follow, args=(stop, 0.05), daemon=True)
    thread.start()
    try:
        _until(lambda: set(_positions(follower).values()) == {head}, "never caught up")
        assert os.getpid() not in _witness_pids(follower)  # folded in other processes
        monkeypatch.setattr(runner, "BULK_EVENTS", 10**9)  # what comes now: in this process
        pv.received_member(office, 20)
        now = follower.head()
        _until(lambda: set(_positions(follower).values()) == {now}, "stopped following")
    finally:
        stop.set()
        thread.join(30)
    assert _witness_pids(follower, after=head) == {os.getpid()}
    reference.catch_up()
    _same_as_alone(follower, reference, indexes)
    follower.close()
    reference.close()


def test_stopping_a_follow_far_behind_stops_its_processes_and_leaves_each_model_whole(
    pg_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _store(pg_env)
    monkeypatch.setattr(runner, "BULK_EVENTS", 1)
    follower = Projector(pg_env, [*all_models(), Witness()], batch=7)
    indexes, head = _index_count(follower), follower.head()
    monkeypatch.setenv(HELD_AT, f"{head // 2}:{os.getpid()}")  # its process never ends alone
    stop = threading.Event()
    thread = threading.Thread(target=follower.follow, args=(stop, 0.05), daemon=True)
    thread.start()
    try:
        _until(lambda: _positions(follower)["witness"] > 0, "the witness never folded")
    finally:
        stop.set()
        stopped = time.monotonic()
        thread.join(30)
    assert not thread.is_alive()
    assert time.monotonic() - stopped < 5
    assert multiprocessing.active_children() == []
    assert os.getpid() not in _witness_pids(follower)  # it was folding in another process
    monkeypatch.delenv(HELD_AT)
    _assert_whole_midway(pg_env, follower, head)
    follower.close()
    _assert_resumes(pg_env, head, indexes)


def _follow_far_behind(env: dict[str, str]) -> None:
    runner.BULK_EVENTS = 1
    Projector(env, [*all_models(), Witness()], batch=7).follow(threading.Event(), 0.05)


def _ended(pid: int) -> bool:
    """Whether the process has ended (a zombie not reaped yet has)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def test_the_processes_of_a_follow_killed_far_behind_end_with_it(
    pg_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _store(pg_env)
    projector = Projector(pg_env, [*all_models(), Witness()], batch=7)
    monkeypatch.setenv(HELD_AT, f"{projector.head() // 2}:{os.getpid()}")
    follower = multiprocessing.get_context("spawn").Process(
        target=_follow_far_behind, args=(pg_env,)
    )
    follower.start()
    try:
        _until(lambda: _positions(projector)["witness"] > 0, "the witness never folded")
        (witness,) = _witness_pids(projector)
        assert witness != follower.pid
        follower.kill()  # SIGKILL: it cannot stop its processes itself
        follower.join()
        _until(lambda: _ended(witness), "its process folds on", seconds=10)
    finally:
        follower.kill()
        follower.join()
        projector.close()


def test_a_daemon_process_far_behind_follows_in_that_process(pg_env: dict[str, str]) -> None:
    """A daemon process may not start others: it folds everything itself, as before."""
    _store(pg_env)
    projector = Projector(pg_env, [*all_models(), Witness()], batch=7)
    head = projector.head()
    daemon = multiprocessing.get_context("spawn").Process(
        target=_follow_far_behind, args=(pg_env,), daemon=True
    )
    daemon.start()
    try:
        _until(lambda: set(_positions(projector).values()) == {head}, "never caught up")
        assert _witness_pids(projector) == {daemon.pid}
    finally:
        daemon.terminate()
        daemon.join()
        projector.close()


OLDER_LAYOUTS = {
    "fact before partitions": (  # stores made before 2026-12
        "CREATE TABLE fact_flat AS TABLE fact; DROP TABLE fact CASCADE;"
        " ALTER TABLE fact_flat RENAME TO fact"
    ),
    "member before search": (  # stores made before 2026-12-03
        "ALTER TABLE member DROP COLUMN citizen_id, DROP COLUMN search_keys"
    ),
}


@pytest.mark.parametrize("layout", OLDER_LAYOUTS)
def test_tables_of_an_older_layout_are_rebuilt_from_zero(
    pg_env: dict[str, str], layout: str
) -> None:
    _store(pg_env)
    first = Projector(pg_env, [Facts()], batch=7)
    first.catch_up()
    before = snapshot(first, first.models[0])
    with first.transaction() as cur:
        cur.execute(OLDER_LAYOUTS[layout])
    first.close()
    again = Projector(pg_env, [Facts()], batch=7)
    with again.transaction() as cur:
        cur.execute("SELECT relkind FROM pg_class WHERE oid = 'fact'::regclass")
        assert cur.fetchone()["relkind"] == "p"
        assert again.positions(cur) == {"facts": 0}
    assert again.catch_up() > 0
    assert snapshot(again, again.models[0]) == before
    with again.transaction() as cur:
        cur.execute("SELECT name FROM member WHERE search_keys @> '{dang,vien,1}'")
        assert [r["name"] for r in cur.fetchall()] == ["Đảng viên 1"]
    again.close()


def test_a_projection_killed_mid_batch_resumes_with_nothing_lost_or_twice(
    pg_env: dict[str, str],
) -> None:
    office = _store(pg_env)
    crashing = Projector(pg_env, all_models(), batch=9)
    crashing.step()
    with crashing.transaction() as cur:
        kept = crashing.positions(cur)
    crashing.fail_after_rows = 12  # rows of some models are written, then the process dies
    with pytest.raises(RuntimeError, match="mid-batch"):
        crashing.catch_up()
    with crashing.transaction() as cur:
        assert crashing.positions(cur) == kept
    crashing.close()

    resumed = Projector(pg_env, all_models(), batch=9)
    resumed.catch_up()
    reference = Projector(pg_env, all_models("_ref"), batch=500)
    reference.catch_up()
    for live_model in resumed.models:
        assert snapshot(resumed, live_model) == snapshot(reference, live_model, "_ref")
    with resumed.transaction() as cur:
        cur.execute("SELECT count(*) AS n FROM audit_event")
        assert cur.fetchone()["n"] == pv.event_count(office)
    resumed.close()
    reference.close()


def _sealed(pg_env: dict[str, str]) -> tuple[Projector, list[int]]:
    office = _store(pg_env, members=2)
    with Projector(pg_env, []).transaction() as cur:
        # Leave a gap in the ids, as a refused insert does, so that a forged event fits in it.
        cur.execute(
            f"SELECT setval(pg_get_serial_sequence('{EVENTS_TABLE}', 'notification_id'),"
            f" (SELECT max(notification_id) FROM {EVENTS_TABLE}) + 5)"
        )
    pv.received_member(office, 3)
    projector = Projector(pg_env, all_models())
    projector.catch_up()
    with projector.transaction() as cur:
        cur.execute(f"SELECT notification_id FROM {EVENTS_TABLE} ORDER BY 1")
        ids = [r["notification_id"] for r in cur.fetchall()]
    return projector, ids


def test_an_untouched_store_verifies(pg_env: dict[str, str]) -> None:
    projector, ids = _sealed(pg_env)
    with projector.transaction() as cur:
        verdict = verify(cur)
    assert verdict.ok
    assert (verdict.checked, verdict.head_position) == (len(ids), ids[-1])


@pytest.mark.parametrize("tampering", ["edit", "delete", "insert", "swap"])
def test_the_seal_names_where_the_store_was_tampered_with(
    pg_env: dict[str, str], tampering: str
) -> None:
    projector, ids = _sealed(pg_env)
    gap = next(a + 1 for a, b in itertools.pairwise(ids) if b - a > 1)
    j = ids[5]
    with projector.transaction() as cur:
        cur.execute(
            f"SELECT min(notification_id) AS k FROM {EVENTS_TABLE} WHERE topic LIKE '%%:Referred'"
            " AND notification_id > %s",
            (j,),
        )
        k = cur.fetchone()["k"]
        if tampering == "edit":
            cur.execute(
                f"UPDATE {EVENTS_TABLE} SET state = convert_to(replace(convert_from(state,"
                " 'UTF8'), '2026-01-10', '2025-12-10'), 'UTF8') WHERE notification_id = %s",
                (k,),
            )
            assert cur.rowcount == 1
            expected = (k, "altered")
        elif tampering == "delete":
            cur.execute(f"DELETE FROM {EVENTS_TABLE} WHERE notification_id = %s", (k,))
            expected = (k, "deleted")
        elif tampering == "insert":
            cur.execute(
                f"INSERT INTO {EVENTS_TABLE} (originator_id, originator_version, topic, state,"
                " notification_id) SELECT originator_id, originator_version + 1000, topic, state,"
                f" %s FROM {EVENTS_TABLE} WHERE notification_id = %s",
                (gap, k),
            )
            expected = (gap, "inserted")
        else:
            cur.execute(
                f"UPDATE {EVENTS_TABLE} AS e SET topic = o.topic, state = o.state FROM"
                f" {EVENTS_TABLE} AS o WHERE (e.notification_id, o.notification_id) IN"
                " ((%s, %s), (%s, %s))",
                (j, k, k, j),
            )
            expected = (j, "altered")
    with projector.transaction() as cur:
        verdict = verify(cur)
    assert verdict.broken is not None
    assert (verdict.broken.position, verdict.broken.problem) == expected
    projector.close()


def test_two_projectors_at_once_still_project_each_event_once(pg_env: dict[str, str]) -> None:
    """Without the lead (workers.standby), two copies racing on the same models: a batch whose
    positions another copy moved first is rolled back whole, rows and all."""
    office = _store(pg_env)
    copies = [Projector(pg_env, all_models(), batch=5) for _ in range(2)]
    stop = threading.Event()
    threads = [threading.Thread(target=p.follow, args=(stop, 0.05)) for p in copies]
    for thread in threads:
        thread.start()
    try:
        for n in (20, 21):  # events arriving while both follow
            pv.received_member(office, n)
        deadline = time.monotonic() + 60
        while True:
            with copies[0].transaction() as cur:
                if set(copies[0].positions(cur).values()) == {copies[0].head()}:
                    break
            assert time.monotonic() < deadline, "the copies never caught up"
            time.sleep(0.2)
    finally:
        stop.set()
        for thread in threads:
            thread.join(30)
    reference = Projector(pg_env, all_models("_ref"), batch=500)
    try:
        reference.catch_up()
        for model in copies[0].models:
            assert snapshot(copies[0], model) == snapshot(reference, model, "_ref")
    finally:
        reference.close()
        for copy in copies:
            copy.close()
