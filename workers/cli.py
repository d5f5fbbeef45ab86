"""The `liaison` command: start the embedded stack, record liaison work, print timelines."""

from __future__ import annotations

import json
import signal
import sys
import urllib.error
import urllib.request
from typing import Annotated

import typer
from rich.table import Table

from api.i18n import event_details
from application.office import LiaisonOffice
from application.views import MemberView, TimelineEntry
from workers import (
    bootstrap,
    cli_backup,
    cli_commands,
    cli_documents,
    cli_login,
    cli_read,
    cli_records,
    cli_scale,
    cli_users,
    embedded,
    walkthrough,
)
from workers.cli_support import app, console, office, operator_ran, run, settings, signed_in, today
from workers.cli_words import actor, day, lab, language, number, person, t, tn, unit
from workers.logs import configure_logging


def print_timeline(
    liaison_office: LiaisonOffice, member: MemberView, entries: list[TimelineEntry] | None = None
) -> None:
    """Print one member's timeline: every event (or those given), who did it, the stage after."""
    tree = liaison_office.tree()
    table = Table(title=person(member.name, member.party_card_number), show_lines=False)
    table.add_column(t("Effective"), no_wrap=True)
    table.add_column(t("Event"), no_wrap=True)  # a label people search for stays on one line
    for heading in (t("By"), t("Role"), t("Regulation"), t("Stage after")):
        table.add_column(heading)
    table.add_column(t("Details"), overflow="fold")
    for entry in liaison_office.timeline(member.member_id) if entries is None else entries:
        shown = event_details(
            entry.event, entry.details, language(), lambda unit_id: unit(tree, unit_id)
        )
        details = ", ".join(shown)
        if entry.comment:
            details = f"{details} «{entry.comment}»".strip(", ")
        table.add_row(
            day(entry.effective_date),
            lab("event", entry.event),
            actor(entry.actor_id),
            lab("role", entry.role),
            entry.regulation,
            lab("stage", entry.stage_after),
            details,
        )
    console.print(table)


@app.command()
def up(
    once: Annotated[bool, typer.Option(help="Set up, show, and exit at once.")] = False,
    demo: Annotated[
        bool, typer.Option(help="Load a seeded 1,000-member demo province first (once).")
    ] = False,
) -> None:
    """Start Liaison on the embedded defaults and show it working; Ctrl-C stops it."""
    config = settings()
    configure_logging(config, "up")  # the supervisor's lines: which process exited, restarted
    url = embedded.database_url(config)
    where = (
        "DATABASE_URL"
        if config.database_url
        else t("embedded PostgreSQL in %(folder)s", folder=config.data_dir)
    )
    console.print(f"[bold]Liaison[/] · PostgreSQL: {where}")
    liaison_office = bootstrap.build_office(config)
    walkthrough.record_sample_year(liaison_office, today())
    operator_ran("up", "demo" if demo else "", liaison_office)
    if demo:
        load_demo_province(liaison_office)
    ready = tn(
        "Event store ready: %(num)s event (schema in %(url)s).",
        "Event store ready: %(num)s events (schema in %(url)s).",
        liaison_office.recorder.max_notification_id() or 0,
        url=url.split("?")[0],
    )
    console.print(ready)
    print_sample(liaison_office)
    commands = (
        f"[cyan].venv/bin/liaison timeline {walkthrough.SAMPLE_CARD}[/],"
        " [cyan].venv/bin/liaison --help[/]"
    )
    console.print(t("Try in another terminal: %(commands)s", commands=commands))
    if once:
        return
    from workers.stack import start_stack

    stack = start_stack(config, url)
    ui = stack.ui_url or t(
        "the UI of %(address)s (TEMPORAL_ADDRESS)", address=stack.temporal_address
    )
    console.print(f"Temporal: {stack.temporal_address} · UI: [cyan]{ui}[/]")
    console.print(t("Running the worker, dispatcher, projector and board. Press Ctrl-C to stop."))
    if demo:
        from workers import onboarding  # a Temporal client: only `up` starts workflows

        onboarding.start_in_background(config, liaison_office, console.print)
    stop_on_signals()
    try:
        stack.supervise()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        stack.stop()
        liaison_office.close()
        embedded.stop_postgres(config.data_dir)
    console.print(t("Stopped; data kept for the next start."))


def stop_on_signals() -> None:
    """Ctrl-C (SIGINT) and SIGTERM stop `liaison up`, however it was started: a command started
    in the background by a script (`liaison up &`, `nohup`) is given SIGINT ignored, which Python
    keeps, and `kill -INT` (or a test's Ctrl-C) was then ignored, the stack running on."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))


@app.command()
def status(
    urls: Annotated[
        list[str] | None,
        typer.Argument(help="Health endpoints to ask (default: those of `liaison up`)."),
    ] = None,
) -> None:
    """Each process's state: ready, not ready (and which checks fail), or not answering."""
    from workers.stack import health_urls

    asked = {url: url for url in urls} if urls else health_urls(settings())
    table = Table(t("Process"), t("Address"), t("State"))
    all_ready = True
    for name, url in asked.items():
        state = _readiness(url)
        all_ready = all_ready and state is None
        table.add_row(name, url, t("ready") if state is None else state)
    console.print(table)
    if not all_ready:
        raise typer.Exit(1)


def _readiness(url: str) -> str | None:
    """None when the endpoint answers ready; else what is wrong, in the reader's language."""
    try:
        with urllib.request.urlopen(f"{url.rstrip('/')}/readyz", timeout=10) as answer:
            json.load(answer)
            return None
    except urllib.error.HTTPError as refusal:
        try:
            checks = json.load(refusal).get("checks", {})
        except ValueError:
            checks = {}
        failed = ", ".join(sorted(n for n, state in checks.items() if state != "ok"))
        return t("not ready: %(checks)s", checks=failed or refusal.code)
    except (OSError, ValueError):
        return t("not answering")


def load_demo_province(liaison_office: LiaisonOffice) -> None:
    """Load the demo province into the store unless it is already there."""
    from workers.province import demo as demo_province

    console.print(
        t(
            "Demo province: %(members)s members, %(years)s years of history (seed %(seed)s)…",
            members=number(1000), years=10, seed=1,
        )
    )  # fmt: skip
    report = demo_province.ensure(liaison_office)
    if report is None:
        console.print("  " + t("already loaded."))
    else:
        loaded = t(
            "%(members)s members, %(events)s events in %(seconds)s s (%(problems)s problems).",
            members=number(report.valid), events=number(report.events),
            seconds=number(report.seconds), problems=number(len(report.problems)),
        )  # fmt: skip
        console.print(f"  {loaded}")


def print_sample(liaison_office: LiaisonOffice) -> None:
    """Print the sample member's timeline (made-up data the operator just recorded)."""
    print_timeline(
        liaison_office, run(lambda: liaison_office.member_by_card(walkthrough.SAMPLE_CARD))
    )


@app.command()
def sample() -> None:
    """Record the sample province and one member's full year (idempotent), then its timeline."""
    liaison_office = office()
    walkthrough.record_sample_year(liaison_office, today())
    operator_ran("sample", "", liaison_office)
    print_sample(liaison_office)


@app.command()
def timeline(card: Annotated[str, typer.Argument(help="Party card number")]) -> None:
    """Print a member's timeline (a member of your subtree)."""
    desk = signed_in()
    member = run(lambda: desk.member_by_card(card))
    print_timeline(desk.office, member, run(lambda: desk.timeline(member.member_id)))


__all__ = [
    "app",
    "cli_backup",
    "cli_commands",
    "cli_documents",
    "cli_login",
    "cli_read",
    "cli_records",
    "cli_scale",
    "cli_users",
]  # fmt: skip


def main() -> None:
    """Entry point of the `liaison` console script."""
    app()
