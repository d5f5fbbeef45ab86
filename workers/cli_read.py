"""Read-side `liaison` subcommands: rebuild, projections, inspect, audit, verify, evidence."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn
from rich.table import Table

from projections import evidence, reads
from projections.catalog import MODELS
from projections.dashboard import Period, dashboard, scope
from projections.rebuild import rebuild as rebuild_model
from projections.rebuild import shadow_rebuild
from projections.seal import verify as verify_seal
from workers import bootstrap
from workers.cli_support import Desk, app, console, operator_ran, run, settings, signed_in
from workers.embedded import database_url
from workers.projector import build_projector

T = TypeVar("T")
Unit = Annotated[str, typer.Option("--unit", help="Organisation unit id")]
AsOf = Annotated[date | None, typer.Option("--as-of", help="Effective date (default today)")]
KnownAt = Annotated[
    datetime | None, typer.Option("--known-at", help="As the records stood at this time")
]


def _url() -> str:
    return database_url(settings())


def _read(query: Callable[[Any], Awaitable[T]]) -> T:
    async def go() -> T:
        conn = await reads.connect(_url())
        try:
            return await query(conn)
        finally:
            await conn.close()

    return run(lambda: asyncio.run(go()))


@app.command()
def rebuild(
    name: Annotated[str | None, typer.Argument(help=f"One of {', '.join(MODELS)}")] = None,
    shadow: Annotated[
        bool, typer.Option(help="Build beside the live one; switch if equal")
    ] = False,
) -> None:
    """Rebuild projections from zero with a progress bar."""
    names = [name] if name else list(MODELS)
    if name and name not in MODELS:
        raise typer.BadParameter(f"unknown projection {name!r}; one of {', '.join(MODELS)}")
    operator_ran("rebuild", " ".join([*names, *(["--shadow"] if shadow else [])]))
    build_projector(settings()).close()
    env = bootstrap.persistence_env(_url())
    columns = (BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    for each in names:
        with Progress("{task.description}", *columns, console=console) as bar:
            task = bar.add_task(each, total=None)

            def tick(done: int, total: int, task: Any = task, bar: Progress = bar) -> None:
                bar.update(task, completed=done, total=total)

            if shadow:
                result = shadow_rebuild(env, each, tick)
                verdict = (
                    "switched" if result.switched else f"kept live; differs {result.differences}"
                )
                console.print(f"{each}: shadow at {result.position}, {verdict}")
            else:
                console.print(f"{each}: {rebuild_model(env, each, tick)} events")


@app.command()
def projections() -> None:
    """Each projection's position and lag behind the store."""
    table = Table("projection", "position", "lag")
    for row in _read(reads.positions):
        table.add_row(row["name"], str(row["position"]), str(row["lag"]))
    console.print(table)


@app.command()
def inspect(unit: Unit, as_of: AsOf = None, known_at: KnownAt = None) -> None:
    """Print a unit's dashboard as of a date (and as the records stood at a time)."""
    desk = signed_in()
    period = Period(unit, as_of or desk.today(), known_at)
    _may_read(desk, unit, period.as_of)
    board = _read(lambda conn: dashboard(conn, period))
    table = Table("figure", str(period.the_year), str(period.the_year - 1))
    before = board["previous_year"] or {}
    for key, value in board["current"].items():
        table.add_row(key, _show(value), _show(before.get(key)))
    console.print(table)


def _may_read(desk: Desk, unit: str, on: date) -> None:
    """Refuse (and record) unless the user may read the unit on that day (today at the latest)."""
    run(lambda: desk.may_read(unit, on=min(on, desk.today())))


def _show(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_show(v)}" for k, v in value.items()) or "—"
    return "—" if value is None else str(value)


@app.command()
def audit(
    member: Annotated[str | None, typer.Option("--member", help="Party card number")] = None,
    actor: Annotated[str | None, typer.Option("--actor")] = None,
    unit: Annotated[str | None, typer.Option("--unit", help="Unit subtree (today)")] = None,
    start: Annotated[datetime | None, typer.Option("--from", help="Recorded from")] = None,
    end: Annotated[datetime | None, typer.Option("--to", help="Recorded until")] = None,
) -> None:
    """Print the audit trail of a member, or of a unit's subtree (default: yours), filtered."""
    desk = signed_in()
    member_id = run(lambda: desk.member_by_card(member)).member_id if member else None
    root = unit or desk.user.unit_id
    if member_id is None:
        run(lambda: desk.may_read(root))

    async def query(conn: Any) -> list[dict[str, Any]]:
        units = None if member_id else await scope(conn, root, desk.today())
        return await reads.audit(
            conn,
            member_id=member_id,
            actor_id=actor,
            units=units,
            recorded_from=start,
            recorded_to=end,
        )

    table = Table("#", "effective", "recorded", "event", "by", "role", "unit", "comment")
    for r in _read(query):
        table.add_row(
            str(r["notification_id"]), str(r["effective_date"]),
            r["recorded_at"].isoformat(timespec="seconds"), r["event"], r["actor_id"] or "",
            r["role"] or "", r["actor_unit_id"] or "", r["comment"] or "",
        )  # fmt: skip
    console.print(table)


@app.command()
def verify(
    evidence_file: Annotated[
        Path | None, typer.Option("--evidence", help="An exported file")
    ] = None,
) -> None:
    """Recompute the seal from the stored events; with --evidence, check the file too."""
    operator_ran("verify", "--evidence" if evidence_file else "")
    projector = build_projector(settings())
    try:
        with projector.transaction() as cur:
            verdict = verify_seal(cur)
    finally:
        projector.close()
    problems = evidence.seal_problems(verdict)
    if evidence_file is not None:
        data = json.loads(evidence_file.read_text(encoding="utf-8"))
        problems += _read(lambda conn: evidence.mismatches(conn, data))
    if problems:
        for problem in problems:
            console.print(f"[red]✗ {problem}[/]")
        raise typer.Exit(1)
    console.print(
        f"[green]✓[/] {verdict.checked} events sealed up to {verdict.head_position};"
        f" head {verdict.head}"
    )


@app.command("export-evidence")
def export_evidence(
    unit: Unit,
    file: Annotated[Path, typer.Argument(help="Where to write the JSON file")],
    as_of: AsOf = None,
    known_at: KnownAt = None,
) -> None:
    """Write a unit's inspection evidence (figures, lists, audit rows, seal head) to a file."""
    desk = signed_in()
    day = as_of or desk.today()
    _may_read(desk, unit, day)
    data = _read(lambda conn: evidence.export(conn, unit, day, known_at))
    file.write_text(json.dumps(data, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    console.print(f"[green]✓[/] {file}: seal position {data['seal']['position']}")
