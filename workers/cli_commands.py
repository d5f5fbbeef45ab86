"""The daily work as `liaison` subcommands: one per domain command, members named by party card."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID, uuid4

import typer
from rich.table import Table

from domain import commands as cmd
from domain.organisation import Unit, UnitKind
from workers.cli_support import AsOption, actor, app, console, office, run, today

DateOption = Annotated[date | None, typer.Option("--date", help="Effective date (default today)")]
CommentOption = Annotated[str | None, typer.Option(help="Comment or reason, as on the form")]
CommandIdOption = Annotated[
    UUID | None, typer.Option(help="Idempotency key: repeat it to retry safely")
]
Card = Annotated[str, typer.Argument(help="Party card number")]


def command_fields(
    as_: str, when: date | None, comment: str | None, command_id: UUID | None
) -> dict[str, object]:
    return {
        "command_id": command_id or uuid4(),
        "actor": actor(as_),
        "effective_date": when or today(),
        "comment": comment,
    }


def liaison_of(card: str) -> UUID:
    member = run(lambda: office().member_by_card(card))
    liaison_id = member.open_liaison_id or (member.liaison_ids[-1] if member.liaison_ids else None)
    if liaison_id is None:
        console.print(f"[red]{member.name} has no liaison / chưa được giới thiệu[/]")
        raise typer.Exit(2)
    return liaison_id


def done(message: str) -> None:
    console.print(f"[green]✓[/] {message}")


@app.command("unit-add")
def unit_add(
    unit_id: str,
    name: str,
    kind: UnitKind,
    as_: AsOption,
    parent: Annotated[str | None, typer.Option()] = None,
    valid_from: Annotated[date, typer.Option("--from")] = date(2000, 1, 1),
    when: DateOption = None,
    command_id: CommandIdOption = None,
) -> None:
    """Enter an organisation unit (administrators)."""
    unit = Unit(id=unit_id, name=name, kind=kind, parent_id=parent, valid_from=valid_from)
    run(
        lambda: office().establish_unit(
            cmd.EstablishUnit(unit=unit, **command_fields(as_, when, None, command_id))
        )
    )
    done(f"{unit_id} {name}")


@app.command()
def units(on: Annotated[date | None, typer.Option()] = None) -> None:
    """List the organisation units in force on a date."""
    day = on or today()
    table = Table("id", "name", "kind", "parent", "from", "until", "successor")
    for unit in sorted(office().tree(), key=lambda u: u.id):
        if unit.in_force_on(day):
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
def register(
    card: Card,
    name: Annotated[str, typer.Option()],
    birth: Annotated[date, typer.Option()],
    workplace: Annotated[str, typer.Option()],
    as_: AsOption,
    citizen_id: Annotated[str | None, typer.Option()] = None,
    when: DateOption = None,
    command_id: CommandIdOption = None,
) -> None:
    """Register a working member of your workplace."""
    command = run(
        lambda: cmd.parse_command(
            cmd.RegisterMember,
            {
                **command_fields(as_, when, None, command_id),
                "name": name,
                "birth_date": birth,
                "party_card_number": card,
                "citizen_id": citizen_id,
                "workplace_unit_id": workplace,
            },
        )
    )
    member_id = run(lambda: office().register_member(command))
    done(f"{name} ({card}) → {member_id}")


@app.command()
def refer(
    card: Card,
    commune: Annotated[str, typer.Option()],
    as_: AsOption,
    temporary: bool = False,
    when: DateOption = None,
    comment: CommentOption = None,
    command_id: CommandIdOption = None,
) -> None:
    """Refer a member to the commune/ward committee of their residence."""
    member = run(lambda: office().member_by_card(card))
    referral = cmd.Referral(
        residence_commune_id=commune, residence_kind="temporary" if temporary else "permanent"
    )
    liaison_id = run(
        lambda: office().refer(
            cmd.Refer(
                member_id=member.member_id,
                referral=referral,
                **command_fields(as_, when, comment, command_id),
            )
        )
    )
    done(f"{member.name} → {commune}: liaison {liaison_id}")


@app.command("receive-commune")
def receive_commune(
    card: Card,
    cell: Annotated[str, typer.Option()],
    as_: AsOption,
    when: DateOption = None,
    comment: CommentOption = None,
    command_id: CommandIdOption = None,
) -> None:
    """The commune/ward committee receives a referral and assigns the cell."""
    liaison_id = liaison_of(card)
    run(
        lambda: office().receive_at_commune(
            cmd.ReceiveAtCommune(
                liaison_id=liaison_id,
                cell_id=cell,
                **command_fields(as_, when, comment, command_id),
            )
        )
    )
    done(f"{card} → {cell}")


@app.command("receive-cell")
def receive_cell(
    card: Card,
    as_: AsOption,
    when: DateOption = None,
    comment: CommentOption = None,
    command_id: CommandIdOption = None,
) -> None:
    """The residence cell receives the member into its book."""
    liaison_id = liaison_of(card)
    run(
        lambda: office().receive_at_cell(
            cmd.ReceiveAtCell(
                liaison_id=liaison_id, **command_fields(as_, when, comment, command_id)
            )
        )
    )
    done(f"{card} received")
