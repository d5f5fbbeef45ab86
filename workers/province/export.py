"""Export a board's dashboard, the list behind any figure, and the year-end statistics (XLSX/CSV).

The statistics follow the layout boards report upwards: each figure for this period, the same
period last year and this one as a percentage of it; then the grades with counts and percentages
(as Cần Thơ reported them in 2013), and the exemptions by reason.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from domain.policy import REGULATIONS
from projections.dashboard import Period, dashboard
from projections.lists import ListQuery, members_behind
from projections.reads import connect

Cell = str | int | float | None

FIGURES: tuple[tuple[str, str, str], ...] = (
    ("members_in_scope", "Đảng viên trong phạm vi", "Members in scope"),
    ("referred", "Giới thiệu về nơi cư trú", "Referred to residence"),
    ("received_commune", "Đảng ủy xã/phường tiếp nhận", "Received by commune"),
    ("received_cell", "Chi bộ tiếp nhận", "Received by cell"),
    ("exempt_from_introduction", "Miễn giới thiệu", "Exempt from introduction"),
    ("exempt_from_activities", "Miễn sinh hoạt", "Exempt from activities"),
    ("meetings_held", "Cuộc họp đã tổ chức", "Meetings held"),
    ("meetings_expected", "Cuộc họp phải tổ chức", "Meetings expected"),
    ("assessments_due", "Phải nhận xét, đánh giá", "Assessments due"),
    ("assessments_returned", "Đã nhận xét, đánh giá", "Assessments returned"),
    ("assessments_overdue", "Quá hạn nhận xét", "Assessments overdue"),
    ("reported_back", "Đã thông báo về nơi công tác", "Reported back"),
    ("requests_open", "Đề nghị nhận xét đang chờ", "Requests open"),
    ("requests_overdue", "Đề nghị nhận xét quá hạn", "Requests overdue"),
)
GRADE_ORDER = [g.code for policy in REGULATIONS for g in policy.grades]


def value(summary: dict[str, Any] | None, key: str) -> int | None:
    """A figure as one number (a breakdown by code is summed)."""
    if summary is None:
        return None
    v = summary.get(key)
    if isinstance(v, dict):
        return sum(int(n) for n in v.values())
    return int(v) if isinstance(v, int) else None


def percent(part: int | None, whole: int | None) -> float | None:
    """part as a percentage of whole, to two places."""
    return round(100 * part / whole, 2) if part is not None and whole else None


def statistics_table(board: dict[str, Any], language: str) -> list[list[Cell]]:
    """The year-end statistics: figures against last year, then grades and exemptions."""
    vi = language == "vi"
    now, before = board["current"], board.get("previous_year")
    rows: list[list[Cell]] = [
        [
            "Chỉ tiêu" if vi else "Figure",
            "Kỳ này" if vi else "This period",
            "Cùng kỳ năm trước" if vi else "Same period last year",
            "So với cùng kỳ (%)" if vi else "Against last year (%)",
        ]
    ]
    for key, label_vi, label_en in FIGURES:
        a, b = value(now, key), value(before, key)
        rows.append([label_vi if vi else label_en, a, b, percent(a, b)])
    rows.append([])
    rows.append(
        [
            "Xếp loại" if vi else "Grade",
            "Số lượng" if vi else "Count",
            "Tỷ lệ (%)" if vi else "Percent",
            "Cùng kỳ năm trước" if vi else "Last year",
            "Tỷ lệ (%)" if vi else "Percent",
        ]
    )
    grades_now, grades_before = now["grades"], (before or {}).get("grades", {})
    for code in sorted(set(grades_now) | set(grades_before), key=_grade_rank):
        g, h = grades_now.get(code, {}), grades_before.get(code, {})
        label = g.get("label") or h.get("label") or code
        rows.append([label, g.get("count", 0), g.get("percent"), h.get("count"), h.get("percent")])
    for key, label_vi, label_en in FIGURES[4:6]:
        rows.append([])
        by = f"{label_vi} theo lý do" if vi else f"{label_en} by reason"
        rows.append([by, "Số lượng" if vi else "Count"])
        rows.extend([[reason, n] for reason, n in sorted(now[key].items())])
    return rows


def _grade_rank(code: str) -> int:
    return GRADE_ORDER.index(code) if code in GRADE_ORDER else len(GRADE_ORDER)


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""What a spreadsheet may take for the start of a formula in a text cell (OWASP, CSV injection)."""


def inert(value: Cell) -> Cell:
    """A text cell a spreadsheet will show as text: one starting like a formula gets a quote."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def write_table(rows: Sequence[Sequence[Cell]], path: Path, title: str) -> None:
    """Rows to `path`: XLSX (one sheet) or CSV (UTF-8 with BOM, as Excel opens it), by suffix.

    No text is ever a formula: names and other data come from users (a member named
    `=HYPERLINK(…)` stays that text), in CSV by a leading quote, in XLSX as a text cell.
    """
    if path.suffix.lower() == ".xlsx":
        _write_xlsx(rows, path, title)
        return
    with path.open("w", newline="", encoding="utf-8-sig") as out:
        csv.writer(out).writerows([inert(v) for v in row] for row in rows)


def _write_xlsx(rows: Sequence[Sequence[Cell]], path: Path, title: str) -> None:
    import openpyxl  # type: ignore[import-untyped]
    from openpyxl.cell import WriteOnlyCell  # type: ignore[import-untyped]

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])
    for row in rows:
        cells: list[Any] = []
        for value in row:
            if isinstance(value, str) and value.startswith(FORMULA_STARTS):
                # openpyxl stores any string starting with "=" as a formula: force a text cell,
                # marked as Excel marks a typed leading quote, so editing it keeps it text.
                cell = WriteOnlyCell(sheet, value)
                cell.data_type = "s"
                cell.quotePrefix = True
                cells.append(cell)
            else:
                cells.append(value)
        sheet.append(cells)
    book.save(path)


async def export_statistics(url: str, period: Period, path: Path, language: str) -> dict[str, Any]:
    """Write the unit's year-end statistics; return the dashboard they came from."""
    conn = await connect(url)
    try:
        board = await dashboard(conn, period)
    finally:
        await conn.close()
    write_table(
        statistics_table(board, language), path, "Thống kê" if language == "vi" else "Statistics"
    )
    return board


async def export_list(
    url: str, period: Period, figure: str, path: Path, language: str, code: str | None = None
) -> int:
    """Write every member behind a figure (all pages); return how many rows."""
    vi = language == "vi"
    header: list[Cell] = (
        ["Họ và tên", "Số thẻ đảng viên", "Đơn vị", "Mã", "Giai đoạn", "Quá hạn"]
        if vi
        else ["Name", "Party card number", "Unit", "Code", "Stage", "Overdue"]
    )
    rows: list[list[Cell]] = [header]
    conn = await connect(url)
    try:
        page = 1
        while batch := await members_behind(
            conn, period, ListQuery(figure=figure, code=code, page=page, page_size=1000)
        ):
            rows.extend(
                [
                    r["name"],
                    r["party_card_number"],
                    r["unit_id"],
                    r["code"],
                    r["stage"],
                    r["overdue"],
                ]
                for r in batch
            )
            page += 1
    finally:
        await conn.close()
    write_table(rows, path, figure)
    return len(rows) - 1
