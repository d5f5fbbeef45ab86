"""The province import behind the board's import port, and the templates the board offers."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time
from pathlib import Path

from api.imports import ImportOrder, ImportOutcome, ImportProblem, Progress, UploadRefused, Words
from api.messages import Translated, UnitNames, unit_names, with_unit_names
from application.office import LiaisonOffice
from domain.calendar import business_date
from domain.errors import Language, OutOfScope
from domain.roles import Actor
from workers import walkthrough
from workers.bootstrap import one_process_at_a_time
from workers.province import demo
from workers.province.columns import SHEETS, TABLES
from workers.province.importer import Report, Source, import_records
from workers.province.reader import LIMITS, Limits, Parsed, read, screen_xlsx
from workers.province.records import MemberRecord, Problem, RowError
from workers.province.writer import write_csv, write_xlsx

AUDITED_ROWS = 20
"""Row numbers named in the one access record of a run's rows outside the importer's scope."""


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
    audit_outside(office, report, name, actor, today)
    return report


def audit_outside(office: LiaisonOffice, report: Report, name: str, actor: Actor, on: date) -> None:
    """One access record for a run's rows outside the actor's scope: how many, and which rows.

    Only the file's name and row numbers: the units behind those rows stay unnamed.
    """
    rows = sorted({(p.where.table, p.where.row) for p in report.problems if p.code == _OUTSIDE})
    if not rows:
        return
    named: dict[str, list[str]] = {}
    for table, row in rows[:AUDITED_ROWS]:
        named.setdefault(table, []).append(str(row))
    listed = "; ".join(f"{table} {', '.join(numbers)}" for table, numbers in named.items())
    more = f" (+{len(rows) - AUDITED_ROWS})" if len(rows) > AUDITED_ROWS else ""
    target = f"{name}: {len(rows)} rows: {listed}{more}"
    office.trail.refused(actor, "import", target, _OUTSIDE)


_OUTSIDE = OutOfScope.code


@dataclass(frozen=True)
class BoardImports:
    """The board's import port: what a child process needs to build the office and import.

    Plain data, so that the web process can hand it to a child it starts (`api.imports`); the
    child opens its own connections to the store.
    """

    env: Mapping[str, str]
    today: date | None = None
    """The business date of every run (tests); by default today's, by the clock."""
    limits: Limits = field(default=LIMITS)

    def screen(self, members: Path, history: Path | None) -> None:
        """Refuse, in the web process, a workbook whose directory is beyond the limits."""
        if members.suffix.lower() == ".xlsx":
            try:
                screen_xlsx(members, self.limits)
            except RowError as error:
                raise UploadRefused.saying(error.problem.message) from None

    def __call__(self, order: ImportOrder, progress: Progress) -> ImportOutcome:
        """The import's outcome in the board's terms (bad rows are its problems, not errors)."""
        today = self.today or business_date(datetime.now(UTC))
        clock: Callable[[], datetime] = (
            (lambda: datetime.combine(today, time(9), UTC))
            if self.today
            else (lambda: datetime.now(UTC))
        )
        with one_process_at_a_time(self.env):
            office = LiaisonOffice(env=dict(self.env), clock=clock)
        try:
            parsed = read(order.members, order.history, self.limits)
            total = len(parsed.records)
            progress(0, total, 0)
            report = import_parsed(
                office,
                parsed,
                order.members.name,
                order.actor,
                today,
                dry_run=order.dry_run,
                progress=lambda done, events: progress(done, total, events),
            )
            units = unit_names(office.tree())
        finally:
            office.close()
        problems = tuple(_problem(p, units) for p in report.problems)
        return ImportOutcome(
            report.members,
            report.valid,
            report.events,
            report.meetings,
            problems,
            report.seconds,
            report.dry_run,
        )


def _problem(problem: Problem, units: UnitNames) -> ImportProblem:
    """A problem as the board lists it: the sheet and column as the file's headings name them."""
    w = problem.where
    column = (
        Words(*TABLES[w.table][w.column][:2])
        if w.column in TABLES.get(w.table, {})
        else Words(w.column, w.column)
    )
    sheet = Words(*SHEETS[w.table]) if w.table in SHEETS else Words(w.table, w.table)
    reason = Translated(with_unit_names(problem.message, units))
    return ImportProblem(sheet, w.row, column, w.value, reason)


@dataclass(frozen=True)
class TemplateUnits:
    """The units the templates' example members name: their workplace, and residences (a
    commune and one of its cells) — the members live in the first, one moves to the second."""

    workplace: str
    residences: tuple[tuple[str, str], ...]


SAMPLE_UNITS = TemplateUnits(
    walkthrough.WORKPLACE,
    ((walkthrough.WARD, walkthrough.CELL), (walkthrough.WARD_2, walkthrough.CELL_2)),
)
"""The sample province every install records at its first start (`liaison up`)."""


def with_units(records: list[MemberRecord], units: TemplateUnits) -> list[MemberRecord]:
    """The records with their units replaced: each residence met, in order, by the next of
    `units` (round again), every workplace by the one workplace."""
    met: dict[tuple[str, str | None], tuple[str, str]] = {}

    def residence(commune: str | None, cell: str | None) -> tuple[str | None, str | None]:
        if commune is None:
            return None, None
        found = met.setdefault((commune, cell), units.residences[len(met) % len(units.residences)])
        return found[0], found[1] if cell is not None else None

    out = []
    for record in records:
        commune, cell = residence(record.commune_id, record.cell_id)
        facts = []
        for fact in record.facts:
            moved_to, moved_cell = residence(fact.commune_id, fact.cell_id)
            workplace = units.workplace if fact.workplace_unit_id else None
            facts.append(
                replace(fact, commune_id=moved_to, cell_id=moved_cell, workplace_unit_id=workplace)
            )
        out.append(
            replace(
                record,
                workplace_unit_id=units.workplace,
                commune_id=commune,
                cell_id=cell,
                facts=facts,
            )
        )
    return out


def write_templates(
    folder: Path,
    languages: tuple[Language, ...] = ("vi", "en"),
    units: TemplateUnits = SAMPLE_UNITS,
) -> Path:
    """The CSV pair and the XLSX book in each language, with three example members of the
    sample province (so that a fresh install imports them as they are)."""
    folder.mkdir(parents=True, exist_ok=True)
    sample = with_units(demo.examples(), units)
    for language in languages:
        write_csv(
            sample, folder / f"members.{language}.csv", folder / f"history.{language}.csv", language
        )
        write_xlsx(sample, folder / f"liaison-import.{language}.xlsx", language)
    return folder
