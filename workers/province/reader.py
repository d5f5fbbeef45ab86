"""Read a board's CSV or XLSX into member records, reporting every cell that cannot be read."""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from domain.text import fold
from workers.province import columns as c
from workers.province.cells import Cells, fact, member
from workers.province.records import HISTORY, MEMBERS, MemberRecord, Problem, RowError, Where

Row = dict[str, str]


@dataclass
class Parsed:
    """The records that could be read, every problem found, and the file's digest."""

    records: list[MemberRecord] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    digest: str = ""


def _file_problem(path: Path, en: str, vi: str) -> Problem:
    return Problem(Where(MEMBERS, 0, "", path.name), en, vi)


def read(members: Path, history: Path | None = None) -> Parsed:
    """Parse an XLSX (two sheets) or CSV members file with an optional CSV history file."""
    parsed = Parsed(digest=_digest(members, history))
    try:
        tables = _tables(members, history)
    except RowError as error:
        parsed.problems.append(error.problem)
        return parsed
    rows = {name: _keyed(name, raw, parsed.problems) for name, raw in tables.items()}
    if parsed.problems:
        return parsed  # a missing column makes every row of the table unreadable
    _records(rows[MEMBERS], rows.get(HISTORY, []), parsed)
    return parsed


def _digest(*paths: Path | None) -> str:
    h = hashlib.sha256()
    for p in paths:
        if p is not None:
            h.update(p.read_bytes())
    return h.hexdigest()


def _tables(members: Path, history: Path | None) -> dict[str, list[list[Any]]]:
    data = members.read_bytes()
    if members.suffix.lower() == ".xlsx":
        if not data.startswith(b"PK"):
            raise RowError(
                Where(MEMBERS, 0, "", members.name), "Not an XLSX file.", "Không phải tệp XLSX."
            )
        return _xlsx(members, data)
    if members.suffix.lower() != ".csv":
        raise RowError(
            Where(MEMBERS, 0, "", members.name),
            "Only .csv and .xlsx files can be imported.",
            "Chỉ nhập được tệp .csv và .xlsx.",
        )
    out = {MEMBERS: _csv(members, data)}
    if history is not None:
        out[HISTORY] = _csv(history, history.read_bytes())
    return out


def _csv(path: Path, data: bytes) -> list[list[Any]]:
    if data.startswith(b"PK") or b"\x00" in data[:4096]:
        raise RowError(
            Where(MEMBERS, 0, "", path.name),
            "Not a CSV text file.",
            "Không phải tệp CSV dạng văn bản.",
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise RowError(
            Where(MEMBERS, 0, "", path.name),
            f"The file is not UTF-8 text (byte {error.start}); save it as CSV UTF-8.",
            f"Tệp không phải văn bản UTF-8 (byte {error.start}); hãy lưu dạng CSV UTF-8.",
        ) from None
    dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t") if text.strip() else csv.excel
    return [row for row in csv.reader(io.StringIO(text), dialect) if any(v.strip() for v in row)]


def _xlsx(path: Path, data: bytes) -> dict[str, list[list[Any]]]:
    import openpyxl  # type: ignore[import-untyped]

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError):
        raise RowError(
            Where(MEMBERS, 0, "", path.name), "The XLSX file is damaged.", "Tệp XLSX bị hỏng."
        ) from None
    out: dict[str, list[list[Any]]] = {}
    names = {fold(n): n for n in book.sheetnames}
    for table, (vi, en) in c.SHEETS.items():
        sheet = (
            names.get(fold(vi))
            or names.get(fold(en))
            or (book.sheetnames[0] if table == MEMBERS else None)
        )
        if sheet is not None:
            rows = book[sheet].iter_rows(values_only=True)
            out[table] = [list(r) for r in rows if any(v not in (None, "") for v in r)]
    return out


def _keyed(table: str, raw: list[list[Any]], problems: list[Problem]) -> list[tuple[int, Row]]:
    if not raw:
        problems.append(
            Problem(Where(table, 1, "", ""), "The table is empty.", "Bảng không có dữ liệu.")
        )
        return []
    known = c.header_map(table)
    keys = [known.get(fold(str(h or ""))) for h in raw[0]]
    for key, (vi, en, required) in c.TABLES[table].items():
        if required and key not in keys:
            problems.append(
                Problem(
                    Where(table, 1, key, ""), f"Column '{en}' is missing.", f"Thiếu cột '{vi}'."
                )
            )
    out = []
    for n, values in enumerate(raw[1:], start=2):
        row = {k: _text(v) for k, v in zip(keys, values, strict=False) if k is not None}
        out.append((n, row))
    return out


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _records(
    members: list[tuple[int, Row]], history: list[tuple[int, Row]], parsed: Parsed
) -> None:
    cards = Counter(fold(row.get("party_card_number", "")) for _, row in members)
    by_card: dict[str, MemberRecord] = {}
    refused: set[str] = set()
    for n, row in members:
        cells = Cells(MEMBERS, n, row)
        try:
            record = member(cells)
            if cards[fold(record.party_card_number)] > 1:
                raise RowError(
                    cells.where("party_card_number"),
                    "This member appears twice.",
                    "Đảng viên này có tên hai lần.",
                )
            by_card[fold(record.party_card_number)] = record
        except RowError as error:
            parsed.problems.append(error.problem)
            refused.add(fold(row.get("party_card_number", "")))
    failed: set[str] = set()
    for n, row in history:
        cells = Cells(HISTORY, n, row)
        try:
            card = fold(cells.text("party_card_number") or "")
            if card in refused:
                continue  # the member's own row is already reported
            record_or_none = by_card.get(card)
            if record_or_none is None:
                raise RowError(
                    cells.where("party_card_number"),
                    "No valid member with this card in the members table.",
                    "Không có đảng viên hợp lệ với số thẻ này trong bảng đảng viên.",
                )
            record_or_none.facts.append(fact(cells))
        except RowError as error:
            parsed.problems.append(error.problem)
            failed.add(card)
    # A member with an unreadable history row is not imported at all: nothing half-written.
    parsed.records = [r for k, r in by_card.items() if k not in failed]


def iter_rows(table: str, raw: list[list[Any]]) -> Iterator[Row]:
    """Rows of a raw table as dicts by column key (for tests and tools)."""
    for _, row in _keyed(table, raw, []):
        yield row
