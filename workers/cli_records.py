"""Reads of records as `liaison` subcommands: the units of one's subtree, a liaison's deadlines."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer
from rich.table import Table

from workers.cli_support import app, console, run, settings, signed_in

Card = Annotated[str, typer.Argument(metavar="CARD", help="Party card number")]


@app.command()
def units(on: Annotated[date | None, typer.Option()] = None) -> None:
    """List the organisation units of your subtree in force on a date."""
    desk = signed_in()
    day = on or desk.today()
    tree = desk.office.tree()
    table = Table("id", "name", "kind", "parent", "from", "until", "successor")
    for unit in sorted(tree, key=lambda u: u.id):
        if unit.in_force_on(day) and tree.is_within(unit.id, desk.user.unit_id, day):
            table.add_row(
                unit.id,
                unit.name,
                unit.kind.value,
                unit.parent_id or "",
                str(unit.valid_from),
                str(unit.valid_until or ""),
                unit.successor_id or "",
            )
    console.print(table)


@app.command()
def deadlines(card: Card, on: Annotated[date | None, typer.Option()] = None) -> None:
    """What a member's liaison is waiting for, and since when it is overdue."""
    desk = signed_in()
    day = on or desk.today()
    liaison_id = run(lambda: desk.open_liaison(desk.member_by_card(card)))
    vi = settings().language == "vi"
    table = Table(
        *(("Việc", "Hạn", "Đơn vị", "Quá hạn") if vi else ("Awaited", "Due", "Unit", "Overdue"))
    )
    for deadline in run(lambda: desk.deadlines(liaison_id, day)):
        table.add_row(
            deadline.kind.value,
            str(deadline.due_on),
            deadline.unit_id,
            "✗" if deadline.is_overdue(day) else "",
        )
    console.print(table)
