"""A read model's new version is built in the shadow while the old tables answer, then switched."""

from __future__ import annotations

import threading
from typing import ClassVar

import psycopg
import pytest

from projections.catalog import MODELS
from projections.rebuild import ShadowResult, shadow_rebuild
from projections.runner import Projector
from projections.timeline import Timeline
from projections.units import Units
from tests.integration import province as pv
from tests.integration.test_projections import _store, snapshot
from workers.bootstrap import persistence_env
from workers.metrics import store


class TimelineV2(Timeline):
    """The timeline with a column more: a new layout, so a new version."""

    version: ClassVar[int] = 2

    def ddl(self) -> list[str]:
        t = self.t("timeline")
        return [*super().ddl(), f"ALTER TABLE {t} ADD COLUMN IF NOT EXISTS shape text DEFAULT 'v2'"]


class Reader:
    """Counts the live timeline's rows on a connection of its own, again and again, as a board."""

    def __init__(self, url: str) -> None:
        self.counts: list[int] = []
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(url,))
        self._thread.start()

    def _run(self, url: str) -> None:
        with psycopg.connect(url, autocommit=True) as conn:
            while not self._stop.is_set():
                try:
                    row = conn.execute("SELECT count(*) FROM timeline").fetchone()
                    self.counts.append(row[0] if row else 0)
                except psycopg.Error as error:
                    self.errors.append(str(error))
                self._stop.wait(0.005)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(30)


def _rows(url: str, statement: str) -> list[tuple[object, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute(statement).fetchall()


def test_a_new_version_is_built_beside_the_old_one_which_answers_until_the_switch(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    pg_env = persistence_env(pg_url)
    office = _store(pg_env)
    first = Projector(pg_env, [Units(), Timeline()], batch=7)
    first.catch_up()
    old = snapshot(first, first.models[1])["timeline"]
    first.close()
    pv.received_member(office, 30)  # events the old version will not see

    reader = Reader(pg_url)
    upgraded = Projector(pg_env, [Units(), TimelineV2()], batch=7)
    try:
        shadow = upgraded.models[1]
        assert shadow.tracking_name == "timeline__v2"
        head = upgraded.head()
        upgraded.step()
        upgraded.step()
        with upgraded.transaction() as cur:
            positions = upgraded.positions(cur)
        assert positions["units"] == head  # the other models keep up meanwhile
        assert 0 < positions["timeline__v2"] < head
        with store(pg_url) as figures:  # readiness overlooks its frozen lag meanwhile
            assert figures.models_rebuilding() == {"timeline"}
        assert _rows(pg_url, "SELECT count(*) FROM timeline") == [(len(old),)]  # the old rows
        assert _rows(pg_url, "SELECT count(*) FROM information_schema.columns"
                     " WHERE table_schema = current_schema() AND table_name = 'timeline'"
                     " AND column_name = 'shape'") == [(0,)]  # fmt: skip

        monkeypatch.setitem(MODELS, "timeline", TimelineV2)  # meanwhile, an operator's rebuild
        refused = shadow_rebuild(pg_env, "timeline")  # leaves the version's build alone
        assert refused == ShadowResult(switched=False, position=0, differences={"version": 2})

        upgraded.catch_up()  # caught up: switched
        assert upgraded.models[1].tracking_name == "timeline"
        [(shape, count)] = _rows(pg_url, "SELECT shape, count(*) FROM timeline GROUP BY shape")
        assert shape == "v2"
        assert count > len(old)  # with the events the old version never saw
        seen = len(reader.counts)
        while len(reader.counts) < seen + 3:  # the board reads the new rows a few times
            threading.Event().wait(0.01)
        with upgraded.transaction() as cur:
            assert upgraded.positions(cur) == {"units": head, "timeline": head}
            cur.execute("SELECT name, version FROM projections_version ORDER BY name")
            assert [tuple(r.values()) for r in cur.fetchall()] == [("timeline", 2), ("units", 1)]
            cur.execute(
                "SELECT relname FROM pg_class WHERE relnamespace = current_schema()::regnamespace"
                " AND relname LIKE '%%\\_\\_v2%%'"
            )
            assert cur.fetchall() == []  # the shadow's names are gone
            cur.execute("SELECT application_name FROM projections_tracking")
            assert "timeline__v2" not in {r["application_name"] for r in cur.fetchall()}
        with store(pg_url) as figures:  # switched: its lag counts again
            assert figures.models_rebuilding() == set()
    finally:
        reader.stop()
        upgraded.close()
    assert reader.errors == []
    assert reader.counts
    assert min(reader.counts) == len(old)  # never an empty or missing table
    assert reader.counts[-1] == count  # the new rows answer after the switch

    again = Projector(pg_env, [TimelineV2()])  # the version is recorded: nothing to rebuild
    reference = Projector(pg_env, [TimelineV2("_ref")])
    try:
        assert again.models[0].suffix == ""
        reference.catch_up()
        assert snapshot(again, again.models[0]) == snapshot(reference, reference.models[0], "_ref")
    finally:
        again.close()
        reference.close()
