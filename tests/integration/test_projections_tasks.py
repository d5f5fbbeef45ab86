"""The worklist's kept steps (`projections.tasks`) are the deadlines `domain.deadlines` gives each
liaison's state under the policy in force: kept batch by batch, built at the end of a bulk
catch-up, and worked out again when a policy override gives a commune other due dates."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest

from application.office import LiaisonOffice
from domain import commands as c
from domain.deadlines import open_deadlines
from domain.errors import UnknownUnit
from domain.state import ClosingReason
from domain.worklist import step_awaited
from projections import liaisons, reads, runner
from projections.catalog import MODELS, all_models
from projections.dashboard import Period
from projections.runner import Projector
from projections.tasks import SETTLED
from tests.integration import province as pv
from workers.bootstrap import persistence_env
from workers.province import demo, demo_tree

Step = tuple[Any, ...]


def _store(pg_env: dict[str, str]) -> tuple[LiaisonOffice, list[UUID]]:
    """Liaisons awaiting each kind of step: receipt at the commune, a meeting and the annual
    assessment, a confirmation, a report back, an answer to a request, a closing slip."""
    office = LiaisonOffice(env=pg_env, clock=pv.clock)
    pv.build_province(office)
    waiting = pv.received_member(office, 1, received=False).liaison_id
    attending = [pv.received_member(office, n).liaison_id for n in range(2, 6)]
    assessed, confirmed, asked, expelled = attending
    for liaison in (assessed, confirmed):
        office.execute(
            c.Assess(**pv.by(pv.SECRETARY, date(2026, 11, 2)), liaison_id=liaison, year=pv.YEAR,
                     grade="fulfilled_well", front_committee_representative="Trần Thị Bình")
        )  # fmt: skip
    office.execute(
        c.ConfirmAssessment(**pv.by(pv.COMMUNE_CLERK, date(2026, 11, 3)), liaison_id=confirmed,
                            year=pv.YEAR)
    )  # fmt: skip
    office.execute(
        c.RequestAssessment(**pv.by(pv.CLERK, date(2026, 11, 5)), liaison_id=asked,
                            purpose="admission")
    )  # fmt: skip
    office.execute(
        c.Close(**pv.by(pv.CLERK, date(2026, 11, 6)), liaison_id=expelled,
                reason=ClosingReason.EXPELLED)
    )  # fmt: skip
    return office, [waiting, *attending]


def _kept(projector: Projector, suffix: str = "") -> set[Step]:
    with projector.transaction() as cur:
        cur.execute(
            "SELECT liaison_id, kind, subject, step, unit_id, opens_on, due_on, member_name"
            f" FROM task{suffix}"
        )
        return {tuple(r.values()) for r in cur.fetchall()}


def _worked_out(office: LiaisonOffice, liaisons: list[UUID]) -> set[Step]:
    """Each liaison's deadlines, opened or not, under the policy in force today."""
    found = set()
    for liaison in liaisons:
        state = office.state_of(liaison)
        policy = office.policy(pv.TODAY, state.residence_commune_id)
        for d in open_deadlines(state, policy, SETTLED):
            step = step_awaited(d, state).value
            found.add((liaison, d.kind.value, d.subject, step, d.unit_id, d.opens_on, d.due_on,
                       state.member_name))  # fmt: skip
    return found


def test_the_kept_steps_are_the_deadlines_of_each_state_batch_by_batch_and_in_bulk(
    pg_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    office, liaisons = _store(pg_env)
    expected = _worked_out(office, liaisons)
    assert {s[3] for s in expected} == {
        "receive_at_commune", "record_meeting", "assess", "confirm_assessment", "report_back",
        "provide_assessment", "send_closing_slip",
    }  # fmt: skip
    batch = Projector(pg_env, all_models("_b"), batch=3)
    batch.catch_up()
    assert _kept(batch, "_b") == expected
    monkeypatch.setattr(runner, "BULK_EVENTS", 1)  # any catch-up from zero counts as bulk
    bulk = Projector(pg_env, all_models())
    bulk.catch_up()
    assert _kept(bulk) == expected
    office.execute(  # one more step, kept in the next batch
        c.ReceiveAtCommune(**pv.by(pv.COMMUNE_CLERK, pv.TODAY), liaison_id=liaisons[0],
                           cell_id=pv.CELL)
    )  # fmt: skip
    monkeypatch.setattr(runner, "BULK_EVENTS", 10**9)
    bulk.catch_up()
    assert _kept(bulk) == _worked_out(office, liaisons) != expected
    batch.close()
    bulk.close()
    office.close()


def test_an_override_works_every_liaisons_steps_out_again(pg_env: dict[str, str]) -> None:
    office, liaisons = _store(pg_env)
    projector = Projector(pg_env, all_models())
    projector.catch_up()
    before = _kept(projector)
    for setting, value in (("receipt_days", 10), ("meeting_interval_months", 3)):
        office.execute(
            c.OverridePolicy(**pv.by(pv.ADMIN, date(2026, 11, 20)), province_id=pv.PROVINCE,
                             setting=setting, value=value)
        )  # fmt: skip
    projector.catch_up()
    after = _kept(projector)
    assert after == _worked_out(office, liaisons)
    changed = {s[1] for s in before - after}
    assert changed == {"receipt", "meeting"}  # liaisons no event of the batch touched
    projector.close()
    office.close()


EVERYTHING_KNOWN = datetime(9000, 1, 1, tzinfo=UTC)
"""A known-at time after every record: each step's liaison looked up in the timeline."""


def _unordered(found: Any) -> tuple[list[str], int]:
    """Overdue lines and their count, in no order: lines alike but for their subject (two years'
    reports back) have no order between them, which two plans may give differently."""
    lines, total = found
    return sorted(map(repr, lines)), total


@pytest.mark.parametrize("small_subtree", [1_000_000, 0], ids=["sent its units", "found inside"])
async def test_as_things_stand_a_step_open_by_a_date_says_its_liaison_had_begun(
    pg_url: str, monkeypatch: pytest.MonkeyPatch, small_subtree: int
) -> None:
    """A province's home as things stand reads its overdue steps without looking up, for each,
    whether its liaison had begun by the date (a step opens on the date of one of its liaison's
    events, or after one): the lines are those read with the look-up, for every unit of a demo
    province, on dates three weeks apart while its open steps fall due one after another."""
    monkeypatch.setattr(liaisons, "SMALL_SUBTREE", small_subtree)
    office = LiaisonOffice(env=persistence_env(pg_url), clock=pv.clock)
    demo.load(office, demo.generate(300, seed=5, until=date(2025, 12, 31)))
    office.close()
    projector = Projector(
        persistence_env(pg_url), [MODELS[name]() for name in ("units", "facts", "timeline")]
    )
    projector.catch_up()
    projector.close()
    conn = await reads.connect(pg_url)
    try:
        units = [r[0] for r in await conn.fetch("SELECT unit_id FROM unit ORDER BY 1")]
        lines = []
        days = [date(2024, 6, 1), *(date(2025, 9, 1) + timedelta(weeks=3 * n) for n in range(18))]
        for day in days:
            for unit in units:
                try:
                    read = await liaisons.overdue_steps(conn, Period(unit, day), 5, 1_000)
                except UnknownUnit:
                    continue
                looked_up = Period(unit, day, EVERYTHING_KNOWN)
                assert read is not None
                assert _unordered(read) == _unordered(
                    await liaisons.overdue_steps(conn, looked_up, 5, 1_000)
                )
                lines.append((day, unit, read[1]))
    finally:
        await conn.close()
    assert len({unit for _, unit, _ in lines}) > 10
    by_day = {day: n for day, unit, n in lines if unit == demo_tree.PROVINCE}
    assert by_day[date(2024, 6, 1)] == 0
    assert len(set(by_day.values())) > 5  # steps falling overdue one date after another
