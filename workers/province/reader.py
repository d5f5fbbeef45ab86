"""Read a board's CSV or XLSX into member records, reporting every cell that cannot be read.

A file is read within limits (`Limits`): a workbook's parts are measured before it is parsed (a
zip bomb is refused by its directory, a part that holds more than it declares by a counted read),
and every table stops at its row and column caps, so a file costs time and memory in proportion
to what a real province's file needs.
"""

from __future__ import annotations

import copy
import csv
import hashlib
import io
import zipfile
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from domain.messages import Count, Message
from domain.text import fold
from workers.province import columns as c
from workers.province.cells import Cells, fact, member
from workers.province.records import HISTORY, MEMBERS, MemberRecord, Problem, RowError, Where

Row = dict[str, str]
MiB = 2**20


@dataclass(frozen=True)
class Limits:
    """What one import reads at most; beyond any of these the whole file is refused."""

    members_rows: int = 200_000
    """Rows of the members table, header included (twice a 100,000-member province)."""
    history_rows: int = 2_000_000
    """Rows of the history table (a 100,000-member province with ten years has about 1,300,000)."""
    columns: int = 50
    """Columns with a value in any row (the template has 15)."""
    xlsx_bytes: int = 1024 * MiB
    """A workbook's parts uncompressed, all together: a 100,000-member province with ten years of
    history is about 900 MB of sheet XML in the template's own layout (and 76 MB zipped)."""
    ratio: int = 100
    """Uncompressed to compressed size of any part above `ratio_from` (the template's sheets are
    9–12:1; a zip bomb's are several hundred)."""
    ratio_from: int = MiB

    def rows(self, table: str) -> int:
        """The row cap of a table."""
        return self.members_rows if table == MEMBERS else self.history_rows


LIMITS = Limits()


@dataclass
class Parsed:
    """The records that could be read, every problem found, and the file's digest."""

    records: list[MemberRecord] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    digest: str = ""


def read(members: Path, history: Path | None = None, limits: Limits = LIMITS) -> Parsed:
    """Parse an XLSX (two sheets) or CSV members file with an optional CSV history file."""
    parsed = Parsed(digest=_digest(members, history))
    try:
        tables = _tables(members, history, limits)
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


def _tables(members: Path, history: Path | None, limits: Limits) -> dict[str, Numbered]:
    data = members.read_bytes()
    if members.suffix.lower() == ".xlsx":
        if not data.startswith(b"PK"):
            raise RowError(Where(MEMBERS, 0, "", members.name), "Not an XLSX file.")
        _measure_xlsx(members, data, limits)
        book = _xlsx(members, data, limits)
        if history is not None:  # a history file given beside the workbook is read, never ignored
            if len(book.get(HISTORY, [])) > 1:  # more than its headings
                raise RowError(
                    Where(HISTORY, 0, "", history.name),
                    "The workbook has its own history sheet; give the history once, in the"
                    " workbook or in {name}.",
                    name=history.name,
                )
            book[HISTORY] = _csv(history, history.read_bytes(), HISTORY, limits)
        return book
    if members.suffix.lower() != ".csv":
        raise RowError(
            Where(MEMBERS, 0, "", members.name),
            "Only .csv and .xlsx files can be imported.",
        )
    out = {MEMBERS: _csv(members, data, MEMBERS, limits)}
    if history is not None:
        out[HISTORY] = _csv(history, history.read_bytes(), HISTORY, limits)
    return out


def _damaged(path: Path) -> RowError:
    return RowError(Where(MEMBERS, 0, "", path.name), "The XLSX file is damaged.")


def _megabytes(n: int) -> Count:
    return Count(round(n / MiB))


def screen_xlsx(path: Path, limits: Limits = LIMITS) -> None:
    """Refuse a workbook whose directory declares parts beyond the limits (nothing inflated)."""
    try:
        with zipfile.ZipFile(path) as book:
            _check_declared(path, book.infolist(), limits)
    except zipfile.BadZipFile:
        raise _damaged(path) from None


def _check_declared(path: Path, parts: Iterable[zipfile.ZipInfo], limits: Limits) -> None:
    total = 0
    for part in parts:
        total += part.file_size
        if total > limits.xlsx_bytes:
            raise RowError(
                Where(MEMBERS, 0, "", path.name),
                "The workbook expands to more than {megabytes} MB (the most a province's file"
                " needs); it is not read.",
                megabytes=_megabytes(limits.xlsx_bytes),
            )
        if part.file_size > limits.ratio_from and (
            part.file_size > limits.ratio * max(part.compress_size, 1)
        ):
            ratio = part.file_size // max(part.compress_size, 1)
            raise RowError(
                Where(MEMBERS, 0, "", path.name),
                "The part '{name}' of the workbook expands {ratio}:1 (to {megabytes} MB), beyond"
                " the {ratio_limit}:1 of a real spreadsheet; it is not read.",
                name=part.filename,
                ratio=Count(ratio),
                megabytes=_megabytes(part.file_size),
                ratio_limit=limits.ratio,
            )


def _measure_xlsx(path: Path, data: bytes, limits: Limits) -> None:
    """Check the declared sizes, then inflate every part, none holding more than it declares."""
    # So the caps checked on the headers bound the real work of parsing.
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as book:
            parts = book.infolist()
            _check_declared(path, parts, limits)
            for part in parts:
                _count(path, book, part)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, OSError, EOFError):
        raise _damaged(path) from None
    except zlib.error:
        raise _damaged(path) from None


def _count(path: Path, book: zipfile.ZipFile, part: zipfile.ZipInfo) -> None:
    """Inflate one part, refusing it as soon as it yields more than its header declares."""
    # zipfile stops a part at its declared size (then fails its checksum): let it run two chunks
    # further, so that the excess is seen and named here before the checksum is checked.
    probe = copy.copy(part)
    probe.file_size = part.file_size + 2 * MiB + 1
    held = 0
    with book.open(probe) as stream:
        while chunk := stream.read(MiB):
            held += len(chunk)
            if held > part.file_size:
                raise RowError(
                    Where(MEMBERS, 0, "", path.name),
                    "The part '{name}' of the workbook holds more than the {bytes} bytes it"
                    " declares; it is not read.",
                    name=part.filename,
                    bytes=Count(part.file_size),
                )


def _too_many_rows(path: Path, table: str, limits: Limits) -> RowError:
    cap = limits.rows(table)
    return RowError(
        Where(table, cap + 1, "", path.name),
        "The {table} table has more than {rows} rows; split the file.",
        table=c.sheet(table),
        rows=Count(cap),
    )


def _too_many_columns(path: Path, table: str, row: int, limits: Limits) -> RowError:
    return RowError(
        Where(table, row, "", path.name),
        "Row {row} has a value beyond column {columns}; at most {columns} columns are read.",
        row=row,
        columns=limits.columns,
    )


Numbered = list[tuple[int, list[Any]]]
"""The rows that hold a value, each with its number as the spreadsheet shows it (blank rows
counted), so that a problem is reported on the row the clerk sees."""


def _capped(path: Path, table: str, rows: Iterable[Iterable[Any]], limits: Limits) -> Numbered:
    """The rows that hold a value, numbered, each cut to the column cap; refuse beyond a cap."""
    out: Numbered = []
    cap = limits.rows(table)
    for n, row in enumerate(rows, start=1):  # empty rows count: they cost reading too
        if n > cap:
            raise _too_many_rows(path, table, limits)
        values = list(row)
        if len(values) > limits.columns:
            beyond = values[limits.columns :]
            if beyond.count(None) + beyond.count("") != len(beyond):  # counted in C: rows are many
                raise _too_many_columns(path, table, n, limits)
            del values[limits.columns :]
        if any(v not in (None, "") and not (isinstance(v, str) and not v.strip()) for v in values):
            out.append((n, values))
    return out


def _csv(path: Path, data: bytes, table: str, limits: Limits) -> Numbered:
    if data.startswith(b"PK") or b"\x00" in data[:4096]:
        raise RowError(
            Where(MEMBERS, 0, "", path.name),
            "Not a CSV text file.",
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise RowError(
            Where(MEMBERS, 0, "", path.name),
            "The file is not UTF-8 text (byte {position}); save it as CSV UTF-8.",
            position=error.start,
        ) from None
    dialect: type[csv.Dialect] = csv.excel
    if text.strip():
        try:
            dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
        except csv.Error:  # one column, or nothing to tell the delimiter by
            dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    try:
        return _capped(path, table, reader, limits)
    except csv.Error as error:
        raise RowError(
            Where(table, reader.line_num, "", path.name),
            "Line {line} cannot be read as CSV ({value}).",
            line=reader.line_num,
            value=str(error),
        ) from None


def _xlsx(path: Path, data: bytes, limits: Limits) -> dict[str, Numbered]:
    import openpyxl  # type: ignore[import-untyped]

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError):
        raise _damaged(path) from None
    out: dict[str, Numbered] = {}
    names = {fold(n): n for n in book.sheetnames}
    for table, (vi, en) in c.SHEETS.items():
        sheet = (
            names.get(fold(vi))
            or names.get(fold(en))
            or (book.sheetnames[0] if table == MEMBERS else None)
        )
        if sheet is not None:
            # Each row as wide as its own last cell, never as the sheet's declared dimension,
            # which a file may set to 16,384 columns to make every row that wide.
            book[sheet].reset_dimensions()
            rows = book[sheet].iter_rows(values_only=True)
            try:
                out[table] = _capped(path, table, rows, limits)
            except (zipfile.BadZipFile, KeyError, OSError, ValueError, SyntaxError):
                raise _damaged(path) from None  # SyntaxError: the sheet's XML is malformed
    return out


HEADING_SEARCH = 10
"""How many of a table's first rows may hold its headings (title rows, merged, above them)."""


def _heading_row(table: str, raw: Numbered) -> int:
    """The index in `raw` of the row holding the most known headings among the first rows."""
    known = c.header_map(table)
    scores = [
        sum(1 for h in values if known.get(fold(str(h or ""))) is not None)
        for _, values in raw[:HEADING_SEARCH]
    ]
    best = max(range(len(scores)), key=lambda i: (scores[i], -i))
    return best if scores[best] else 0


def _keyed(table: str, raw: Numbered, problems: list[Problem]) -> list[tuple[int, Row]]:
    if not raw:
        problems.append(Problem(Where(table, 1, "", ""), Message("The table is empty.")))
        return []
    known = c.header_map(table)
    start = _heading_row(table, raw)
    heading_row, headings = raw[start]
    keys = [known.get(fold(str(h or ""))) for h in headings]
    for key, (_, _, required) in c.TABLES[table].items():
        if required and key not in keys:
            missing = Message(
                "The column “{column}” is missing (the headings were read on row {row}).",
                column=c.headings(table, key),
                row=heading_row,
            )
            problems.append(Problem(Where(table, heading_row, key, ""), missing))
    out = []
    for n, values in raw[start + 1 :]:
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
                )
            record_or_none.facts.append(fact(cells))
        except RowError as error:
            parsed.problems.append(error.problem)
            failed.add(card)
    # A member with an unreadable history row is not imported at all: nothing half-written.
    parsed.records = [r for k, r in by_card.items() if k not in failed]


def iter_rows(table: str, raw: list[list[Any]]) -> Iterator[Row]:
    """Rows of a raw table as dicts by column key (for tests and tools)."""
    for _, row in _keyed(table, list(enumerate(raw, start=1)), []):
        yield row
