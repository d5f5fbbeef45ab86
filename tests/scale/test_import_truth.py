"""The import tells the truth as the office does: steps out of order, cards and CCCD numbers not
in their real formats, each refused at the row and column it lies in, nothing of that member
written, the rest written once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import openpyxl  # type: ignore[import-untyped]
import pytest

from api.messages import render
from application.office import LiaisonOffice
from domain.roles import Role, may_import
from tests.scale.conftest import SUPERVISOR as SCALE_SUPERVISOR
from tests.scale.conftest import TODAY, stored_count
from tests.unit.conftest import (
    CLERK_X1,
    CLERK_Y,
    SEC_C1,
    SUPERVISOR,
    World,
    build_world,
    event_count,
)
from workers.province import demo
from workers.province.columns import MEMBERS, heading
from workers.province.importer import Source, import_records
from workers.province.reader import read
from workers.province.records import Fact, MemberRecord
from workers.province.writer import write_csv, write_xlsx


@pytest.fixture
def world(pg_env: dict[str, str]) -> World:
    """The unit tests' tree on a fresh PostgreSQL schema (the import writes through SQL)."""
    return build_world(env=pg_env)


def _record(row: int, card: str, *facts: Fact) -> MemberRecord:
    return MemberRecord(
        row=row,
        name="Lê Văn Nhập",
        birth_date=date(1980, 1, 1),
        party_card_number=card,
        workplace_unit_id="W",
        commune_id="X1",
        cell_id="C1",
        referred_on=date(2021, 1, 10),
        commune_received_on=date(2021, 1, 20),
        cell_received_on=date(2021, 1, 25),
        facts=list(facts),
    )


def _assessment(row: int, day: date, **kw: object) -> Fact:
    return Fact(row, "assessment", day, year=2021, grade="fulfilled_well",
                front_representative="Trần Thị B", **kw)  # type: ignore[arg-type]  # fmt: skip


def test_the_import_refuses_steps_out_of_order_and_writes_nothing_of_them(world: World) -> None:
    records = [
        _record(2, "93100001", _assessment(2, date(2021, 3, 1))),
        _record(3, "93100002", _assessment(3, date(2021, 11, 10), confirmed_on=date(2021, 11, 5))),
        _record(
            4,
            "93100003",
            _assessment(
                4,
                date(2021, 11, 10),
                confirmed_on=date(2021, 11, 12),
                reported_on=date(2021, 11, 11),
            ),
        ),
        _record(5, "93100004", _assessment(5, date(2021, 12, 20))),
        _record(6, "93100005", Fact(6, "meeting", date(2021, 1, 22), attendance="present")),
        _record(7, "93100006", _assessment(7, date(2021, 12, 20), reason="Lũ lụt, họp muộn")),
    ]
    records[4].cell_received_on = date(2021, 1, 25)
    bad = _record(8, "93100007")
    bad.cell_received_on = date(2021, 1, 15)  # before the commune's receipt
    records.append(bad)
    before = event_count(world.office)
    source = Source("test", "e" * 64)
    check = import_records(world.office, records, source, SUPERVISOR, world.today, dry_run=True)
    assert event_count(world.office) == before
    report = import_records(world.office, records, source, SUPERVISOR, world.today)
    assert [p.where for p in check.problems] == [p.where for p in report.problems]
    where = sorted((p.where.table, p.where.row, p.where.column, p.code) for p in report.problems)
    assert where == [
        ("history", 2, "date", "outside_window"),
        ("history", 3, "confirmed_on", "out_of_order"),
        ("history", 4, "reported_on", "out_of_order"),
        ("history", 5, "date", "outside_window"),
        ("history", 6, "date", "out_of_order"),
        ("members", 8, "cell_received_on", "out_of_order"),
    ]
    assert report.valid == 1  # the late assessment with its reason
    written = event_count(world.office)
    again = import_records(world.office, records, source, SUPERVISOR, world.today)
    assert again.events == 0
    assert event_count(world.office) == written


def test_the_import_refuses_cards_and_citizen_ids_not_in_their_formats(world: World) -> None:
    good = _record(2, "93200001")
    letter_o = _record(3, "7501O774")
    cccd = _record(4, "93200003")
    cccd.citizen_id = "03608500123"  # eleven digits
    before = event_count(world.office)
    report = import_records(
        world.office, [good, letter_o, cccd], Source("test", "f" * 64), SUPERVISOR, world.today
    )
    where = sorted((p.where.row, p.where.column, p.where.value) for p in report.problems)
    assert where == [
        (3, "party_card_number", "7501O774"),
        (4, "citizen_id", "03608500123"),
    ]
    said = {p.where.row: render(p.message, "vi") for p in report.problems}
    assert "chỉ gồm chữ số" in said[3]
    assert "12 chữ số" in said[4]
    assert report.valid == 1
    assert event_count(world.office) > before
    assert world.office.member_id_for("93200003") not in world.office.repository


def _clerks_book(records: list[MemberRecord], folder: Path, blank: tuple[int, ...]) -> Any:
    """The template of these records as a clerk keeps it: a merged title above the headings (on
    row 3), and blank rows at those rows; the workbook and its members sheet."""
    write_xlsx(records, folder / "template.xlsx", "vi")
    book = openpyxl.load_workbook(folder / "template.xlsx")
    sheet = book["Đảng viên"]
    sheet.insert_rows(1, 2)
    sheet["A1"] = "DANH SÁCH ĐẢNG VIÊN ĐANG CÔNG TÁC GIỚI THIỆU VỀ NƠI CƯ TRÚ"
    sheet.merge_cells("A1:H1")
    for row in blank:
        sheet.insert_rows(row)
    return book, sheet


def test_a_clerks_workbook_with_a_title_row_and_blank_rows_is_read_where_excel_shows_it(
    with_tree: LiaisonOffice, small: demo.Province, tmp_path: Path
) -> None:
    """Headings on row 3 under a merged title, blank rows between members: each problem is
    reported on the row Excel numbers, the rest written, a re-run writing nothing."""
    records = [r for r in small.records if r.referred_on and r.cell_received_on][:6]
    # Blank rows after the second member (rows 4, 5; blank 6) and the fourth (7, 8; blank 9).
    book, sheet = _clerks_book(records, tmp_path, blank=(6, 9))
    workplace = next(
        i for i, cell in enumerate(sheet[3], start=1) if cell.value == "Mã đơn vị công tác"
    )
    sheet.cell(row=10, column=workplace, value="KHONG-CO")
    book.save(tmp_path / "clerk.xlsx")
    parsed = read(tmp_path / "clerk.xlsx")
    assert parsed.problems == []
    assert len(parsed.records) == 6
    report = import_records(
        with_tree, parsed.records, Source("clerk", parsed.digest), SCALE_SUPERVISOR, TODAY,
        problems=parsed.problems,
    )  # fmt: skip
    assert [(p.where.row, p.where.column) for p in report.problems] == [(10, "workplace_unit")]
    assert report.valid == 5
    again = import_records(
        with_tree, parsed.records, Source("clerk", parsed.digest), SCALE_SUPERVISOR, TODAY
    )
    assert again.events == 0


def test_a_history_file_beside_a_workbook_is_read_not_ignored(
    small: demo.Province, tmp_path: Path
) -> None:
    records = [r for r in small.records if r.facts][:4]
    write_xlsx(records, tmp_path / "book.xlsx", "vi")
    write_csv(records, tmp_path / "members.csv", tmp_path / "history.csv", "vi")
    facts = sum(len(r.facts) for r in read(tmp_path / "book.xlsx").records)
    assert facts > 0
    twice = read(tmp_path / "book.xlsx", tmp_path / "history.csv")
    assert [p.where.table for p in twice.problems] == ["history"]  # given twice: said, not merged
    book = openpyxl.load_workbook(tmp_path / "book.xlsx")
    book["Lịch sử"].delete_rows(2, book["Lịch sử"].max_row)
    book.save(tmp_path / "members-only.xlsx")
    alone = read(tmp_path / "members-only.xlsx")
    assert sum(len(r.facts) for r in alone.records) == 0
    beside = read(tmp_path / "members-only.xlsx", tmp_path / "history.csv")
    assert beside.problems == []
    assert sum(len(r.facts) for r in beside.records) == facts


def _marked(marker: str) -> list[int]:
    """The processes whose environment carries the marker (the import and all it started)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker.encode() in (entry / "environ").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="reads /proc (Linux)")
def test_an_import_killed_half_way_leaves_no_process_behind(pg_env: dict[str, str]) -> None:
    marker = f"LIAISON_KILLED_IMPORT={uuid4()}"
    env = {**os.environ, marker.split("=", maxsplit=1)[0]: marker.split("=")[1]}
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.scale.killed_import", json.dumps(pg_env), "1200"],
        stdout=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    assert child.stdout is not None
    try:
        for line in child.stdout:
            done, total = (int(n) for n in line.split())
            if done * 2 >= total:
                break
        else:
            raise AssertionError("the import ended before half way")
        assert len(_marked(marker)) >= 3  # the import, the forkserver and its builders
        child.send_signal(signal.SIGKILL)
        child.wait(5)
        deadline = time.monotonic() + 5
        while _marked(marker) and time.monotonic() < deadline:
            time.sleep(0.2)
        left = {pid: Path(f"/proc/{pid}/cmdline").read_bytes()[:120] for pid in _marked(marker)}
        assert left == {}
    finally:
        child.kill()


def test_a_future_referral_is_blamed_on_its_date_not_the_workplace(world: World) -> None:
    future = _record(2, "93300001")
    future.referred_on = date(2030, 1, 1)
    future.commune_received_on = future.cell_received_on = None
    report = import_records(
        world.office, [future], Source("test", "a" * 64), SUPERVISOR, world.today, dry_run=True
    )
    assert [(p.where.row, p.where.column, p.code) for p in report.problems] == [
        (2, "referred_on", "future_date")
    ]


def test_a_problem_shows_the_grade_as_the_clerk_typed_it(world: World) -> None:
    typed = Fact(3, "assessment", date(2021, 11, 10), year=2021, grade="good",
                 front_representative="Trần Thị B", typed={"grade": "Tốt"})  # fmt: skip
    report = import_records(
        world.office, [_record(2, "93400001", typed)], Source("test", "b" * 64), SUPERVISOR,
        world.today, dry_run=True,
    )  # fmt: skip
    (problem,) = report.problems
    assert (problem.where.row, problem.where.column, problem.where.value) == (3, "grade", "Tốt")
    assert problem.code == "grade_not_in_scale"


def test_a_commune_clerk_imports_the_members_residing_in_its_commune(world: World) -> None:
    """X1's clerk brings in its book: a member residing in X1 (received into its cell C1, with a
    meeting) is written; one residing in commune Y, and a workplace's member never referred, are
    refused at their rows as outside its units, nothing of them written; a re-run writes nothing."""
    clerk = CLERK_X1
    ours = _record(2, "93300001", Fact(2, "meeting", date(2021, 6, 1), attendance="present"))
    elsewhere = _record(3, "93300002")
    elsewhere.commune_id, elsewhere.cell_id = "Y", "Y1"
    unreferred = _record(4, "93300003")
    unreferred.referred_on = unreferred.commune_received_on = unreferred.cell_received_on = None
    unreferred.commune_id = unreferred.cell_id = None
    unreferred.registered_on = date(2021, 1, 5)
    records = [ours, elsewhere, unreferred]
    source = Source("book", "a" * 64)
    report = import_records(world.office, records, source, clerk, world.today)
    assert sorted((p.where.row, p.where.column, p.code) for p in report.problems) == [
        (3, "workplace_unit", "out_of_scope"),
        (4, "workplace_unit", "out_of_scope"),
    ], [render(p.message, "en") for p in report.problems]
    assert report.valid == 1
    member_id = world.office.member_id_for("93300001")
    state = world.office.state_of(world.office.member(member_id).liaison_ids[0])
    assert (state.residence_commune_id, state.cell_id, len(state.meetings)) == ("X1", "C1", 1)
    for card in ("93300002", "93300003"):
        assert world.office.member_id_for(card) not in world.office.repository
    written = event_count(world.office)
    again = import_records(world.office, records, source, clerk, world.today)
    assert again.events == 0
    assert [p.where.row for p in again.problems] == [3, 4]
    assert event_count(world.office) == written
    # Y's clerk may not add to X1's member by naming the card in a file of its own.
    theirs = _record(2, "93300001", Fact(2, "meeting", date(2021, 9, 1), attendance="present"))
    theirs.commune_id, theirs.cell_id = "Y", "Y1"
    stolen = import_records(world.office, [theirs], Source("y", "b" * 64), CLERK_Y, world.today)
    assert stolen.valid == 0
    assert event_count(world.office) == written


def test_a_cell_secretary_imports_nothing(world: World) -> None:
    """The roles that import: those that register members, and the keeper of a commune's book;
    a cell secretary's rows are refused as outside its units, nothing written."""
    assert [r for r in Role if may_import(r)] == [
        Role.WORKPLACE_CLERK,
        Role.COMMUNE_CLERK,
        Role.COMMITTEE_MEMBER,
        Role.SUPERVISOR,
    ]
    before = event_count(world.office)
    report = import_records(
        world.office, [_record(2, "93400001")], Source("s", "c" * 64), SEC_C1, world.today
    )
    assert [(p.where.row, p.code) for p in report.problems] == [(2, "out_of_scope")]
    assert event_count(world.office) == before


SEVEN_KINDS = {
    # row: (column key, value typed, what is wrong)
    4: ("party_card_number", "7501O774", "a letter O among the card's digits"),
    5: ("citizen_id", "03608500123", "a CCCD of eleven digits"),
    7: ("workplace_unit", "KHONG-CO", "a workplace that does not exist"),
    8: ("referred_on", datetime(2030, 1, 1), "a referral in the future"),
    10: ("birth_date", datetime(2030, 5, 1), "born in the future"),
    11: ("cell_received_on", None, "received by the cell before the commune"),
    13: ("residence_cell", None, "a cell of another commune"),
}
"""The hand-written book's bad rows, one of each kind, at the rows Excel shows (blank rows 6, 9
and 12 between members; headings on row 3 under a merged title)."""


def test_a_clerks_book_with_seven_kinds_of_bad_row(
    with_tree: LiaisonOffice, small: demo.Province, tmp_path: Path
) -> None:
    """Each bad row is reported at the row and column Excel shows, nothing of it written; the
    good rows are written; a re-run writes nothing and reports the same problems."""
    records = [r for r in small.records if r.referred_on and r.cell_received_on]
    records = [r for r in records if r.commune_received_on != r.cell_received_on][:10]
    other_cell = next(
        r.cell_id for r in small.records if r.cell_id and r.commune_id != records[6].commune_id
    )
    book, sheet = _clerks_book(records, tmp_path, blank=(6, 9, 12))  # members 4-5, 7-8, …
    column = {cell.value: i for i, cell in enumerate(sheet[3], start=1)}

    def at(row: int, key: str) -> Any:
        return sheet.cell(row=row, column=column[heading(MEMBERS, key, "vi")])

    for row, (key, wrong, _) in SEVEN_KINDS.items():
        value = wrong
        if key == "cell_received_on":
            typed = at(row, "commune_received_on").value  # dd/mm/yyyy, as the clerk writes
            day = datetime.strptime(typed, "%d/%m/%Y") if isinstance(typed, str) else typed
            value = (day - timedelta(days=1)).strftime("%d/%m/%Y")
        elif key == "residence_cell":
            value = other_cell
        at(row, key).value = value
    bad_cards = {str(at(row, "party_card_number").value) for row in SEVEN_KINDS}
    book.save(tmp_path / "clerk.xlsx")

    parsed = read(tmp_path / "clerk.xlsx")
    before = stored_count(with_tree)
    report = import_records(
        with_tree, parsed.records, Source("clerk", parsed.digest), SCALE_SUPERVISOR, TODAY,
        problems=parsed.problems,
    )  # fmt: skip
    found = sorted(
        (p.where.row, p.where.column) for p in report.problems if p.where.table == MEMBERS
    )
    assert found == sorted((row, key) for row, (key, _, _) in SEVEN_KINDS.items()), [
        (p.where.table, p.where.row, p.where.column, render(p.message, "en"))
        for p in report.problems
    ]
    # Their history rows are refused with them, each saying its member was not written.
    orphans = {render(p.message, "en") for p in report.problems if p.where.table != MEMBERS}
    assert orphans <= {"No valid member with this card in the members table."}, orphans
    assert report.valid == 3
    for card in bad_cards:
        assert with_tree.member_id_for(card) not in with_tree.repository, card
    written = stored_count(with_tree)
    assert written > before
    again = import_records(
        with_tree, parsed.records, Source("clerk", parsed.digest), SCALE_SUPERVISOR, TODAY,
        problems=parsed.problems,
    )  # fmt: skip
    assert again.events == 0
    assert [p.where for p in again.problems] == [p.where for p in report.problems]
    assert stored_count(with_tree) == written
