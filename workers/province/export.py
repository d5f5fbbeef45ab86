"""Export a board's dashboard, the list behind any figure, and the year-end statistics (XLSX/CSV).

The statistics follow the layout boards report upwards: each figure for this period, the same
period last year and this one as a percentage of it; then the grades with counts and percentages
(as Cần Thơ reported them in 2013), and the exemptions by reason.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from api.i18n import gettext, label
from api.reads import DETAIL_CONTEXT, FIGURE_OF
from domain.errors import Language
from domain.policy import REGULATIONS
from projections.dashboard import Period, dashboard
from projections.lists import ListQuery, every_member_behind
from projections.reads import connect

Cell = str | int | float | None

FIGURES: tuple[str, ...] = (
    "members_in_scope",
    "referred",
    "received_commune",
    "received_cell",
    "exempt_from_introduction",
    "exempt_from_activities",
    "meetings_held",
    "meetings_expected",
    "assessments_due",
    "assessments_returned",
    "assessments_overdue",
    "reported_back",
    "requests_open",
    "requests_overdue",
    "proposals",
    "cells_assessing",
    "cells_assessed",
)
"""The dashboard's figures in the statistics, in order (their words: labels, context `figure`)."""
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


def statistics_table(board: dict[str, Any], language: Language) -> list[list[Cell]]:
    """The year-end statistics: figures against last year, then grades and exemptions."""

    def t(message: str) -> str:
        return gettext(message, language)

    now, before = board["current"], board.get("previous_year")
    rows: list[list[Cell]] = [
        [t("Figure"), t("This period"), t("Same period last year"), t("Against last year (%)")]
    ]
    for key in FIGURES:
        a, b = value(now, key), value(before, key)
        rows.append([label("figure", key, language), a, b, percent(a, b)])
    rows.append([])
    rows.append([t("Grade"), t("Count"), t("Percent"), t("Last year"), t("Percent")])
    grades_now, grades_before = now["grades"], (before or {}).get("grades", {})
    for code in sorted(set(grades_now) | set(grades_before), key=_grade_rank):
        g, h = grades_now.get(code, {}), grades_before.get(code, {})
        name = label("grade", code, language)
        rows.append([name, g.get("count", 0), g.get("percent"), h.get("count"), h.get("percent")])
    for key in ("exempt_from_introduction", "exempt_from_activities"):
        rows.append([])
        by = t("%(figure)s by reason") % {"figure": label("figure", key, language)}
        rows.append([by, t("Count")])
        rows.extend(
            [[label("exemption", reason, language), n] for reason, n in sorted(now[key].items())]
        )
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


def write_table(rows: Iterable[Sequence[Cell]], path: Path, title: str) -> None:
    """Rows to `path` (`table_at`)."""
    with table_at(path, title) as add:
        add(rows)


@contextmanager
def table_at(path: Path, title: str) -> Iterator[Callable[[Iterable[Sequence[Cell]]], None]]:
    """A table written to `path` as its rows are added: XLSX (one sheet, in openpyxl's
    write-only mode, which keeps the added rows on disk) or CSV (UTF-8 with BOM, as Excel opens
    it), by suffix. No row is held once added, so an export's memory does not grow with its
    list; the file appears whole when the block ends, and not at all if it fails.

    No text is ever a formula: names and other data come from users (a member named
    `=HYPERLINK(…)` stays that text), in CSV by a leading quote, in XLSX as a text cell.
    """
    part = path.with_name(f".{path.name}.part")
    try:
        if path.suffix.lower() == ".xlsx":
            import openpyxl  # type: ignore[import-untyped]

            book = openpyxl.Workbook(write_only=True)
            sheet = book.create_sheet(title[:31])
            yield lambda rows: _append_xlsx(sheet, rows)
            book.save(part)
        else:
            with part.open("w", newline="", encoding="utf-8-sig") as out:
                writer = csv.writer(out)
                yield lambda rows: writer.writerows([inert(v) for v in row] for row in rows)
        part.replace(path)
    finally:
        part.unlink(missing_ok=True)


def _append_xlsx(sheet: Any, rows: Iterable[Sequence[Cell]]) -> None:
    from openpyxl.cell import WriteOnlyCell  # type: ignore[import-untyped]

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


async def export_statistics(
    url: str, period: Period, path: Path, language: Language
) -> dict[str, Any]:
    """Write the unit's year-end statistics; return the dashboard they came from."""
    conn = await connect(url)
    try:
        other = await connect(url)  # the year before, read at once
        try:
            board = await dashboard(conn, period, other)
        finally:
            await other.close()
    finally:
        await conn.close()
    write_table(statistics_table(board, language), path, gettext("Statistics", language))
    return board


async def export_list(
    url: str, period: Period, figure: str, path: Path, language: Language, code: str | None = None
) -> int:
    """Write every member behind a figure (all pages), as the board lists them: each unit by
    name, the reason or grade beside a member in words (no code a person does not read: a
    request's id), the stage and whether overdue in the language; return how many rows. Each
    batch the statement gives is written as it comes (`table_at`), none kept."""
    header: list[Cell] = [
        gettext("Name", language),
        gettext("Party card number", language),
        gettext("Unit", language),
        gettext("Comment", language),
        gettext("Stage", language),
        gettext("Overdue", language),
    ]
    context = {FIGURE_OF[m]: c for m, c in DETAIL_CONTEXT.items()}.get(figure)
    written = 0
    names: dict[str, str | None] = {}
    conn = await connect(url)
    try:
        with table_at(path, label("figure", figure, language)) as add:
            add([header])
            # one statement, one snapshot: a member recorded meanwhile shifts nothing
            async with conn.transaction(isolation="repeatable_read", readonly=True):
                query = ListQuery(figure=figure, code=code, page_size=EXPORT_PAGE)
                async for batch in every_member_behind(conn, period, query):
                    unnamed = {r["unit_id"] for r in batch} - names.keys() - {None}
                    if unnamed:
                        found = dict(await conn.fetch(_UNIT_NAMES, list(unnamed)))
                        names.update({unit: found.get(unit) for unit in unnamed})
                    add(
                        [
                            r["name"],
                            r["party_card_number"],
                            names.get(r["unit_id"]) or r["unit_id"],
                            label(context, r["code"], language) if context and r["code"] else None,
                            # a row naming no member (a meeting, a cell) has no stage, as on
                            # the board
                            label("stage", r["stage"], language) if r["member_id"] else None,
                            gettext("Overdue", language) if r["overdue"] else None,
                        ]
                        for r in batch
                    )
                    written += len(batch)
    finally:
        await conn.close()
    return written


EXPORT_PAGE = 1000
"""Rows an export reads at a time."""
_UNIT_NAMES = "SELECT unit_id, name FROM unit WHERE unit_id = ANY($1::text[]) AND name IS NOT NULL"
"""The names of these units (their latest, as the units model keeps them)."""
