"""The year's work as `liaison` subcommands: meetings, assessment, reporting back, closing."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer
from rich.table import Table

from domain import commands as cmd
from domain.meeting import AttendanceEntry
from domain.state import Attendance, ClosingReason
from workers.cli_commands import (
    Card,
    CommandIdOption,
    CommentOption,
    DateOption,
    command_fields,
    done,
    liaison_of,
)
from workers.cli_support import AsOption, app, console, office, run, settings, today


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
        AttendanceEntry(liaison_id=liaison_of(c), attendance=Attendance.PRESENT)
        for c in present or []
    ]
    entries += [
        AttendanceEntry(liaison_id=liaison_of(c), attendance=Attendance.RELATIVE_SENT)
        for c in relative or []
    ]
    entries += [
        AttendanceEntry(liaison_id=liaison_of(c), attendance=Attendance.ABSENT_WITHOUT_REASON)
        for c in unexcused or []
    ]
    for item in absent or []:
        card, _, reason = item.partition("=")
        entries.append(
            AttendanceEntry(
                liaison_id=liaison_of(card),
                attendance=Attendance.ABSENT_WITH_REASON,
                absence_reason=reason or None,
            )
        )
    meeting_id = run(
        lambda: office().record_meeting(
            cmd.parse_command(
                cmd.RecordMeeting,
                {
                    **command_fields(as_, when, comment, command_id),
                    "cell_id": cell,
                    "ad_hoc": ad_hoc,
                    "attendance": entries,
                },
            )
        )
    )
    done(f"meeting {meeting_id}: {len(entries)}")


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
    liaison_id = liaison_of(card)
    run(
        lambda: office().assess(
            cmd.Assess(
                liaison_id=liaison_id,
                year=year,
                grade=grade,
                front_committee_representative=front,
                **command_fields(as_, when, comment, command_id),
            )
        )
    )
    done(f"{card} {year}: {grade}")


@app.command()
def confirm(
    card: Card,
    year: Annotated[int, typer.Option()],
    as_: AsOption,
    when: DateOption = None,
    command_id: CommandIdOption = None,
) -> None:
    """The commune/ward committee confirms the year's assessment."""
    liaison_id = liaison_of(card)
    run(
        lambda: office().confirm_assessment(
            cmd.ConfirmAssessment(
                liaison_id=liaison_id, year=year, **command_fields(as_, when, None, command_id)
            )
        )
    )
    done(f"{card} {year} confirmed")


@app.command("report-back")
def report_back(
    card: Card,
    year: Annotated[int, typer.Option()],
    as_: AsOption,
    when: DateOption = None,
    command_id: CommandIdOption = None,
) -> None:
    """Send the confirmed assessment back to the workplace committee."""
    liaison_id = liaison_of(card)
    run(
        lambda: office().report_back(
            cmd.ReportBack(
                liaison_id=liaison_id, year=year, **command_fields(as_, when, None, command_id)
            )
        )
    )
    done(f"{card} {year} reported back")


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
    liaison_id = liaison_of(card)
    run(
        lambda: office().close_liaison(
            cmd.Close(
                liaison_id=liaison_id,
                reason=reason,
                **command_fields(as_, when, comment, command_id),
            )
        )
    )
    done(f"{card} closed: {reason.value}")


@app.command()
def deadlines(card: Card, on: Annotated[date | None, typer.Option()] = None) -> None:
    """What a member's liaison is waiting for, and since when it is overdue."""
    day = on or today()
    vi = settings().language == "vi"
    table = Table(
        *(("Việc", "Hạn", "Đơn vị", "Quá hạn") if vi else ("Awaited", "Due", "Unit", "Overdue"))
    )
    for deadline in office().deadlines(liaison_of(card), day):
        table.add_row(
            deadline.kind.value,
            str(deadline.due_on),
            deadline.unit_id,
            "✗" if deadline.is_overdue(day) else "",
        )
    console.print(table)
