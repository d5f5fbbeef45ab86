"""The year's assessment (nhận xét, đánh giá): the cell assesses, the commune confirms, the result
goes back to the workplace; and the next year's cycle opens."""

from __future__ import annotations

from datetime import date

from application.use import Use
from application.work import Decision, Work, on_liaison, residence_policy
from domain import commands as cmd
from domain.roles import Action


def assess(work: Work, command: cmd.Assess) -> Decision:
    """Nhận xét, đánh giá: the cell's annual assessment of a member.

    The cell's annual assessment of a member, on the scale of the regulation in force."""
    liaison = work.liaison(command.liaison_id)
    # A late assessment of 2019 made in 2020 is on the scale that governed 2019.
    on = min(command.effective_date, date(command.year, 12, 31))
    policy = residence_policy(work, liaison, on)
    liaison.assess(
        work.stamp(policy), command.year, command.grade, policy,
        command.front_committee_representative, command.late_reason,
    )  # fmt: skip
    return Decision([liaison])


def confirm_assessment(work: Work, command: cmd.ConfirmAssessment) -> Decision:
    """The commune/ward committee confirms the cell's assessment."""
    liaison = work.liaison(command.liaison_id)
    liaison.confirm_assessment(work.stamp(residence_policy(work, liaison)), command.year)
    return Decision([liaison])


def report_back(work: Work, command: cmd.ReportBack) -> Decision:
    """Thông báo kết quả: send the confirmed assessment back to the workplace."""
    liaison = work.liaison(command.liaison_id)
    liaison.report_back(work.stamp(residence_policy(work, liaison)), command.year)
    return Decision([liaison])


def open_cycle(work: Work, command: cmd.OpenCycle) -> Decision:
    """Open the next annual cycle (normally the workflow's job each January)."""
    liaison = work.liaison(command.liaison_id)
    liaison.open_cycle(work.stamp(residence_policy(work, liaison)), command.year)
    return Decision([liaison])


USES = (
    Use(assess, Action.ASSESS, on_liaison("cell"), "The assessment was recorded."),
    Use(confirm_assessment, Action.CONFIRM_ASSESSMENT, on_liaison("commune"),
        "The assessment was confirmed."),
    Use(report_back, Action.REPORT_BACK, on_liaison("residence"),
        "The result was reported back to the workplace."),
    Use(open_cycle, Action.OPEN_CYCLE, on_liaison("any"), "The year's cycle was opened."),
)  # fmt: skip
