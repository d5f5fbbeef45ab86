"""The reader's limits: a zip bomb refused by its directory, a lying one by a counted read, and
every table capped in rows and columns, CSV and XLSX alike."""

from __future__ import annotations

import csv
import struct
import time
import zipfile
from datetime import date
from pathlib import Path

import pytest

from api.messages import render
from domain.errors import Language
from workers.province import demo
from workers.province.reader import Limits, read, screen_xlsx
from workers.province.records import MemberRecord, Problem, RowError
from workers.province.writer import write_csv, write_xlsx

MiB = 2**20
SHEET = "xl/worksheets/sheet1.xml"


def zip_bomb(path: Path, xml_bytes: int = 300 * MiB) -> Path:
    """The template workbook with its members sheet grown to `xml_bytes` of one repeated row.

    Written in 1 MiB blocks, so building it costs the test a few MB however large the sheet.
    """
    template = path.with_name(f"{path.stem}-template.xlsx")
    write_xlsx(demo.examples()[:1], template, "en")
    row = b"<row>" + b'<c t="inlineStr"><is><t>Nguyen Van A</t></is></c>' * 15 + b"</row>"
    block = row * (MiB // len(row))
    with (
        zipfile.ZipFile(template) as source,
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as out,
    ):
        for info in source.infolist():
            if info.filename != SHEET:
                out.writestr(info, source.read(info))
                continue
            head = source.read(info).split(b"<sheetData>")[0] + b"<sheetData>"
            with out.open(SHEET, "w") as sheet:
                sheet.write(head)
                written = len(head)
                while written < xml_bytes:
                    sheet.write(block)
                    written += len(block)
                sheet.write(b"</sheetData></worksheet>")
    template.unlink()
    return path


def lie_about(path: Path, part: str, declared: int) -> Path:
    """Rewrite the part's uncompressed size in its local and central headers to `declared`."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as book:
        info = book.getinfo(part)
    struct.pack_into("<I", data, info.header_offset + 22, declared)
    at = data.find(b"PK\x01\x02")
    while at >= 0:
        length = struct.unpack_from("<H", data, at + 28)[0]
        if bytes(data[at + 46 : at + 46 + length]) == part.encode():
            struct.pack_into("<I", data, at + 24, declared)
        at = data.find(b"PK\x01\x02", at + 46)
    path.write_bytes(bytes(data))
    return path


@pytest.fixture(scope="module")
def bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 1.2 MB workbook whose members sheet is 300 MB of XML (about 250:1)."""
    return zip_bomb(tmp_path_factory.mktemp("bomb") / "members.xlsx")


@pytest.fixture(scope="module")
def records() -> list[MemberRecord]:
    """Twelve demo members with their history."""
    return demo.generate(30, seed=7, until=date(2025, 12, 31)).records[:12]


@pytest.fixture
def csv_files(records: list[MemberRecord], tmp_path: Path) -> tuple[Path, Path]:
    """The twelve members written as the members and history CSV files, in English."""
    members, history = tmp_path / "members.csv", tmp_path / "history.csv"
    write_csv(records, members, history, "en")
    return members, history


def _said(problem: Problem, language: Language = "en") -> str:
    return render(problem.message, language)


def _refusal(parsed_problems: list[Problem]) -> str:
    assert len(parsed_problems) == 1, parsed_problems
    return _said(parsed_problems[0])


def test_a_zip_bomb_is_refused_by_its_directory_before_anything_is_inflated(bomb: Path) -> None:
    assert bomb.stat().st_size < 2 * MiB
    with zipfile.ZipFile(bomb) as book:
        assert book.getinfo(SHEET).file_size > 300 * MiB
    started = time.perf_counter()
    with pytest.raises(RowError) as screened:
        screen_xlsx(bomb)
    parsed = read(bomb)
    assert time.perf_counter() - started < 1.0
    for problem in (screened.value.problem, parsed.problems[0]):
        for text in (_said(problem, "en"), _said(problem, "vi")):
            assert SHEET in text
            assert "100:1" in text
        assert "giãn nở" in _said(problem, "vi")
    assert parsed.records == []


def test_a_part_larger_than_its_header_declares_is_refused_by_the_counted_read(
    bomb: Path, tmp_path: Path
) -> None:
    liar = tmp_path / "liar.xlsx"
    liar.write_bytes(bomb.read_bytes())
    lie_about(liar, SHEET, 900_000)
    screen_xlsx(liar)  # its directory looks like an ordinary workbook's
    started = time.perf_counter()
    parsed = read(liar)
    assert time.perf_counter() - started < 1.0
    message = _refusal(parsed.problems)
    assert "holds more than the 900,000 bytes it declares" in message
    assert "900.000 byte" in _said(parsed.problems[0], "vi")


def test_a_workbook_beyond_the_total_size_is_refused(
    records: list[MemberRecord], tmp_path: Path
) -> None:
    book = tmp_path / "book.xlsx"
    write_xlsx(records, book, "vi")
    assert read(book).problems == []
    limits = Limits(xlsx_bytes=20_000)
    with pytest.raises(RowError):
        screen_xlsx(book, limits)
    message = _refusal(read(book, limits=limits).problems)
    assert "expands to more than" in message


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_rows_beyond_the_cap_refuse_the_file(
    records: list[MemberRecord], csv_files: tuple[Path, Path], tmp_path: Path, kind: str
) -> None:
    members, history = csv_files
    if kind == "xlsx":
        members, history = tmp_path / "book.xlsx", None  # type: ignore[assignment]
        write_xlsx(records, members, "en")
    assert read(members, history, Limits(members_rows=13)).problems == []  # header + 12
    parsed = read(members, history, Limits(members_rows=12))
    assert "The Members table has more than 12 rows" in _refusal(parsed.problems)
    assert parsed.records == []
    history_rows = sum(len(r.facts) for r in records)
    parsed = read(members, history, Limits(history_rows=history_rows))
    assert f"The History table has more than {history_rows} rows" in _refusal(parsed.problems)


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_a_value_beyond_the_column_cap_refuses_the_file(
    csv_files: tuple[Path, Path], tmp_path: Path, kind: str
) -> None:
    members, history = csv_files
    with members.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    rows[3] += [""] * 40 + ["far away"]  # column 56
    rows[4] += [""] * 20  # empty cells beyond the cap are no reason to refuse
    if kind == "csv":
        with members.open("w", encoding="utf-8-sig", newline="") as f:
            csv.writer(f).writerows(rows)
    else:
        import openpyxl  # type: ignore[import-untyped]

        workbook = openpyxl.Workbook()
        sheet = workbook.active
        sheet.title = "Members"
        for row in rows:
            sheet.append(row)
        members, history = tmp_path / "book.xlsx", None  # type: ignore[assignment]
        workbook.save(members)
    parsed = read(members, history)
    assert "Row 4 has a value beyond column 50" in _refusal(parsed.problems)
    assert "Dòng 4 có dữ liệu ngoài cột 50" in _said(parsed.problems[0], "vi")
    rows[3] = rows[3][:50]
    with (tmp_path / "fine.csv").open("w", encoding="utf-8-sig", newline="") as f:
        csv.writer(f).writerows(rows)
    assert read(tmp_path / "fine.csv", tmp_path / "history.csv").problems == []
