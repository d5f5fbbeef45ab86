"""`liaison demo`, `import`, `template` and `bench`: a province at scale, in and out."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path
from typing import Annotated, cast

import typer

from api.i18n import gettext
from api.reads import FIGURE_OF, Metric
from domain.errors import Language
from domain.roles import Action, may_import, require_role
from projections.dashboard import Period
from projections.figures import FIGURES
from workers.cli_support import (
    Desk,
    app,
    console,
    office,
    operator_ran,
    run,
    settings,
    signed_in,
)
from workers.cli_words import number, t
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
        raise typer.BadParameter(t("--lang takes vi or en"))
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
    liaison_office = office()
    operator_ran("demo", f"members={members} seed={seed} until={last or ''}", liaison_office)
    with progress_bar(console, members, language) as update:
        report = demo_province.ensure(liaison_office, members, seed, last, update)
    if report is None:
        console.print(
            gettext("The demo province of seed %(seed)s is loaded.", language) % {"seed": seed}
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
    lang: Lang = None,
) -> None:
    """Import members and their history from a board's file, as you; a dry run writes nothing."""
    language = _language(lang)
    desk = signed_in()
    _may_import(desk, members.name)
    parsed = read(members, history)
    with progress_bar(console, len(parsed.records), language) as update:
        report = import_parsed(
            desk.office, parsed, members.name, desk.actor, desk.today(), dry_run=dry_run,
            progress=update,
        )  # fmt: skip
    print_report(console, report, language)
    # A run that wrote the valid members succeeded (the report says how many rows were refused);
    # a check that found problems, or a run that could write nothing, did not.
    if report.problems and (dry_run or not report.valid):
        raise typer.Exit(1)


def _may_import(desk: Desk, name: str) -> None:
    """Refuse (and record) unless the user's role registers members, as the board's import page."""

    def check() -> None:
        if not may_import(desk.actor.role):
            require_role(desk.actor, Action.REGISTER_MEMBER)  # refused, naming the step

    run(lambda: desk.run(check, "import", name))


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


def _period(desk: Desk, unit: str, year: int | None, as_of: str | None) -> Period:
    """The period asked for, once the user may read the unit then."""
    now = desk.today()
    day = date.fromisoformat(as_of) if as_of else (date(year, 12, 31) if year else now)
    period = Period(unit, min(day, now), year=year)
    run(lambda: desk.may_read(unit, on=period.as_of))
    return period


def _figure(name: str) -> str:
    """The read side's figure of a board figure's name (the API's and the board's `Metric`);
    the read side's own name is still taken, for scripts written before."""
    if name in FIGURES:
        return name
    try:
        return FIGURE_OF[Metric(name)]
    except ValueError:
        raise typer.BadParameter(
            t("unknown figure %(name)s; one of %(names)s", name=name, names=", ".join(Metric))
        ) from None


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
    period = _period(signed_in(), unit, year, as_of)
    url = database_url(settings())
    run(lambda: asyncio.run(export.export_statistics(url, period, out, language)))
    console.print(f"[green]✓[/] {out}")


@exports.command("list")
def export_list_command(
    unit: Annotated[str, typer.Argument(help="Unit whose subtree is listed")],
    figure: Annotated[
        str, typer.Argument(help=f"Figure whose members are listed: {', '.join(Metric)}")
    ],
    out: Annotated[Path, typer.Argument(help="File to write (.xlsx or .csv)")],
    code: Annotated[str | None, typer.Option(help="Only this code (grade, reason)")] = None,
    year: YearOption = None,
    as_of: AsOfOption = None,
    lang: Lang = None,
) -> None:
    """The members behind one figure of the dashboard (named as on the board and in the API)."""
    name = _figure(figure)
    language = _language(lang)
    period = _period(signed_in(), unit, year, as_of)
    url = database_url(settings())
    n = run(lambda: asyncio.run(export.export_list(url, period, name, out, language, code)))
    console.print(f"[green]✓[/] {out} ({n})")


@app.command()
def onboard(
    concurrency: Annotated[int, typer.Option(min=1, max=64, help="Starts in flight")] = 8,
) -> None:
    """Start the workflows of open liaisons and of members not yet referred (after an import)
    from the store; resumable."""
    from workers import onboarding
    from workers.bootstrap import Root

    liaison_office = office()
    operator_ran("onboard", f"concurrency={concurrency}", liaison_office)
    liaisons = onboarding.open_liaisons(liaison_office)
    members = onboarding.awaiting_referral(liaison_office)

    async def start() -> tuple[onboarding.Onboarded, onboarding.Onboarded]:
        client = await Root(settings()).temporal()
        done = await onboarding.start_workflows(client, liaisons, concurrency=concurrency)
        watches = await onboarding.start_workflows(
            client, members, concurrency=concurrency, start_one=onboarding.start_referral
        )
        return done, watches

    done, watches = asyncio.run(start())
    console.print(
        t(
            "%(started)s started, %(already)s already running, %(rate)s starts/s"
            " (%(open)s open liaisons)",
            started=number(done.started), already=number(done.already),
            rate=number(done.rate, 1), open=number(len(liaisons)),
        )
    )  # fmt: skip
    console.print(
        t(
            "%(started)s late-referral watches started, %(already)s already running"
            " (%(waiting)s members not yet referred)",
            started=number(watches.started), already=number(watches.already),
            waiting=number(len(members)),
        )
    )  # fmt: skip


@app.command()
def bench(
    members: Annotated[int, typer.Option(help="Demo province size")] = 50_000,
) -> None:
    """Run every benchmark and print each figure beside the raw limit and the ratio."""
    from bench.__main__ import main

    main(members)
