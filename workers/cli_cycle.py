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
    latest_liaison,
    liaison_of,
)
from workers.cli_support import app, console, run, settings, signed_in


@app.command()
def meeting(
    cell: str,
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
    desk = signed_in()
    marks: list[tuple[str, Attendance, str | None]] = [
        (c, Attendance.PRESENT, None) for c in present or []
    ]
    marks += [(c, Attendance.RELATIVE_SENT, None) for c in relative or []]
    marks += [(c, Attendance.ABSENT_WITHOUT_REASON, None) for c in unexcused or []]
    for item in absent or []:
        card, _, reason = item.partition("=")
        marks.append((card, Attendance.ABSENT_WITH_REASON, reason or None))
    entries = [
        AttendanceEntry(liaison_id=liaison_of(desk, card), attendance=mark, absence_reason=why)
        for card, mark, why in marks
    ]
    command = run(
        lambda: cmd.parse_command(
            cmd.RecordMeeting,
            {
                **command_fields(desk, when, comment, command_id),
                "cell_id": cell,
                "ad_hoc": ad_hoc,
                "attendance": entries,
            },
        )
    )
    meeting_id = run(lambda: desk.command(desk.office.record_meeting, command))
    done(f"meeting {meeting_id}: {len(entries)}")


@app.command()
def assess(
    card: Card,
    year: Annotated[int, typer.Option()],
    grade: Annotated[str, typer.Option()],
    front: Annotated[str | None, typer.Option(help="Front representative")] = None,
    when: DateOption = None,
    comment: CommentOption = None,
    command_id: CommandIdOption = None,
) -> None:
    """The cell's annual assessment of a member."""
    desk = signed_in()
    command = cmd.Assess(
        liaison_id=liaison_of(desk, card),
        year=year,
        grade=grade,
        front_committee_representative=front,
        **command_fields(desk, when, comment, command_id),
    )
    run(lambda: desk.command(desk.office.assess, command))
    done(f"{card} {year}: {grade}")


@app.command()
def confirm(
    card: Card,
    year: Annotated[int, typer.Option()],
    when: DateOption = None,
    command_id: CommandIdOption = None,
) -> None:
    """The commune/ward committee confirms the year's assessment."""
    desk = signed_in()
    command = cmd.ConfirmAssessment(
        liaison_id=liaison_of(desk, card), year=year, **command_fields(desk, when, None, command_id)
    )
    run(lambda: desk.command(desk.office.confirm_assessment, command))
    done(f"{card} {year} confirmed")


@app.command("report-back")
def report_back(
    card: Card,
    year: Annotated[int, typer.Option()],
    when: DateOption = None,
    command_id: CommandIdOption = None,
) -> None:
    """Send the confirmed assessment back to the workplace committee."""
    desk = signed_in()
    command = cmd.ReportBack(
        liaison_id=liaison_of(desk, card), year=year, **command_fields(desk, when, None, command_id)
    )
    run(lambda: desk.command(desk.office.report_back, command))
    done(f"{card} {year} reported back")


@app.command()
def close(
    card: Card,
    reason: ClosingReason,
    when: DateOption = None,
    comment: CommentOption = None,
    command_id: CommandIdOption = None,
) -> None:
    """End a member's liaison (move, retirement, expulsion, removal, death)."""
    desk = signed_in()
    command = cmd.Close(
        liaison_id=liaison_of(desk, card),
        reason=reason,
        **command_fields(desk, when, comment, command_id),
    )
    run(lambda: desk.command(desk.office.close_liaison, command))
    done(f"{card} closed: {reason.value}")


@app.command()
def deadlines(card: Card, on: Annotated[date | None, typer.Option()] = None) -> None:
    """What a member's liaison is waiting for, and since when it is overdue."""
    desk = signed_in()
    day = on or desk.today()
    liaison_id = run(lambda: latest_liaison(desk.member(card)))
    vi = settings().language == "vi"
    table = Table(
        *(("Việc", "Hạn", "Đơn vị", "Quá hạn") if vi else ("Awaited", "Due", "Unit", "Overdue"))
    )
    for deadline in run(lambda: desk.office.deadlines(liaison_id, day)):
        table.add_row(
            deadline.kind.value,
            str(deadline.due_on),
            deadline.unit_id,
            "✗" if deadline.is_overdue(day) else "",
        )
    console.print(table)
