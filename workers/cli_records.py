"""Reads of records as `liaison` subcommands: the units of one's subtree, a liaison's deadlines."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer
from rich.table import Table

from workers.cli_support import app, console, run, signed_in
from workers.cli_words import day as when
from workers.cli_words import lab, t, unit

Card = Annotated[str, typer.Argument(metavar="CARD", help="Party card number")]


@app.command()
def units(on: Annotated[date | None, typer.Option()] = None) -> None:
    """List the organisation units of your subtree in force on a date."""
    desk = signed_in()
    day = on or desk.today()
    tree = desk.office.tree()
    table = Table(
        t("Unit"), t("Kind"), t("Parent unit"), t("In force from"), t("Until"), t("Successor")
    )
    for _, found in run(lambda: tree.outline(desk.user.unit_id, day)):
        parent = tree.parent_on(found, day)  # a merged commune's cells show its successor
        table.add_row(
            unit(tree, found.id),
            lab("unit_kind", found.kind),
            unit(tree, parent.id if parent else None),
            when(found.valid_from),
            when(found.valid_until),
            unit(tree, found.successor_id),
        )
    console.print(table)


@app.command()
def deadlines(card: Card, on: Annotated[date | None, typer.Option()] = None) -> None:
    """What a member's liaison is waiting for, and since when it is overdue."""
    desk = signed_in()
    day = on or desk.today()
    liaison_id = run(lambda: desk.open_liaison(desk.member_by_card(card)))
    tree = desk.office.tree()
    table = Table(t("Awaited"), t("Due"), t("Unit"), t("Overdue"))
    for deadline in run(lambda: desk.deadlines(liaison_id, day)):
        table.add_row(
            lab("deadline_kind", deadline.kind),
            when(deadline.due_on),
            unit(tree, deadline.unit_id),
            "✗" if deadline.is_overdue(day) else "",
        )
    console.print(table)
