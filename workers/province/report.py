"""Print an import's report and progress: problems by row and column, in the user's language."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from api.messages import render
from domain.errors import Language
from workers.province.columns import TABLES, heading
from workers.province.importer import Progress as OnProgress
from workers.province.importer import Report

SHOWN = 200


def print_report(console: Console, report: Report, language: Language) -> None:
    """The problems table (first few hundred) and the totals."""
    vi = language == "vi"
    if report.problems:
        table = Table(title="Dòng không nhập được" if vi else "Rows not imported")
        for names in (
            ("Bảng", "Table"),
            ("Dòng", "Row"),
            ("Cột", "Column"),
            ("Giá trị", "Value"),
        ):
            table.add_column(names[0] if vi else names[1])
        table.add_column("Lý do" if vi else "Reason", overflow="fold")
        for p in report.problems[:SHOWN]:
            w = p.where
            column = (
                heading(w.table, w.column, language) if w.column in TABLES[w.table] else w.column
            )
            table.add_row(w.table, str(w.row), column, w.value, render(p.message, language))
        console.print(table)
        if len(report.problems) > SHOWN:
            more = len(report.problems) - SHOWN
            console.print(f"… {more} {'lỗi nữa' if vi else 'more'}")
    verb = ("sẽ ghi" if vi else "would write") if report.dry_run else ("đã ghi" if vi else "wrote")
    console.print(
        f"{report.valid}/{report.members} {'đảng viên hợp lệ' if vi else 'members valid'}; "
        f"{verb} {report.events} {'sự kiện' if vi else 'events'} "
        f"({report.meetings} {'cuộc họp' if vi else 'meetings'}) "
        f"{'trong' if vi else 'in'} {report.seconds:.1f} s = {report.rate:,.0f} ev/s"
    )


@contextmanager
def progress_bar(console: Console, total: int, language: Language) -> Iterator[OnProgress]:
    """A progress bar over members with the event rate and the time left."""
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[events]:,} ev · {task.fields[rate]:,.0f} ev/s"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=False) as bar:
        task = bar.add_task(
            "Nhập" if language == "vi" else "Import", total=total, events=0, rate=0.0
        )

        def update(done: int, events: int) -> None:
            elapsed = bar.tasks[task].elapsed or 0.0
            bar.update(
                task, completed=done, events=events, rate=events / elapsed if elapsed else 0.0
            )

        yield update
