"""Import: bad rows reported and not written, re-runs record nothing, an interrupted run resumes."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from psycopg import sql

from api.messages import render
from application.office import LiaisonOffice
from tests.scale.conftest import SUPERVISOR, TODAY, stored_count
from workers.province import demo
from workers.province.bulk import BulkWriter
from workers.province.importer import Report, Source, import_records
from workers.province.reader import read
from workers.province.records import MemberRecord
from workers.province.writer import write_csv, write_xlsx


def _import(office: LiaisonOffice, records: list[MemberRecord], **kw: object) -> Report:
    return import_records(office, records, Source("test", "d" * 64), SUPERVISOR, TODAY, **kw)  # type: ignore[arg-type]


def _files(tmp_path: Path, records: list[MemberRecord], lang: str = "vi") -> tuple[Path, Path]:
    members, history = tmp_path / "members.csv", tmp_path / "history.csv"
    write_csv(records, members, history, lang)
    return members, history


def _rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f))


def _save(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        csv.writer(f).writerows(rows)


def test_demo_import_then_rerun_is_a_no_op(with_tree: LiaisonOffice, small: demo.Province) -> None:
    first = _import(with_tree, small.records)
    assert first.problems == []
    assert first.valid == len(small.records)
    assert first.events > 1000
    count = stored_count(with_tree)
    again = _import(with_tree, small.records)
    assert again.events == 0
    assert again.problems == []
    assert stored_count(with_tree) == count
    member = with_tree.member_by_card(small.records[0].party_card_number)
    assert member.name == small.records[0].name


def test_interrupted_import_resumes_without_duplicates(
    with_tree: LiaisonOffice, small: demo.Province
) -> None:
    base = stored_count(with_tree)
    # + the import's receipt, the store's namespace (recorded at its first write), and the run's
    # start and completion (`domain.import_run`, not counted among the members' events)
    expected = _import(with_tree, small.records, dry_run=True).events + 4
    assert stored_count(with_tree) == base  # the dry run wrote nothing
    writer = BulkWriter(with_tree)
    writer.fail_after_saves = 2  # of about four saves at MAX_EVENTS_PER_BULK_SAVE
    with pytest.raises(InterruptedError):
        _import(with_tree, small.records, writer=writer)
    assert base < stored_count(with_tree) < base + expected
    resumed = _import(with_tree, small.records)
    assert resumed.problems == []
    assert stored_count(with_tree) == base + expected


def test_csv_and_xlsx_round_trip(
    with_tree: LiaisonOffice, small: demo.Province, tmp_path: Path
) -> None:
    members, history = _files(tmp_path, small.records[:40], "en")
    parsed = read(members, history)
    assert parsed.problems == []
    assert len(parsed.records) == 40
    write_xlsx(small.records[:40], tmp_path / "book.xlsx", "vi")
    from_book = read(tmp_path / "book.xlsx")
    assert from_book.problems == []
    assert len(from_book.records) == 40
    report = _import(with_tree, from_book.records, problems=from_book.problems)
    assert report.problems == []
    assert report.valid == 40


def _problems_of(
    office: LiaisonOffice, members: Path, history: Path | None
) -> tuple[Report, list[tuple[int, str]]]:
    parsed = read(members, history)
    report = _import(office, parsed.records, problems=parsed.problems)
    return report, [(p.where.row, p.where.column) for p in report.problems]


def test_bad_rows_are_reported_and_not_written(
    with_tree: LiaisonOffice, small: demo.Province, tmp_path: Path
) -> None:
    records = [r for r in small.records if r.referred_on and r.cell_received_on][:12]
    members, history = _files(tmp_path, records)
    m, h = _rows(members), _rows(history)
    cards = [row[2] for row in m[1:]]
    m[1][4] = "KHONG-CO"  # unknown workplace unit
    m[2][9] = "01/01/2030"  # referral in the future
    m.append(list(m[3]))  # duplicate member (both rows refused)
    graded = next(
        i
        for i, row in enumerate(h)
        if row[1] == "Đánh giá" and row[3] >= "2021" and row[0] == cards[4]
    )
    h[graded][4] = "Khá"  # a Regulation 76 grade in a Regulation 213 year
    outside = next(i for i, row in enumerate(h) if row[1] == "Đánh giá" and row[0] == cards[5])
    h[outside][4] = "Xuất sắc"  # on no scale at all
    _save(members, m)
    _save(history, h)
    report, where = _problems_of(with_tree, members, history)
    assert (2, "workplace_unit") in where
    assert (3, "referred_on") in where
    assert (4, "party_card_number") in where
    assert (len(m), "party_card_number") in where
    assert (graded + 1, "grade") in where
    assert (outside + 1, "grade") in where
    assert len(where) == 6
    assert all(render(p.message, "vi") != render(p.message, "en") for p in report.problems)
    for card in (cards[0], cards[1], cards[2], cards[4], cards[5]):
        assert with_tree.member_id_for(card) not in with_tree.repository
    assert report.valid == len(records) - 5
    assert with_tree.member_id_for(cards[6]) in with_tree.repository


def test_missing_column_writes_nothing(
    with_tree: LiaisonOffice, small: demo.Province, tmp_path: Path
) -> None:
    members, history = _files(tmp_path, small.records[:5])
    _save(members, [row[:1] + row[2:] for row in _rows(members)])  # no birth date column
    base = stored_count(with_tree)
    report, where = _problems_of(with_tree, members, history)
    assert where == [(1, "birth_date")]
    assert report.valid == 0
    assert stored_count(with_tree) == base  # nothing at all, not even the import's receipt


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("members.txt", b"a,b\n", "Only .csv and .xlsx"),
        ("members.xlsx", b"Name,Birth date\n", "Not an XLSX"),
        ("members.csv", b"H\xf4 v\xe0 t\xean\nNguy\xean\n", "not UTF-8"),
        ("members.csv", b"PK\x03\x04binary", "Not a CSV"),
    ],
)
def test_wrong_file_type_or_encoding(
    tmp_path: Path, name: str, content: bytes, reason: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    parsed = read(path)
    assert parsed.records == []
    assert len(parsed.problems) == 1
    assert reason in render(parsed.problems[0].message, "en")
    assert render(parsed.problems[0].message, "vi")


def test_imported_events_are_marked_as_import(
    with_tree: LiaisonOffice, small: demo.Province
) -> None:
    from domain.imported import imported

    _import(with_tree, small.records[:5])
    events = list(with_tree.events.get(with_tree.member_id_for(small.records[0].party_card_number)))
    assert events
    assert all(imported(e) for e in events)
    assert all(e.comment and e.command_id for e in events)


def test_demo_loads_once(office: LiaisonOffice) -> None:
    first = demo.ensure(office, members=20, seed=9, until=date(2025, 6, 30))
    assert first is not None
    assert first.problems == []
    assert demo.ensure(office, members=20, seed=9) is None  # another day, same seed: left alone


def test_imported_members_are_on_their_cells_rosters(
    with_tree: LiaisonOffice, small: demo.Province
) -> None:
    """The import enters each received member in their cell's book, so that a regular meeting
    recorded later accounts for them too; a re-run enters nobody twice."""
    from uuid import uuid4

    from eventsourcing.application import AggregateNotFoundError

    from domain import commands as cmd
    from domain.cell_book import CellBook, cell_book_id
    from domain.errors import Malformed
    from domain.roles import Actor, Role

    _import(with_tree, small.records)
    books = []
    for cell_id in {r.cell_id for r in small.records if r.cell_id}:
        try:
            books.append(with_tree.repository.get(cell_book_id(cell_id)))
        except AggregateNotFoundError:  # a cell that received nobody has no book
            continue
    assert books
    book = max(books, key=lambda b: len(b.liaison_ids))
    assert isinstance(book, CellBook)
    assert len(book.liaison_ids) == len(set(book.liaison_ids)) > 1
    assert _import(with_tree, small.records).events == 0  # nothing entered twice
    secretary = Actor(id="bithu", role=Role.CELL_SECRETARY, unit_id=book.cell_id)

    def meeting(**fields: object) -> cmd.RecordMeeting:
        return cmd.RecordMeeting(
            command_id=uuid4(), actor=secretary, effective_date=TODAY, cell_id=book.cell_id,
            **fields,  # type: ignore[arg-type]
        )  # fmt: skip

    with pytest.raises(Malformed, match="leaves out"):
        with_tree.execute(meeting())
    held = with_tree.execute(meeting(others_present=True))
    assert (held.listed or 0) > 0


def test_an_import_reads_no_book_one_by_one_and_leaves_its_table_analysed(
    with_tree: LiaisonOffice, small: demo.Province, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A new store's cell books are found absent in one read, not one read a cell (tens of
    thousands in a province, each planned as a scan of the table); the events table is analysed
    for every read that follows (rows appended under the bulk lock wait for autovacuum, and the
    library's read of one aggregate then planned as a parallel scan: 60 ms at 9.9 million)."""
    from domain.cell_book import cell_book_id

    got: list[object] = []
    get = with_tree.repository.get

    def counted(aggregate_id: object, *args: object, **kwargs: object) -> object:
        got.append(aggregate_id)
        return get(aggregate_id, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(with_tree.repository, "get", counted)
    books = {cell_book_id(r.cell_id) for r in small.records if r.cell_id}
    assert _import(with_tree, small.records).events > 0
    assert not books & set(got)
    recorder: Any = with_tree.recorder
    table = sql.Identifier(recorder.datastore.schema, recorder.events_table_name)
    with recorder.datastore.get_connection() as conn, conn.cursor() as cur:
        cur.execute(
            sql.SQL("SELECT reltuples AS n FROM pg_class WHERE oid = {}::regclass").format(
                sql.Literal(table.as_string(conn))
            )
        )
        planned = cur.fetchone()["n"]
        cur.execute(sql.SQL("SELECT count(*) AS n FROM {}").format(table))
        rows = cur.fetchone()["n"]
    assert planned == rows
    assert _import(with_tree, small.records).events == 0
    assert books & set(got)  # a re-run reads the books it enters members in
