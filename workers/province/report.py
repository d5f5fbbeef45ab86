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

from api.i18n import format_number, gettext, label, translations
from api.messages import render
from domain.errors import Language
from workers.province.columns import TABLES, heading
from workers.province.importer import Progress as OnProgress
from workers.province.importer import Report

SHOWN = 200


def print_report(console: Console, report: Report, language: Language) -> None:
    """The problems table (first few hundred) and the totals."""

    def t(message: str) -> str:
        return gettext(message, language)

    def tn(singular: str, plural: str, n: int) -> str:
        text = translations(language).ngettext(singular, plural, n)
        return str(text) % {"num": format_number(n, language)}

    if report.problems:
        table = Table(title=t("Rows not imported"))
        for name in (t("Table"), t("Row"), t("Column"), t("Value")):
            table.add_column(name)
        table.add_column(t("Reason"), overflow="fold")
        for p in report.problems[:SHOWN]:
            w = p.where
            column = (
                heading(w.table, w.column, language) if w.column in TABLES[w.table] else w.column
            )
            sheet = label("sheet", w.table, language)
            table.add_row(sheet, str(w.row), column, w.value, render(p.message, language))
        console.print(table)
        if len(report.problems) > SHOWN:
            more = format_number(len(report.problems) - SHOWN, language)
            console.print(t("… %(num)s more") % {"num": more})
    valid = t("%(valid)s/%(members)s members valid;") % {
        "valid": format_number(report.valid, language),
        "members": format_number(report.members, language),
    }
    events = (
        tn("would write %(num)s event", "would write %(num)s events", report.events)
        if report.dry_run
        else tn("wrote %(num)s event", "wrote %(num)s events", report.events)
    )
    meetings = tn("%(num)s meeting", "%(num)s meetings", report.meetings)
    took = t("in %(seconds)s s.") % {"seconds": format_number(report.seconds, language, 1)}
    rate = t("%(rate)s events/s") % {"rate": format_number(report.rate, language)}
    console.print(f"{valid} {events} ({meetings}) {took} {rate}")


@contextmanager
def progress_bar(console: Console, total: int, language: Language) -> Iterator[OnProgress]:
    """A progress bar over members with the event rate and the time left."""
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[counted]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=False) as bar:

        def counted(events: int, rate: float) -> str:
            # Grouped as the language writes numbers (rich's own format would write 1,024).
            written, per_second = gettext("events", language), gettext("events/s", language)
            done, speed = format_number(events, language), format_number(rate, language)
            return f"{done} {written} · {speed} {per_second}"

        task = bar.add_task(gettext("Import", language), total=total, counted=counted(0, 0.0))

        def update(done: int, events: int) -> None:
            elapsed = bar.tasks[task].elapsed or 0.0
            rate = events / elapsed if elapsed else 0.0
            bar.update(task, completed=done, counted=counted(events, rate))

        yield update
