"""The `liaison` command: start the embedded stack, record liaison work, print timelines."""

from __future__ import annotations

import signal
import sys
import time
from typing import Annotated

import typer
from rich.table import Table

from application.office import LiaisonOffice
from application.views import MemberView
from domain.labels import EVENTS, STAGES, label
from workers import (
    bootstrap,
    cli_commands,
    cli_login,
    cli_read,
    cli_records,
    cli_scale,
    cli_users,
    embedded,
    onboarding,
    walkthrough,
)
from workers.cli_support import app, console, office, operator_ran, run, settings, signed_in, today


def print_timeline(liaison_office: LiaisonOffice, member: MemberView) -> None:
    """Print one member's timeline: every event, who did it, and the stage after it."""
    lang = settings().language
    vi = lang == "vi"
    table = Table(title=f"{member.name} — {member.party_card_number}", show_lines=False)
    table.add_column("Hiệu lực" if vi else "Effective", no_wrap=True)
    for heading in (
        ("Sự kiện", "Event"),
        ("Người làm", "By"),
        ("Vai trò", "Role"),
        ("QĐ", "Reg."),
        ("Giai đoạn sau", "Stage after"),
        ("Chi tiết", "Details"),
    ):
        table.add_column(heading[0] if vi else heading[1])
    for entry in liaison_office.timeline(member.member_id):
        details = ", ".join(
            f"{k}={v}"
            for k, v in entry.details.items()
            if v not in (None, "") and not k.endswith("_id")
        )
        if entry.comment:
            details = f"{details} «{entry.comment}»".strip(", ")
        table.add_row(
            entry.effective_date.isoformat(),
            label(EVENTS, entry.event, lang),
            entry.actor_id,
            entry.role,
            entry.regulation,
            label(STAGES, entry.stage_after.value, lang),
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
    url = embedded.database_url(config)
    where = "DATABASE_URL" if config.database_url else f"embedded PostgreSQL in {config.data_dir}"
    console.print(f"[bold]Liaison[/] · PostgreSQL: {where}")
    liaison_office = bootstrap.build_office(config)
    walkthrough.record_sample_year(liaison_office, today())
    operator_ran("up", "demo" if demo else "", liaison_office)
    if demo:
        load_demo_province(liaison_office)
    console.print(
        f"Event store ready: {liaison_office.recorder.max_notification_id() or 0} events"
        f" (schema in {url.split('?')[0]})."
    )
    print_sample(liaison_office)
    console.print(
        "Try in another terminal: [cyan].venv/bin/liaison timeline "
        f"{walkthrough.SAMPLE_CARD}[/], [cyan].venv/bin/liaison --help[/]"
    )
    if once:
        return
    from workers.stack import start_stack

    stack = start_stack(config, url)
    ui = stack.ui_url or f"the UI of {stack.temporal_address} (TEMPORAL_ADDRESS)"
    console.print(f"Temporal: {stack.temporal_address} · UI: [cyan]{ui}[/]")
    console.print("Running the worker, dispatcher, projector and board. Press Ctrl-C to stop.")
    if demo:
        onboarding.start_in_background(config, liaison_office, console.print)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        while not stack.failed():
            time.sleep(1)
        console.print(f"[red]Stopped: a process exited ({', '.join(stack.failed())}).[/]")
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        stack.stop()
    console.print("Stopped; data kept for the next start.")


def load_demo_province(liaison_office: LiaisonOffice) -> None:
    """Load the demo province into the store unless it is already there."""
    from workers.province import demo as demo_province

    console.print("Demo province: 1,000 members, 10 years of history (seed 1)…")
    report = demo_province.ensure(liaison_office)
    if report is None:
        console.print("  already loaded.")
    else:
        console.print(
            f"  {report.valid:,} members, {report.events:,} events in {report.seconds:.0f} s"
            f" ({len(report.problems)} problems)."
        )


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
    print_timeline(desk.office, run(lambda: desk.member_by_card(card)))


__all__ = [
    "app",
    "cli_commands",
    "cli_login",
    "cli_read",
    "cli_records",
    "cli_scale",
    "cli_users",
]  # fmt: skip


def main() -> None:
    """Entry point of the `liaison` console script."""
    app()
