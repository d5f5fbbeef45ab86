"""The daily work as `liaison` subcommands: one per domain command, members named by party card."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID, uuid4

import typer
from rich.table import Table

from domain import commands as cmd
from domain.errors import WrongState
from domain.organisation import Unit, UnitKind
from domain.queries import MemberView
from workers.cli_support import Desk, app, console, run, signed_in

DateOption = Annotated[date | None, typer.Option("--date", help="Effective date (default today)")]
CommentOption = Annotated[str | None, typer.Option(help="Comment or reason, as on the form")]
CommandIdOption = Annotated[
    UUID | None, typer.Option(help="Idempotency key: repeat it to retry safely")
]
Card = Annotated[str, typer.Argument(help="Party card number")]


def command_fields(
    desk: Desk, when: date | None, comment: str | None, command_id: UUID | None
) -> dict[str, object]:
    """The fields every command shares; the actor is the signed-in user."""
    return {
        "command_id": command_id or uuid4(),
        "actor": desk.actor,
        "effective_date": when or desk.today(),
        "comment": comment,
    }


def liaison_of(desk: Desk, card: str) -> UUID:
    """The member's open (else latest) liaison; the command that uses it is authorised on it."""
    return run(lambda: latest_liaison(desk.office.member_by_card(card)))


def latest_liaison(member: MemberView) -> UUID:
    """The member's open liaison, else their latest; refused when they were never referred."""
    found = member.open_liaison_id or (member.liaison_ids[-1] if member.liaison_ids else None)
    if found is None:
        card = member.party_card_number
        raise WrongState(
            f"Member {card} has not been referred.", f"Đảng viên {card} chưa được giới thiệu."
        )
    return found


def done(message: str) -> None:
    console.print(f"[green]✓[/] {message}")


@app.command("unit-add")
def unit_add(
    unit_id: str,
    name: str,
    kind: UnitKind,
    parent: Annotated[str | None, typer.Option()] = None,
    valid_from: Annotated[date, typer.Option("--from")] = date(2000, 1, 1),
    when: DateOption = None,
    command_id: CommandIdOption = None,
) -> None:
    """Enter an organisation unit (administrators)."""
    desk = signed_in()
    unit = Unit(id=unit_id, name=name, kind=kind, parent_id=parent, valid_from=valid_from)
    command = cmd.EstablishUnit(unit=unit, **command_fields(desk, when, None, command_id))
    run(lambda: desk.command(desk.office.establish_unit, command))
    done(f"{unit_id} {name}")


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
def register(
    card: Card,
    name: Annotated[str, typer.Option()],
    birth: Annotated[date, typer.Option()],
    workplace: Annotated[str, typer.Option()],
    citizen_id: Annotated[str | None, typer.Option()] = None,
    when: DateOption = None,
    command_id: CommandIdOption = None,
) -> None:
    """Register a working member of your workplace."""
    desk = signed_in()
    command = run(
        lambda: cmd.parse_command(
            cmd.RegisterMember,
            {
                **command_fields(desk, when, None, command_id),
                "name": name,
                "birth_date": birth,
                "party_card_number": card,
                "citizen_id": citizen_id,
                "workplace_unit_id": workplace,
            },
        )
    )
    member_id = run(lambda: desk.command(desk.office.register_member, command))
    done(f"{name} ({card}) → {member_id}")


@app.command()
def refer(
    card: Card,
    commune: Annotated[str, typer.Option()],
    temporary: bool = False,
    when: DateOption = None,
    comment: CommentOption = None,
    command_id: CommandIdOption = None,
) -> None:
    """Refer a member to the commune/ward committee of their residence."""
    desk = signed_in()
    member = run(lambda: desk.office.member_by_card(card))
    referral = cmd.Referral(
        residence_commune_id=commune, residence_kind="temporary" if temporary else "permanent"
    )
    command = cmd.Refer(
        member_id=member.member_id,
        referral=referral,
        **command_fields(desk, when, comment, command_id),
    )
    liaison_id = run(lambda: desk.command(desk.office.refer, command))
    done(f"{card} → {commune}: liaison {liaison_id}")


@app.command("receive-commune")
def receive_commune(
    card: Card,
    cell: Annotated[str, typer.Option()],
    when: DateOption = None,
    comment: CommentOption = None,
    command_id: CommandIdOption = None,
) -> None:
    """The commune/ward committee receives a referral and assigns the cell."""
    desk = signed_in()
    command = cmd.ReceiveAtCommune(
        liaison_id=liaison_of(desk, card),
        cell_id=cell,
        **command_fields(desk, when, comment, command_id),
    )
    run(lambda: desk.command(desk.office.receive_at_commune, command))
    done(f"{card} → {cell}")


@app.command("receive-cell")
def receive_cell(
    card: Card,
    when: DateOption = None,
    comment: CommentOption = None,
    command_id: CommandIdOption = None,
) -> None:
    """The residence cell receives the member into its book."""
    desk = signed_in()
    command = cmd.ReceiveAtCell(
        liaison_id=liaison_of(desk, card), **command_fields(desk, when, comment, command_id)
    )
    run(lambda: desk.command(desk.office.receive_at_cell, command))
    done(f"{card} received")
