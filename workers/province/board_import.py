"""The province import behind the board's import port, and the templates the board offers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from api.imports import ImportOutcome, ImportProblem, Progress, Words
from domain.errors import Language
from domain.office import LiaisonOffice
from domain.roles import Actor
from workers.province import demo
from workers.province.columns import TABLES, heading
from workers.province.importer import Report, Source, import_records
from workers.province.reader import Parsed, read
from workers.province.records import HISTORY, MEMBERS, Problem
from workers.province.writer import write_csv, write_xlsx


def import_parsed(
    office: LiaisonOffice,
    parsed: Parsed,
    name: str,
    actor: Actor,
    today: date,
    *,
    dry_run: bool,
    progress: Callable[[int, int], None] | None = None,
) -> Report:
    """Import what a file's reading found; members whose rows could not be read count too."""
    report = import_records(
        office,
        parsed.records,
        Source(name, parsed.digest),
        actor,
        today,
        dry_run=dry_run,
        problems=parsed.problems,
        progress=progress,
    )
    report.members += len(
        {(p.where.table, p.where.row) for p in parsed.problems if p.where.table == "members"}
    )
    return report


class BoardImporter:
    """Reads an uploaded file and imports it; after a real import, starts the new workflows."""

    def __init__(
        self,
        office: LiaisonOffice,
        today: Callable[[], date],
        after_import: Callable[[], object] | None = None,
    ) -> None:
        self.office, self.today, self.after_import = office, today, after_import

    def __call__(
        self,
        members: Path,
        history: Path | None,
        actor: Actor,
        dry_run: bool,
        progress: Progress,
    ) -> ImportOutcome:
        """The import's outcome in the board's terms (bad rows are its problems, not errors)."""
        parsed = read(members, history)
        total = len(parsed.records)
        progress(0, total, 0)
        report = import_parsed(
            self.office,
            parsed,
            members.name,
            actor,
            self.today(),
            dry_run=dry_run,
            progress=lambda done, events: progress(done, total, events),
        )
        if not dry_run and report.valid and self.after_import is not None:
            self.after_import()
        problems = tuple(_problem(p) for p in report.problems)
        return ImportOutcome(
            report.members,
            report.valid,
            report.events,
            report.meetings,
            problems,
            report.seconds,
            report.dry_run,
        )


_SHEETS = {MEMBERS: Words("Đảng viên", "Members"), HISTORY: Words("Lịch sử", "History")}


def _problem(problem: Problem) -> ImportProblem:
    """A problem as the board lists it: the sheet and column as the file's headings name them."""
    w = problem.where
    column = (
        Words(heading(w.table, w.column, "vi"), heading(w.table, w.column, "en"))
        if w.column in TABLES.get(w.table, {})
        else Words(w.column, w.column)
    )
    sheet = _SHEETS.get(w.table, Words(w.table, w.table))
    return ImportProblem(sheet, w.row, column, w.value, Words(problem.vi, problem.en))


def write_templates(folder: Path, languages: tuple[Language, ...] = ("vi", "en")) -> Path:
    """The CSV pair and the XLSX book in each language, with three example members."""
    folder.mkdir(parents=True, exist_ok=True)
    sample = demo.examples()
    for language in languages:
        write_csv(
            sample, folder / f"members.{language}.csv", folder / f"history.{language}.csv", language
        )
        write_xlsx(sample, folder / f"liaison-import.{language}.xlsx", language)
    return folder
