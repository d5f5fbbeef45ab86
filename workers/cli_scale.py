"""`liaison demo`, `import`, `template` and `bench`: a province at scale, in and out."""

from __future__ import annotations

import asyncio
import getpass
from datetime import date
from pathlib import Path
from typing import Annotated, cast

import typer

from domain.errors import Language
from domain.organisation import UnitKind
from domain.roles import Actor, Role
from projections.dashboard import Period
from workers.cli_support import actor, app, console, office, run, settings, today
from workers.embedded import database_url
from workers.province import demo as demo_province
from workers.province import export
from workers.province.board_import import import_parsed, write_templates
from workers.province.reader import read
from workers.province.report import print_report, progress_bar

Lang = Annotated[str | None, typer.Option("--lang", help="vi or en (default: the configured one)")]


def _language(lang: str | None) -> Language:
    chosen = lang or settings().language
    if chosen not in ("vi", "en"):
        raise typer.BadParameter("--lang takes vi or en")
    return cast(Language, chosen)


@app.command()
def demo(
    members: Annotated[int, typer.Option(min=10, max=100_000)] = 1000,
    seed: Annotated[int, typer.Option()] = 1,
    until: Annotated[str | None, typer.Option(help="Last day of history (YYYY-MM-DD)")] = None,
    lang: Lang = None,
) -> None:
    """Generate the demo province (deterministic by seed) and write it through the import path."""
    language = _language(lang)
    last = date.fromisoformat(until) if until else None
    with progress_bar(console, members, language) as update:
        report = demo_province.ensure(office(), members, seed, last, update)
    if report is None:
        console.print(
            f"Tỉnh mẫu seed {seed} đã có." if language == "vi" else f"Demo seed {seed} is loaded."
        )
        return
    print_report(console, report, language)


@app.command("import")
def import_file(
    members: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="members .csv or .xlsx")
    ],
    history: Annotated[
        Path | None, typer.Argument(exists=True, dir_okay=False, help="history .csv")
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Validate and report only")] = False,
    as_: Annotated[
        str | None, typer.Option("--as", help="ROLE:UNIT (default: supervisor of the province)")
    ] = None,
    lang: Lang = None,
) -> None:
    """Import members and their history from a board's file; a dry run writes nothing."""
    language = _language(lang)
    parsed = read(members, history)
    liaison_office = office()
    who = actor(as_) if as_ else _province_supervisor(liaison_office.tree())
    with progress_bar(console, len(parsed.records), language) as update:
        report = import_parsed(
            liaison_office, parsed, members.name, who, today(), dry_run=dry_run, progress=update
        )
    print_report(console, report, language)
    if report.problems:
        raise typer.Exit(1)


@app.command()
def template(
    folder: Annotated[Path, typer.Argument(file_okay=False)],
    lang: Lang = None,
) -> None:
    """Write the import templates (CSV pair and XLSX) with three example members."""
    write_templates(folder, (_language(lang),))
    console.print(f"[green]✓[/] {folder}")


exports = typer.Typer(help="Export dashboards, lists and year-end statistics (XLSX or CSV).")
app.add_typer(exports, name="export")
YearOption = Annotated[int | None, typer.Option(help="Year reported (default: the as-of year)")]
AsOfOption = Annotated[str | None, typer.Option("--as-of", help="As of date YYYY-MM-DD")]


def _period(unit: str, year: int | None, as_of: str | None) -> Period:
    day = date.fromisoformat(as_of) if as_of else (date(year, 12, 31) if year else today())
    return Period(unit, min(day, today()), year=year)


@exports.command("statistics")
def export_statistics_command(
    unit: Annotated[str, typer.Argument(help="Unit whose subtree is reported")],
    out: Annotated[Path, typer.Argument(help="File to write (.xlsx or .csv)")],
    year: YearOption = None,
    as_of: AsOfOption = None,
    lang: Lang = None,
) -> None:
    """The dashboard as year-end statistics: this period, same period last year, percentage."""
    language = _language(lang)
    url = database_url(settings())
    run(
        lambda: asyncio.run(
            export.export_statistics(url, _period(unit, year, as_of), out, language)
        )
    )
    console.print(f"[green]✓[/] {out}")


@exports.command("list")
def export_list_command(
    unit: Annotated[str, typer.Argument(help="Unit whose subtree is listed")],
    figure: Annotated[str, typer.Argument(help="Figure whose members are listed")],
    out: Annotated[Path, typer.Argument(help="File to write (.xlsx or .csv)")],
    code: Annotated[str | None, typer.Option(help="Only this code (grade, reason)")] = None,
    year: YearOption = None,
    as_of: AsOfOption = None,
    lang: Lang = None,
) -> None:
    """The members behind one figure of the dashboard."""
    language = _language(lang)
    url = database_url(settings())
    period = _period(unit, year, as_of)
    n = run(lambda: asyncio.run(export.export_list(url, period, figure, out, language, code)))
    console.print(f"[green]✓[/] {out} ({n})")


@app.command()
def onboard(
    concurrency: Annotated[int, typer.Option(min=1, max=64, help="Starts in flight")] = 8,
) -> None:
    """Start the workflows of open liaisons (after an import) from the store; resumable."""
    from workers import onboarding
    from workers.worker import connect

    liaisons = onboarding.open_liaisons(office())

    async def start() -> onboarding.Onboarded:
        client = await connect(settings())
        return await onboarding.start_workflows(client, liaisons, concurrency=concurrency)

    done = asyncio.run(start())
    console.print(
        f"{done.started} started, {done.already} already running,"
        f" {done.rate:,.1f} starts/s ({len(liaisons)} open liaisons)"
    )


@app.command()
def bench(
    members: Annotated[int, typer.Option(help="Demo province size")] = 50_000,
) -> None:
    """Run every benchmark and print each figure beside the raw limit and the ratio."""
    from bench.__main__ import main

    main(members)


def _province_supervisor(tree: object) -> Actor:
    roots = [u for u in tree if u.kind is UnitKind.PROVINCIAL_COMMITTEE and u.parent_id is None]  # type: ignore[attr-defined]
    if len(roots) != 1:
        raise typer.BadParameter("name the province with --as supervisor:PROVINCE")
    return Actor(id=getpass.getuser(), role=Role.SUPERVISOR, unit_id=roots[0].id)
