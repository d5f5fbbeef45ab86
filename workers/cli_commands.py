"""The daily work as `liaison` subcommands: one per domain command, members named by party card."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID, uuid4

import typer
from rich.table import Table

from domain import commands as cmd
from domain.meeting import AttendanceEntry
from domain.organisation import Unit, UnitKind
from domain.state import Attendance, ClosingReason
from workers.cli_support import AsOption, actor, app, console, office, run, settings, today

DateOption = Annotated[date | None, typer.Option("--date", help="Effective date (default today)")]
CommentOption = Annotated[str | None, typer.Option(help="Comment or reason, as on the form")]
CommandIdOption = Annotated[
    UUID | None, typer.Option(help="Idempotency key: repeat it to retry safely")
]
Card = Annotated[str, typer.Argument(help="Party card number")]


def _base(
    as_: str, when: date | None, comment: str | None, command_id: UUID | None
) -> dict[str, object]:
    return {
        "command_id": command_id or uuid4(),
        "actor": actor(as_),
        "effective_date": when or today(),
        "comment": comment,
    }


def _liaison_of(card: str) -> UUID:
    member = run(lambda: office().member_by_card(card))
    liaison_id = member.open_liaison_id or (member.liaison_ids[-1] if member.liaison_ids else None)
    if liaison_id is None:
        console.print(f"[red]{member.name} has no liaison / chưa được giới thiệu[/]")
        raise typer.Exit(2)
    return liaison_id


def _done(message: str) -> None:
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
            cmd.EstablishUnit(unit=unit, **_base(as_, when, None, command_id))
        )
    )
    _done(f"{unit_id} {name}")


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
                **_base(as_, when, None, command_id),
                "name": name,
                "birth_date": birth,
                "party_card_number": card,
                "citizen_id": citizen_id,
                "workplace_unit_id": workplace,
            },
        )
    )
    member_id = run(lambda: office().register_member(command))
    _done(f"{name} ({card}) → {member_id}")


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
                **_base(as_, when, comment, command_id),
            )
        )
    )
    _done(f"{member.name} → {commune}: liaison {liaison_id}")


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
    liaison_id = _liaison_of(card)
    run(
        lambda: office().receive_at_commune(
            cmd.ReceiveAtCommune(
                liaison_id=liaison_id, cell_id=cell, **_base(as_, when, comment, command_id)
            )
        )
    )
    _done(f"{card} → {cell}")


@app.command("receive-cell")
def receive_cell(
    card: Card,
    as_: AsOption,
    when: DateOption = None,
    comment: CommentOption = None,
    command_id: CommandIdOption = None,
) -> None:
    """The residence cell receives the member into its book."""
    liaison_id = _liaison_of(card)
    run(
        lambda: office().receive_at_cell(
            cmd.ReceiveAtCell(liaison_id=liaison_id, **_base(as_, when, comment, command_id))
        )
    )
    _done(f"{card} received")


@app.command()
def meeting(
    cell: str,
    as_: AsOption,
    present: Annotated[list[str] | None, typer.Option(help="card")] = None,
    relative: Annotated[list[str] | None, typer.Option(help="card: sent a relative")] = None,
    absent: Annotated[list[str] | None, typer.Option(help="card=reason")] = None,
    unexcused: Annotated[list[str] | None, typer.Option(help="card")] = None,
    ad_hoc: bool = False,
    when: DateOption = None,
    comment: CommentOption = None,
    command_id: CommandIdOption = None,
) -> None:
    """Record a cell meeting with the attendance of its working members."""
    entries = [
        AttendanceEntry(liaison_id=_liaison_of(c), attendance=Attendance.PRESENT)
        for c in present or []
    ]
    entries += [
        AttendanceEntry(liaison_id=_liaison_of(c), attendance=Attendance.RELATIVE_SENT)
        for c in relative or []
    ]
    entries += [
        AttendanceEntry(liaison_id=_liaison_of(c), attendance=Attendance.ABSENT_WITHOUT_REASON)
        for c in unexcused or []
    ]
    for item in absent or []:
        card, _, reason = item.partition("=")
        entries.append(
            AttendanceEntry(
                liaison_id=_liaison_of(card),
                attendance=Attendance.ABSENT_WITH_REASON,
                absence_reason=reason or None,
            )
        )
    meeting_id = run(
        lambda: office().record_meeting(
            cmd.parse_command(
                cmd.RecordMeeting,
                {
                    **_base(as_, when, comment, command_id),
                    "cell_id": cell,
                    "ad_hoc": ad_hoc,
                    "attendance": entries,
                },
            )
        )
    )
    _done(f"meeting {meeting_id}: {len(entries)}")


@app.command()
def assess(
    card: Card,
    year: Annotated[int, typer.Option()],
    grade: Annotated[str, typer.Option()],
    as_: AsOption,
    front: Annotated[str | None, typer.Option(help="Front representative")] = None,
    when: DateOption = None,
    comment: CommentOption = None,
    command_id: CommandIdOption = None,
) -> None:
    """The cell's annual assessment of a member."""
    liaison_id = _liaison_of(card)
    run(
        lambda: office().assess(
            cmd.Assess(
                liaison_id=liaison_id,
                year=year,
                grade=grade,
                front_committee_representative=front,
                **_base(as_, when, comment, command_id),
            )
        )
    )
    _done(f"{card} {year}: {grade}")


@app.command()
def confirm(
    card: Card,
    year: Annotated[int, typer.Option()],
    as_: AsOption,
    when: DateOption = None,
    command_id: CommandIdOption = None,
) -> None:
    """The commune/ward committee confirms the year's assessment."""
    liaison_id = _liaison_of(card)
    run(
        lambda: office().confirm_assessment(
            cmd.ConfirmAssessment(
                liaison_id=liaison_id, year=year, **_base(as_, when, None, command_id)
            )
        )
    )
    _done(f"{card} {year} confirmed")


@app.command("report-back")
def report_back(
    card: Card,
    year: Annotated[int, typer.Option()],
    as_: AsOption,
    when: DateOption = None,
    command_id: CommandIdOption = None,
) -> None:
    """Send the confirmed assessment back to the workplace committee."""
    liaison_id = _liaison_of(card)
    run(
        lambda: office().report_back(
            cmd.ReportBack(liaison_id=liaison_id, year=year, **_base(as_, when, None, command_id))
        )
    )
    _done(f"{card} {year} reported back")


@app.command()
def close(
    card: Card,
    reason: ClosingReason,
    as_: AsOption,
    when: DateOption = None,
    comment: CommentOption = None,
    command_id: CommandIdOption = None,
) -> None:
    """End a member's liaison (move, retirement, expulsion, removal, death)."""
    liaison_id = _liaison_of(card)
    run(
        lambda: office().close_liaison(
            cmd.Close(liaison_id=liaison_id, reason=reason, **_base(as_, when, comment, command_id))
        )
    )
    _done(f"{card} closed: {reason.value}")


@app.command()
def deadlines(card: Card, on: Annotated[date | None, typer.Option()] = None) -> None:
    """What a member's liaison is waiting for, and since when it is overdue."""
    day = on or today()
    vi = settings().language == "vi"
    table = Table(
        *(("Việc", "Hạn", "Đơn vị", "Quá hạn") if vi else ("Awaited", "Due", "Unit", "Overdue"))
    )
    for deadline in office().deadlines(_liaison_of(card), day):
        table.add_row(
            deadline.kind.value,
            str(deadline.due_on),
            deadline.unit_id,
            "✗" if deadline.is_overdue(day) else "",
        )
    console.print(table)
