"""Dashboard figures against hand-computed expectations, 2019 to 2025 (213, the merger)."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from typing import Any
from uuid import UUID

import psycopg
import pytest

from application.office import LiaisonOffice
from domain import commands as c
from domain.errors import UnknownUnit
from domain.meeting import AttendanceEntry
from domain.organisation import UnitKind
from domain.roles import Actor, Role
from domain.state import Attendance, ClosingReason
from projections import figures as figure_sql
from projections import liaisons, lists, reads
from projections.catalog import all_models
from projections.dashboard import Period, dashboard, figures
from projections.lists import ListQuery, breakdown, members_behind
from projections.log import EVENTS_TABLE
from projections.runner import Projector
from tests.conftest import isolated_schema
from tests.integration import province as pv
from workers.bootstrap import persistence_env
from workers.province import demo
from workers.province.demo_tree import PROVINCE

ADMIN = Actor(id="admin", role=Role.ADMINISTRATOR, unit_id="P")
BOARD = Actor(id="board", role=Role.SUPERVISOR, unit_id="P")
FRONT = "Trần Thị Bình (Ban công tác Mặt trận)"


class Scenario:
    """Four members at workplace W, residence in district D's communes X1/X2, merged into XN."""

    def __init__(self, office: LiaisonOffice) -> None:
        self.o = office
        units = (
            pv.unit("P", UnitKind.PROVINCIAL_COMMITTEE, None),
            pv.unit("W", UnitKind.WORKPLACE_COMMITTEE, "P"),
            pv.unit("D", UnitKind.DISTRICT_COMMITTEE, "P"),
            pv.unit("X1", UnitKind.COMMUNE_COMMITTEE, "D"),
            pv.unit("X2", UnitKind.COMMUNE_COMMITTEE, "D"),
            pv.unit("C1", UnitKind.RESIDENCE_CELL, "X1"),
            pv.unit("C2", UnitKind.RESIDENCE_CELL, "X2"),
        )
        pv.establish(office, units, on=date(2019, 1, 1))
        self.members = {
            n: office.execute(
                c.RegisterMember(
                    **pv.by(BOARD, date(2019, 1, 5)),
                    name=name,
                    birth_date=date(1980, 1, 1),
                    party_card_number=pv.party_card(n),
                    workplace_unit_id="W",
                )
            ).member_id
            for n, name in (
                (1, "Nguyễn Văn An"),
                (2, "Lê Thị Bình"),
                (3, "Đỗ Văn Cường"),
                (4, "Phạm Dũng"),
            )
        }

    def refer(self, n: int, commune: str, cell: str) -> UUID:
        liaison = self.o.execute(
            c.Refer(
                **pv.by(BOARD, date(2019, 1, 10)),
                member_id=self.members[n],
                referral=c.Referral(residence_commune_id=commune),
            )
        ).liaison_id
        self.receive(liaison, cell, date(2019, 1, 20), date(2019, 1, 25))
        return liaison

    def receive(self, liaison: UUID, cell: str, commune_day: date, cell_day: date) -> None:
        self.o.execute(
            c.ReceiveAtCommune(**pv.by(BOARD, commune_day), liaison_id=liaison, cell_id=cell)
        )
        self.o.execute(c.ReceiveAtCell(**pv.by(BOARD, cell_day), liaison_id=liaison))

    def meeting(self, cell: str, day: date, *lines: tuple[UUID, Attendance]) -> None:
        entries = tuple(AttendanceEntry(liaison_id=li, attendance=a) for li, a in lines)
        self.o.execute(c.RecordMeeting(**pv.by(BOARD, day), cell_id=cell, attendance=entries))

    def assess(self, liaison: UUID, year: int, grade: str, day: date, report: bool = False) -> None:
        front = FRONT if year >= 2020 else None
        self.o.execute(
            c.Assess(**pv.by(BOARD, day), liaison_id=liaison, year=year, grade=grade,
                     front_committee_representative=front)
        )  # fmt: skip
        if report:
            self.o.execute(c.ConfirmAssessment(**pv.by(BOARD, day), liaison_id=liaison, year=year))
            self.o.execute(c.ReportBack(**pv.by(BOARD, day), liaison_id=liaison, year=year))

    def open_cycle(self, liaison: UUID, year: int) -> None:
        self.o.execute(c.OpenCycle(**pv.by(BOARD, date(year, 1, 2)), liaison_id=liaison, year=year))


def record(office: LiaisonOffice) -> dict[str, Any]:
    """Record the scenario; return the liaisons and the recording time before M1's 2019 grade."""
    s = Scenario(office)
    o = office
    l1, l2, l4 = s.refer(1, "X1", "C1"), s.refer(2, "X1", "C1"), s.refer(4, "X2", "C2")
    o.execute(
        c.ExemptFromIntroduction(
            **pv.by(BOARD, date(2019, 2, 1)), member_id=s.members[3], reason="secret_mission"
        )
    )
    o.execute(
        c.ExemptFromActivities(**pv.by(BOARD, date(2019, 6, 1)), liaison_id=l4, reason="travelling")
    )
    s.meeting("C1", date(2019, 3, 1), (l1, Attendance.PRESENT), (l2, Attendance.RELATIVE_SENT))
    s.meeting("C1", date(2019, 9, 1), (l1, Attendance.PRESENT), (l2, Attendance.PRESENT))
    r1 = o.execute(
        c.RequestAssessment(
            **pv.by(BOARD, date(2019, 10, 1)), liaison_id=l1, purpose=c.RequestPurpose.PLANNING
        )
    ).request_id
    o.execute(
        c.ProvideAssessment(
            **pv.by(BOARD, date(2019, 10, 10)), liaison_id=l1, request_id=r1, grade="good"
        )
    )
    o.execute(
        c.RequestAssessment(
            **pv.by(BOARD, date(2019, 11, 1)), liaison_id=l2, purpose=c.RequestPurpose.APPOINTMENT
        )
    )
    before_grade = datetime.now(pv.NOW.tzinfo)
    s.assess(l1, 2019, "good", date(2019, 11, 10), report=True)  # M2's 2019 assessment never comes
    for li in (l1, l2):
        s.open_cycle(li, 2020)
    s.meeting(
        "C1", date(2020, 3, 1), (l1, Attendance.PRESENT), (l2, Attendance.ABSENT_WITHOUT_REASON)
    )
    s.assess(l1, 2020, "fulfilled_well", date(2020, 11, 10))
    s.assess(l2, 2020, "not_fulfilled_well", date(2020, 11, 12))
    for li in (l1, l2):
        s.open_cycle(li, 2025)
    l2b = o.execute(
        c.Close(**pv.by(BOARD, date(2025, 3, 1)), liaison_id=l2,
                reason=ClosingReason.MOVED_RESIDENCE,
                successor=c.Referral(residence_commune_id="X2"))
    ).successor_id  # fmt: skip
    assert l2b is not None
    s.receive(l2b, "C2", date(2025, 3, 10), date(2025, 3, 15))
    o.execute(
        c.SucceedUnits(**pv.by(ADMIN, date(2025, 7, 1)), predecessor_ids=("X1", "X2"),
                       successor=pv.unit("XN", UnitKind.COMMUNE_COMMITTEE, "P", date(2025, 7, 1)))
    )  # fmt: skip
    s.meeting("C1", date(2025, 9, 1), (l1, Attendance.PRESENT))
    s.meeting("C2", date(2025, 9, 2), (l2b, Attendance.RELATIVE_SENT))
    s.assess(l1, 2025, "fulfilled_well", date(2025, 11, 10))
    return {"before_grade": before_grade, "l2b": l2b}


@pytest.fixture
def store(pg_env: dict[str, str], pg_url: str) -> tuple[str, dict[str, Any]]:
    office = LiaisonOffice(env=pg_env, clock=pv.clock)
    facts = record(office)
    projector = Projector(pg_env, all_models())
    projector.catch_up()
    projector.close()
    office.close()
    return pg_url, facts


async def _figures(url: str, period: Period) -> dict[str, Any]:
    conn = await reads.connect(url)
    try:
        return (await figures(conn, period)).summary()
    finally:
        await conn.close()


YEAR_END_2019_D = {
    "members_in_scope": 3, "referred": 3, "received_commune": 3, "received_cell": 3,
    "exempt_from_introduction": {}, "exempt_from_activities": {"travelling": 1},
    "meetings_held": 2, "meetings_expected": 2, "attendance": {"present": 3, "relative_sent": 1},
    "attendance_rate": 0.75, "assessments_due": 2, "assessments_returned": 1,
    "assessments_overdue": 1, "reported_back": 1, "requests_open": 1, "requests_overdue": 1,
}  # fmt: skip


async def test_2019_rolls_up_into_the_2019_district(store: tuple[str, dict[str, Any]]) -> None:
    url, _ = store
    got = await _figures(url, Period("D", date(2019, 12, 31)))
    assert {k: got[k] for k in YEAR_END_2019_D} == YEAR_END_2019_D
    assert got["grades"] == {"good": {"label": "Tốt", "count": 1, "percent": 100.0}}
    province = await _figures(url, Period("P", date(2019, 12, 31)))
    assert province["members_in_scope"] == 4  # all four registered at W
    assert province["exempt_from_introduction"] == {"secret_mission": 1}


async def test_2020_under_regulation_213_beside_2019(store: tuple[str, dict[str, Any]]) -> None:
    url, _ = store
    conn = await reads.connect(url)
    board = await dashboard(conn, Period("X1", date(2020, 12, 31)))
    await conn.close()
    now = board["current"]
    assert (now["referred"], now["meetings_held"], now["attendance_rate"]) == (0, 1, 0.5)
    assert now["attendance"] == {"absent_without_reason": 1, "present": 1}
    assert (now["assessments_due"], now["assessments_returned"], now["assessments_overdue"]) == (
        2,
        2,
        0,
    )
    assert {k: v["percent"] for k, v in now["grades"].items()} == {
        "fulfilled_well": 50.0,
        "not_fulfilled_well": 50.0,
    }
    assert (now["requests_open"], now["requests_overdue"]) == (1, 1)
    before = board["previous_year"]
    assert (before["referred"], before["assessments_overdue"], before["members_in_scope"]) == (
        2,
        1,
        2,
    )


async def test_a_dashboard_read_on_two_connections_is_the_one_read_on_one(
    store: tuple[str, dict[str, Any]],
) -> None:
    url, _ = store
    conn, other = await reads.connect(url), await reads.connect(url)
    try:
        middle = await conn.fetchval(
            "SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY recorded_at) FROM fact"
        )
        periods = (
            Period("X1", date(2020, 12, 31)),
            Period("XN", date(2025, 12, 31)),  # no year before: XN did not exist in 2024
            Period("P", date(2021, 6, 30), middle),
            Period("D", date(2019, 12, 31), middle),
        )
        for period in periods:
            assert await dashboard(conn, period, other) == await dashboard(conn, period)
        with pytest.raises(UnknownUnit):  # the year itself refused, as on one connection
            await dashboard(conn, Period("XN", date(2020, 12, 31)), other)
        assert (await conn.fetchval("SELECT 1"), await other.fetchval("SELECT 1")) == (1, 1)
    finally:
        await conn.close()
        await other.close()


async def test_2025_after_the_merger_and_the_move(store: tuple[str, dict[str, Any]]) -> None:
    url, _ = store
    conn = await reads.connect(url)
    board = await dashboard(conn, Period("XN", date(2025, 12, 31)))
    got = board["current"]
    assert board["previous_year"] is None  # XN did not exist in 2024
    assert (got["members_in_scope"], got["referred"], got["received_cell"]) == (3, 1, 1)
    assert got["exempt_from_activities"] == {"travelling": 1}
    assert (got["meetings_held"], got["meetings_expected"], got["attendance_rate"]) == (2, 4, 0.5)
    assert (got["assessments_due"], got["assessments_returned"], got["assessments_overdue"]) == (
        2,
        1,
        1,
    )
    assert (got["requests_open"], got["reported_back"]) == (0, 0)  # the open request closed with L2
    district = (await figures(conn, Period("D", date(2025, 12, 31)))).summary()
    assert (district["members_in_scope"], district["referred"]) == (0, 0)
    overdue = await members_behind(
        conn, Period("XN", date(2025, 12, 31)), ListQuery("assessments_overdue")
    )
    assert [(r["name"], r["stage"]) for r in overdue] == [("Lê Thị Bình", "attending")]
    found = await members_behind(
        conn, Period("P", date(2025, 12, 31)), ListQuery("members_in_scope", name="le thi binh")
    )
    assert [r["party_card_number"] for r in found] == [pv.party_card(2)]
    dd = await members_behind(
        conn, Period("P", date(2019, 12, 31)), ListQuery("exempt_from_introduction", name="do van")
    )
    assert [r["name"] for r in dd] == ["Đỗ Văn Cường"]
    await conn.close()


async def test_what_the_board_knew_before_the_grade_was_recorded(
    store: tuple[str, dict[str, Any]],
) -> None:
    url, facts = store
    then = await _figures(url, Period("D", date(2019, 12, 31), known_at=facts["before_grade"]))
    assert (then["assessments_returned"], then["assessments_overdue"], then["reported_back"]) == (
        0,
        2,
        0,
    )


async def test_as_of_equals_a_projection_of_only_the_events_known_then(
    store: tuple[str, dict[str, Any]], pg_server_url: str
) -> None:
    url, facts = store
    period = Period("D", date(2019, 12, 31), known_at=facts["before_grade"])
    expected = await _figures(url, period)
    conn = await reads.connect(url)
    source = await conn.fetchval("SELECT current_schema()")
    cut = await conn.fetchval(
        "SELECT coalesce(max(notification_id), 0) FROM audit_event WHERE recorded_at <= $1",
        facts["before_grade"],
    )
    await conn.close()
    with isolated_schema(pg_server_url) as other_url:
        env = persistence_env(other_url)
        LiaisonOffice(env=env, clock=pv.clock)  # creates the empty events table
        copy = Projector(env, all_models())
        with copy.transaction() as cur:
            cur.execute(
                f"INSERT INTO {EVENTS_TABLE} SELECT * FROM {source}.{EVENTS_TABLE}"
                " WHERE notification_id <= %s",
                (cut,),
            )
        copy.catch_up()
        copy.close()
        rebuilt = await _figures(other_url, Period("D", date(2019, 12, 31)))
    assert {k: v for k, v in rebuilt.items() if k != "known_at"} == {
        k: v for k, v in expected.items() if k != "known_at"
    }


async def test_small_and_large_subtrees_are_read_alike(
    store: tuple[str, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every unit, looked up through the unit indexes and through a hashed scan: the same rows."""
    url, _ = store
    conn = await reads.connect(url)
    try:
        units = sorted(r["unit_id"] for r in await conn.fetch("SELECT unit_id FROM unit_ancestry"))
        answers: dict[int, list[Any]] = {}
        for small in (0, 1_000_000):
            monkeypatch.setattr(figure_sql, "SMALL_SUBTREE", small)
            got: list[Any] = answers.setdefault(small, [])
            for unit in dict.fromkeys(units):
                for day in (date(2019, 12, 31), date(2025, 12, 31)):
                    period = Period(unit, day)
                    try:
                        summary = (await figures(conn, period)).summary()
                    except UnknownUnit:
                        continue
                    listed = ListQuery("members_in_scope", page_size=1000)
                    got.append((
                        unit, day, summary, await liaisons.stages(conn, period),
                        await liaisons.latest_states(conn, period),
                        await members_behind(conn, period, listed),
                        await breakdown(conn, period, "attendance"),
                    ))  # fmt: skip
    finally:
        await conn.close()
    assert answers[0] == answers[1_000_000]
    assert sum(a[2]["members_in_scope"] for a in answers[0]) > 0
    assert len({a[0] for a in answers[0]}) > 3


async def test_a_list_not_narrowed_by_stage_works_out_the_stages_of_its_page_alone(
    store: tuple[str, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A list asked without a stage or overdue filter is paged before each row's stage and
    overdue are worked out: the same rows, stages and overdue as working them out for every row
    first, for every figure, unit and date of the scenario, whole and a page at a time."""
    url, _ = store
    conn = await reads.connect(url)
    units = sorted({r["unit_id"] for r in await conn.fetch("SELECT unit_id FROM unit_ancestry")})
    asked = [
        (Period(unit, day), ListQuery(figure, page=page, page_size=size))
        for unit in units
        for day in (date(2019, 12, 31), date(2025, 12, 31))
        for figure in figure_sql.FIGURES
        for page, size in ((1, 10_000), (2, 3))
    ]

    async def lists_of() -> list[Any]:
        found = []
        for period, query in asked:
            try:
                rows = await members_behind(conn, period, query)
            except UnknownUnit:
                continue
            found.append(sorted(map(repr, rows)) if query.page_size > 3 else len(rows))
        return found

    try:
        paged_first = await lists_of()
        every_row_first = lists._page
        monkeypatch.setattr(lists, "_page", lambda figure, _: every_row_first(figure, True))
        assert await lists_of() == paged_first
    finally:
        await conn.close()
    whole = [row for f in paged_first if isinstance(f, list) for row in f]
    assert len(whole) > 100
    assert any("'stage': 'attending'" in row for row in whole)
    assert any("'overdue': True" in row for row in whole)


@pytest.fixture
def demo_store(pg_env: dict[str, str], pg_url: str) -> str:
    """A 60-member demo province (seed 5) to the end of 2025, every read model caught up."""
    office = LiaisonOffice(env=pg_env, clock=pv.clock)
    demo.load(office, demo.generate(60, seed=5, until=date(2025, 12, 31)))
    office.close()
    projector = Projector(pg_env, all_models())
    projector.catch_up()
    projector.close()
    return pg_url


async def _largest_commune_and_middle(conn: Any) -> tuple[str, datetime]:
    """The commune that received most referrals, and when half the facts had been recorded."""
    commune = await conn.fetchval(
        "SELECT unit_id FROM fact WHERE kind = 'received_commune'"
        " GROUP BY unit_id ORDER BY count(*) DESC, unit_id LIMIT 1"
    )
    middle = await conn.fetchval(
        "SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY recorded_at) FROM fact"
    )
    return commune, middle


async def test_a_list_found_by_walking_the_members_by_name_is_the_list(
    demo_store: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A page found by walking the members by name, a stretch at a time (a province's list),
    holds the rows of the same page with every row worked out: for every figure of the province
    and of its largest commune, as things stand and as known at a past time, narrowed or not,
    page after page, the walk's first stretch as short as a page."""
    conn = await reads.connect(demo_store)
    commune, middle = await _largest_commune_and_middle(conn)
    await conn.execute(_UNRECORDED)  # a row sorted after every member's, on the last page
    periods = [
        Period(unit, day, known_at)
        for unit in (PROVINCE, commune)
        for day, known_at in (
            (date(2023, 12, 31), None), (date(2025, 12, 31), None), (date(2025, 12, 31), middle)
        )
    ]  # fmt: skip
    asked = [
        (period, ListQuery(figure, page=page, page_size=size, peek=True, **narrowed))
        for period in periods
        for figure in figure_sql.FIGURES
        for narrowed in ({}, {"overdue": False}, {"name": "n"})
        for page, size in ((1, 5), (2, 5), (3, 7), (1, 500))
    ]
    walks: list[bool] = []
    walk = lists._walk

    async def counted(*args: Any) -> Any:
        found = await walk(*args)
        walks.append(found is not None)
        return found

    async def lists_of() -> list[Any]:
        return [await members_behind(conn, period, query) for period, query in asked]

    monkeypatch.setattr(lists, "_walk", counted)
    monkeypatch.setattr(lists, "SMALL_SUBTREE", 0)
    monkeypatch.setattr(lists, "WALK_FROM", 0)  # the commune's lists walked too
    monkeypatch.setattr(lists, "WALK_SPREAD", 1)
    monkeypatch.setattr(lists, "WALK_FIRST", 1)
    try:
        walked = await lists_of()
        found = sum(walks)
        monkeypatch.setattr(lists, "WALK_MOST", 0)  # every row worked out
        assert await lists_of() == walked
    finally:
        await conn.close()
    assert found > 100, (found, len(walks))
    assert sum(len(rows) for rows in walked) > 1000


class _Racing:
    """A read connection on which a member is recorded (by `writer`) just after each walk reads
    its first stretch's end, named so as to fall inside that stretch."""

    def __init__(self, conn: Any, writer: Any) -> None:
        self.conn, self.writer, self.recorded = conn, writer, 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.conn, name)

    async def fetchrow(self, query: str, *args: Any) -> Any:
        row = await self.conn.fetchrow(query, *args)
        if query == lists._BOUND and args[0] is None:
            self.recorded += 1
            self.writer.execute(
                "INSERT INTO member (member_id, name, name_folded, party_card_number,"
                " workplace_unit_id, search_keys) SELECT gen_random_uuid(), 'Z', name_folded"
                " || ' z' || %s, 'X', workplace_unit_id, '{}' FROM member"
                " ORDER BY name_folded, member_id LIMIT 1",
                (self.recorded,),
            )
        return row


async def test_a_member_recorded_while_a_list_is_walked_takes_no_one_s_place(
    demo_store: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A walk reads each stretch's end, then its rows: a member recorded between the two (an
    import going on), named inside the stretch, once pushed the stretch's last member out of it
    and out of the next, their rows missing from the page."""
    monkeypatch.setattr(lists, "SMALL_SUBTREE", 0)  # the small province's lists walked
    monkeypatch.setattr(lists, "WALK_SPREAD", 0)
    monkeypatch.setattr(lists, "WALK_FIRST", 3)  # stretches of three members, then more
    conn = await reads.connect(demo_store)
    period = Period(PROVINCE, date(2025, 12, 31))
    pages = [ListQuery("members_in_scope", page=page, page_size=5) for page in (1, 2, 3)]
    try:
        with psycopg.connect(demo_store, autocommit=True) as writer:
            racing = _Racing(conn, writer)
            walked = [await members_behind(racing, period, query) for query in pages]
        assert racing.recorded == len(pages)
        monkeypatch.setattr(lists, "WALK_MOST", 0)
        assert [await members_behind(conn, period, query) for query in pages] == walked
    finally:
        await conn.close()


async def test_every_row_behind_a_figure_read_by_an_export_is_the_list(
    demo_store: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An export reads every row behind a figure (`every_member_behind`) through one cursor, a
    batch at a time: together the batches are the list's rows in its order, each once, a row
    naming a member the facts model never recorded among them: for every figure of the province
    and of its largest commune, as things stand and as known at a past time, narrowed or not."""
    conn = await reads.connect(demo_store)
    commune, middle = await _largest_commune_and_middle(conn)
    await conn.execute(_UNRECORDED)
    periods = [
        Period(unit, day, known_at)
        for unit in (PROVINCE, commune)
        for day, known_at in ((date(2025, 12, 31), None), (date(2025, 12, 31), middle))
    ]
    asked = [
        (period, ListQuery(figure, page_size=size, **narrowed))
        for period in periods
        for figure in figure_sql.FIGURES
        for narrowed in ({}, {"overdue": False})
        for size in (4, 25)
    ]

    async def every_row(period: Period, query: ListQuery) -> list[Any]:
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            batches = [b async for b in lists.every_member_behind(conn, period, query)]
        assert all(0 < len(b) <= query.page_size for b in batches)
        return [row for batch in batches for row in batch]

    async def pages(period: Period, query: ListQuery) -> list[Any]:
        listed, page = [], 1
        while rows := await members_behind(conn, period, dataclasses.replace(query, page=page)):
            listed.extend(rows)
            page += 1
        return listed

    monkeypatch.setattr(lists, "SMALL_SUBTREE", 0)
    monkeypatch.setattr(lists, "WALK_FROM", 0)  # the board's pages walked, here and at the commune
    try:
        for period, query in asked:
            assert await every_row(period, query) == await pages(period, query), query
        every = await every_row(periods[0], ListQuery("members_in_scope", page_size=7))
    finally:
        await conn.close()
    assert every[-1]["name"] is None  # the member never recorded, listed last
    assert len(every) > 50


_UNRECORDED = (
    "INSERT INTO fact (notification_id, seq, kind, member_id, workplace_id, effective_date,"
    " recorded_at) SELECT (SELECT max(notification_id) + 1 FROM fact), 0, 'registered',"
    " gen_random_uuid(), workplace_id, DATE '2020-01-01', now() FROM fact"
    " WHERE kind = 'registered' LIMIT 1"
)
"""A registration at a workplace of the province of a member the facts model never recorded."""


async def test_a_figure_broken_down_by_unit_counts_its_list_by_unit(
    store: tuple[str, dict[str, Any]],
) -> None:
    """The overdue chart's bars (a figure by unit) add up each unit's rows of the figure's list,
    for every figure, unit and date of the scenario."""
    url, _ = store
    conn = await reads.connect(url)
    compared = 0
    try:
        units = sorted(
            {r["unit_id"] for r in await conn.fetch("SELECT unit_id FROM unit_ancestry")}
        )
        for unit in units:
            for day in (date(2019, 12, 31), date(2025, 12, 31)):
                period = Period(unit, day)
                for figure in figure_sql.FIGURES:
                    try:
                        listed = await members_behind(
                            conn, period, ListQuery(figure, page_size=10_000)
                        )
                    except UnknownUnit:
                        break
                    by_unit: dict[str, int] = {}
                    for row in listed:
                        if row["unit_id"] is not None:
                            by_unit[row["unit_id"]] = by_unit.get(row["unit_id"], 0) + 1
                    assert await breakdown(conn, period, figure) == by_unit, (
                        unit, day, figure,
                    )  # fmt: skip
                    compared += sum(by_unit.values())
    finally:
        await conn.close()
    assert compared > 100


async def test_a_member_registered_and_never_referred_is_a_late_referral(
    pg_env: dict[str, str], pg_url: str
) -> None:
    """Late referral, the articles' first complaint: counted after the policy's 30 days, until
    the member is referred or exempted from introduction, the list naming them."""
    office = LiaisonOffice(env=pg_env, clock=pv.clock)
    s = Scenario(office)  # four members registered on 5 January 2019
    s.refer(1, "X1", "C1")  # referred on 10 January
    office.execute(
        c.ExemptFromIntroduction(**pv.by(BOARD, date(2019, 1, 20)), member_id=s.members[2],
                                 reason="secret_mission")
    )  # fmt: skip
    office.execute(
        c.Refer(**pv.by(BOARD, date(2019, 3, 1)), member_id=s.members[3],
                referral=c.Referral(residence_commune_id="X2"))
    )  # fmt: skip
    projector = Projector(pg_env, all_models())
    projector.catch_up()
    projector.close()
    expected = {date(2019, 2, 4): 0, date(2019, 2, 5): 2, date(2019, 3, 1): 1, date(2019, 6, 1): 1}
    conn = await reads.connect(pg_url)
    try:
        for day, late in expected.items():
            period = Period("P", day)
            assert (await figures(conn, period)).summary()["referrals_late"] == late, day
            rows = await members_behind(conn, period, ListQuery("referrals_late"))
            assert len(rows) == late
        rows = await members_behind(
            conn, Period("P", date(2019, 6, 1)), ListQuery("referrals_late")
        )
        assert [r["name"] for r in rows] == ["Phạm Dũng"]
    finally:
        await conn.close()


async def test_a_provinces_referral_days_are_the_late_referrals_deadline(
    pg_env: dict[str, str], pg_url: str
) -> None:
    """A province that gives its workplaces 60 days (`referral_days`, through the policy) sees a
    member registered on 5 January late from 7 March, not from 5 February."""
    office = LiaisonOffice(env=pg_env, clock=pv.clock)
    try:
        pv.establish(
            office,
            (
                pv.unit("P", UnitKind.PROVINCIAL_COMMITTEE, None),
                pv.unit("W", UnitKind.WORKPLACE_COMMITTEE, "P"),
            ),
            on=date(2019, 1, 1),
        )
        office.execute(
            c.OverridePolicy(**pv.by(ADMIN, date(2019, 1, 1)), province_id="P",
                             setting="referral_days", value=60)
        )  # fmt: skip
        member_id = office.execute(
            c.RegisterMember(**pv.by(BOARD, date(2019, 1, 5)), name="Nguyễn Văn An",
                             birth_date=date(1980, 1, 1), party_card_number=pv.party_card(1),
                             workplace_unit_id="W")
        ).member_id  # fmt: skip
        assert member_id is not None
        due = office.referral_due(member_id)
        assert due is not None
        assert (due.due_on, due.unit_id) == (date(2019, 3, 6), "W")
        projector = Projector(pg_env, all_models())
        projector.catch_up()
        projector.close()
    finally:
        office.close()
    conn = await reads.connect(pg_url)
    try:
        for day, late in {date(2019, 2, 5): 0, date(2019, 3, 6): 0, date(2019, 3, 7): 1}.items():
            assert (await figures(conn, Period("P", day))).summary()["referrals_late"] == late, day
    finally:
        await conn.close()
