"""Read-side `liaison` subcommands: rebuild, projections, inspect, audit, verify, evidence."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from asyncpg.exceptions import UndefinedTableError
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn
from rich.table import Table

from api.documents.pdf import NotADocument
from api.documents.record import Source
from api.documents.service import check as check_document
from domain.calendar import in_vietnam
from domain.commands import RebuildSeal
from domain.errors import Refused
from projections import evidence, reads
from projections.catalog import MODELS
from projections.dashboard import Period, dashboard, scope
from projections.rebuild import SHADOW, ShadowResult, shadow_rebuild
from projections.rebuild import rebuild as rebuild_model
from projections.runner import Projector
from projections.seal import head as seal_head
from projections.seal import verify as verify_seal
from workers import bootstrap, cli_support
from workers.bootstrap import build_projector
from workers.checkpoints import check as check_checkpoints
from workers.checkpoints import trusted_key
from workers.cli_seal import checkpoint_problems, run_seal
from workers.cli_support import Desk, app, console, operator_ran, run, settings, signed_in
from workers.cli_words import actor as actor_name
from workers.cli_words import day, lab, number, t, tn
from workers.cli_words import unit as unit_of
from workers.embedded import database_url

T = TypeVar("T")
Unit = Annotated[str, typer.Option("--unit", help="Organisation unit id")]
AsOf = Annotated[date | None, typer.Option("--as-of", help="Effective date (default today)")]


def _zoned(moment: datetime | None) -> datetime | None:
    """A time typed without a zone is Vietnam's (`…T22:49:06` is `…T22:49:06+07:00`)."""
    return in_vietnam(moment) if moment is not None else None


KnownAt = Annotated[
    datetime | None,
    typer.Option(
        "--known-at", help="As the records stood at this time (Vietnam's unless a zone is given)",
        callback=_zoned,
    ),
]  # fmt: skip


def _url() -> str:
    return database_url(settings())


class NotBuilt(Refused):
    """The read models are not built yet (no projector has run on this store)."""

    code = "not_built"


class Building(Refused):
    """A bulk catch-up is building the read models (`projections.reads.building`)."""

    code = "building"


def _read(query: Callable[..., Awaitable[T]], connections: int = 1, models: bool = True) -> T:
    """The query's result, on this many read connections of its own (closed after); refused
    while a bulk catch-up builds the read models, if it reads them (`models`)."""

    async def go() -> T:
        async with contextlib.AsyncExitStack() as opened:
            conns = []
            for _ in range(connections):
                conns.append(await reads.connect(_url()))
                opened.push_async_callback(conns[-1].close)
            try:
                build = await reads.building(conns[0]) if models else None
                if build is not None:  # said as the board says it (api.errors)
                    raise Building.saying(build.message())
                return await query(*conns)
            except UndefinedTableError:  # said as the board says it (api.errors)
                raise NotBuilt(
                    "The read models are not built yet; the projector is on it, try again shortly."
                ) from None

    return run(lambda: asyncio.run(go()))


@app.command()
def rebuild(
    name: Annotated[str | None, typer.Argument(help=f"One of {', '.join(MODELS)}")] = None,
    shadow: Annotated[
        bool, typer.Option(help="Build beside the live one; switch if equal")
    ] = False,
) -> None:
    """Rebuild projections from zero with a progress bar; the seal only by name, by a signed-in
    administrator of the whole store (recorded, with the head it replaces)."""
    names = [name] if name else [m for m in MODELS if m != "seal"]
    if name and name not in MODELS:
        raise typer.BadParameter(f"unknown projection {name!r}; one of {', '.join(MODELS)}")
    if names == ["seal"]:
        _record_seal_rebuild()
    else:
        operator_ran("rebuild", " ".join([*names, *(["--shadow"] if shadow else [])]))
    build_projector(settings()).close()
    env = bootstrap.persistence_env(_url())
    columns = (BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    # Shadows one by one (each compared with its live model); in place, all at once: one pass
    # over the log, on every core when it is long.
    for chosen in [[each] for each in names] if shadow else [names]:
        label = ", ".join(map(projection, chosen))
        with Progress("{task.description}", *columns, console=console) as bar:
            task = bar.add_task(label, total=None)

            def tick(done: int, total: int, task: Any = task, bar: Progress = bar) -> None:
                bar.update(task, completed=done, total=total)

            if shadow:
                result = shadow_rebuild(env, chosen[0], tick)
                verdict = _verdict(result)
                shadow_at = t("shadow at %(position)s", position=number(result.position))
                console.print(f"{label}: {shadow_at}, {verdict}")
            else:
                events = rebuild_model(env, chosen, tick)
                counted = tn("%(num)s event", "%(num)s events", events)
                console.print(f"{label}: {counted}")


def _verdict(result: ShadowResult) -> str:
    """What became of a shadow build, in words: switched, or kept the live one and why (rows
    are counted, not named by their tables)."""
    if result.switched:
        return t("switched")
    if "version" in result.differences:  # a new version of the model is being built already
        return t("kept the live one; a new version of it is being built and switches itself")
    rows = sum(result.differences.values())
    return tn(
        "kept the live one; %(num)s row differs from the rebuilt one",
        "kept the live one; %(num)s rows differ from the rebuilt one",
        rows,
    )


def projection(name: str) -> str:
    """A read model as people call it; a shadow being built beside it says so."""
    live = name.removesuffix(SHADOW)
    if live != name and live in MODELS:
        return t("%(model)s (rebuilt beside it)", model=lab("projection", live))
    return lab("projection", name) if name in MODELS else name


def _record_seal_rebuild() -> None:
    """Record the administrator's rebuild of the seal and what it replaces, or refuse (exit 2)."""
    desk = signed_in()
    replaced = _read(seal_head, models=False)  # the seal's own table, and the log
    command = desk.command(
        RebuildSeal,
        {
            "effective_date": desk.today(),
            "replaced_position": replaced["position"],
            "replaced_link": replaced["link"],
            "tracked_position": replaced["tracked"],
        },
    )
    run(lambda: desk.execute(command))
    console.print(
        t(
            "The seal's head at position %(position)s (%(head)s) is replaced.",
            position=number(replaced["position"]), head=replaced["link"] or "—",
        )
    )  # fmt: skip


@app.command()
def projections() -> None:
    """Each projection's position and lag behind the store."""
    table = Table(t("Projection"), t("Position"), t("Behind the store"))
    for row in _read(reads.positions, models=False):  # how far a build has got, too
        table.add_row(projection(row["name"]), number(row["position"]), number(row["lag"]))
    console.print(table)


@app.command()
def inspect(unit: Unit, as_of: AsOf = None, known_at: KnownAt = None) -> None:
    """Print a unit's dashboard as of a date (and as the records stood at a time)."""
    desk = signed_in()
    period = Period(unit, as_of or desk.today(), known_at)
    _may_read(desk, unit, period.as_of)
    board = _read(lambda conn, other: dashboard(conn, period, other), connections=2)
    tree = desk.office.tree()
    table = Table(
        title=" · ".join(
            [unit_of(tree, unit), t("As of") + " " + day(period.as_of)]
            + ([t("As recorded by") + " " + day(known_at)] if known_at else [])
        )
    )
    for heading in (t("Figure"), str(period.the_year), str(period.the_year - 1)):
        table.add_column(heading)
    before = board["previous_year"] or {}
    for key, value in board["current"].items():
        if key in HIDDEN_FIGURES:
            continue
        table.add_row(lab("figure", key), _show(key, value), _show(key, before.get(key)))
    console.print(table)


def _may_read(desk: Desk, unit: str, on: date) -> None:
    """Refuse (and record) unless the user may read the unit on that day (today at the latest)."""
    run(lambda: desk.may_read(unit, on=min(on, desk.today())))


HIDDEN_FIGURES = frozenset({"unit_id", "year", "as_of", "known_at"})
"""The dashboard's keys that say what it is about (in the table's title), not figures."""
BY_CODE = {
    "exempt_from_introduction": "exemption",
    "exempt_from_activities": "exemption",
    "attendance": "attendance",
    "grades": "grade",
}
"""A figure broken down by code, and the label context of its codes."""


def _show(key: str, value: Any) -> str:
    """A figure's value as people read it: numbers grouped, codes by their labels."""
    if value is None:
        return "—"
    if isinstance(value, dict):
        parts = []
        for code, n in value.items():
            count = n["count"] if isinstance(n, dict) else n
            name = lab(BY_CODE[key], code) if key in BY_CODE else str(code)
            parts.append(f"{name}: {number(count)}")
        return ", ".join(parts) or "—"
    if key == "attendance_rate":
        return f"{number(100 * value, 1)}%"
    return number(value) if isinstance(value, int | float) else str(value)


@app.command()
def audit(
    member: Annotated[str | None, typer.Option("--member", help="Party card number")] = None,
    actor: Annotated[str | None, typer.Option("--actor")] = None,
    unit: Annotated[str | None, typer.Option("--unit", help="Unit subtree (today)")] = None,
    start: Annotated[
        datetime | None, typer.Option("--from", help="Recorded from", callback=_zoned)
    ] = None,
    end: Annotated[
        datetime | None, typer.Option("--to", help="Recorded until", callback=_zoned)
    ] = None,
) -> None:
    """Print the audit trail of a member, or of a unit's subtree (default: yours), filtered."""
    desk = signed_in()
    found = run(lambda: desk.member_by_card(member)) if member else None
    member_id = found.member_id if found else None
    root = unit or desk.user.unit_id
    if found is None:
        run(lambda: desk.may_read(root))
    # A member's own record and the liaisons the user may read (as the board's member trail).
    records = None
    if found is not None:
        readable = run(lambda: [i for i in found.liaison_ids if desk.reads(i)])
        records = (found.member_id, *readable)

    async def query(conn: Any) -> list[dict[str, Any]]:
        units = None if member_id else await scope(conn, root, desk.today())
        return await reads.audit(
            conn,
            member_id=member_id,
            records=records,
            actor_id=actor,
            units=units,
            recorded_from=start,
            recorded_to=end,
        )

    tree = desk.office.tree()
    table = Table(
        "#", t("Effective"), t("Recorded"), t("Event"), t("By"), t("Role"), t("Unit"), t("Comment")
    )
    for r in _read(query):
        table.add_row(
            str(r["notification_id"]), day(r["effective_date"]), day(r["recorded_at"]),
            lab("event", r["event"]), actor_name(r["actor_id"]),
            lab("role", r["role"]) if r["role"] else "", unit_of(tree, r["actor_unit_id"]),
            r["comment"] or "",
        )  # fmt: skip
    console.print(table)


SEAL_WAIT_SECONDS = 10.0
"""How long `verify` waits for the projector to seal what the store held when it began."""


@app.command()
def verify(
    evidence_file: Annotated[
        Path | None, typer.Option("--evidence", help="An exported file")
    ] = None,
    document: Annotated[
        Path | None, typer.Option("--document", help="A printed document (PDF)")
    ] = None,
    checkpoints: Annotated[
        Path | None,
        typer.Option(
            "--checkpoints", help="A folder of checkpoint files to check the seal against"
        ),
    ] = None,
    wait: Annotated[
        float, typer.Option(help="Seconds to wait for the seal to reach the store's head")
    ] = SEAL_WAIT_SECONDS,
) -> None:
    """Recompute the seal from the stored events, check every event's receipt and time and that
    the seal reaches the store's head; with --checkpoints, that it matches every signed
    checkpoint; with --evidence, check the file too; with --document, that the printed document's
    code names a sealed link and that the record still holds what it prints."""
    trusted = run_seal(lambda: trusted_key(settings())) if checkpoints else ""
    projector = build_projector(settings())
    try:
        store_head = projector.head()  # before this run's own record, which nothing need seal
        detail = " ".join(
            [
                *(["--evidence"] if evidence_file else []),
                *(["--checkpoints"] if checkpoints else []),
                *(["--document"] if document else []),
            ]
        )
        operator_ran("verify", detail)
        _await_seal(projector, store_head, wait)
        with projector.transaction() as cur:
            verdict = verify_seal(cur, store_head=store_head)
            counted, against = (
                check_checkpoints(cur, checkpoints, trusted) if checkpoints else (0, [])
            )
    finally:
        projector.close()
    problems = evidence.seal_problems(verdict) + checkpoint_problems(against)
    if evidence_file is not None:
        data = json.loads(evidence_file.read_text(encoding="utf-8"))
        problems += _read(lambda conn: evidence.mismatches(conn, data))
    if document is not None:
        problems += _document_problems(document)
    _report(problems)
    sealed = t(
        "%(checked)s events sealed up to position %(position)s; head %(head)s",
        checked=number(verdict.checked), position=number(verdict.head_position), head=verdict.head,
    )  # fmt: skip
    console.print(f"[green]✓[/] {sealed}")
    if checkpoints:
        console.print(
            f"[green]✓[/] {tn('%(num)s checkpoint matches', '%(num)s checkpoints match', counted)}"
        )


def _document_problems(file: Path) -> list[evidence.Problem]:
    """What a printed document fails against the store; exit 2 for a file that is not one."""
    try:
        pdf = file.read_bytes()
        _, found = _read(lambda conn: check_document(Source(cli_support.office(), conn), pdf))
    except (OSError, NotADocument) as error:
        console.print(f"[red]✗ {t('Not a document Liaison printed: %(why)s', why=str(error))}[/]")
        raise typer.Exit(2) from None
    return found


def _await_seal(projector: Projector, position: int, seconds: float) -> None:
    """Wait (at most `seconds`) until the seal's tracked position reaches `position`."""
    seal_model = MODELS["seal"]()
    deadline = time.monotonic() + seconds
    while True:
        with projector.transaction() as cur:
            cur.execute(
                "SELECT notification_id FROM projections_tracking WHERE application_name = %s",
                (seal_model.tracking_name,),
            )
            found = cur.fetchone()
        if (found and int(found["notification_id"] or 0) >= position) or (
            time.monotonic() >= deadline
        ):
            return
        time.sleep(0.2)


def _report(problems: list[evidence.Problem]) -> None:
    """Print each problem in the CLI's language and exit 1; nothing when there is none."""
    if not problems:
        return
    for template, params in problems:
        shown = {k: number(v) if isinstance(v, int) else v for k, v in params.items()}
        console.print(f"[red]✗ {t(template, **shown)}[/]")
    raise typer.Exit(1)


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
    position = number(data["seal"]["position"])
    sealed = t("seal position %(position)s", position=position)
    console.print(f"[green]✓[/] {file}: {sealed}")
