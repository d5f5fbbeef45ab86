"""On-demand assessments (lấy ý kiến nhận xét) and the residence cell's proposals of commendation
or discipline to the workplace."""

from __future__ import annotations

from application.outcome import Outcome
from application.use import Use
from application.work import Decision, Work, on_liaison, residence_policy
from domain import commands as cmd
from domain.roles import Action


def request_assessment(work: Work, command: cmd.RequestAssessment) -> Decision:
    """Lấy ý kiến nhận xét: the workplace asks the residence for an assessment.

    The workplace asks the residence for an assessment, for a purpose."""
    liaison = work.liaison(command.liaison_id)
    request_id = cmd.derived_id(command.command_id, "request")
    liaison.request_assessment(
        work.stamp(residence_policy(work, liaison)), request_id, command.purpose.value
    )
    return Decision([liaison], Outcome(request_id=request_id))


def provide_assessment(work: Work, command: cmd.ProvideAssessment) -> Decision:
    """The residence answers an on-demand request."""
    liaison = work.liaison(command.liaison_id)
    policy = residence_policy(work, liaison)
    liaison.provide_assessment(work.stamp(policy), command.request_id, command.grade, policy)
    return Decision([liaison], Outcome(request_id=command.request_id))


def propose(work: Work, command: cmd.Propose) -> Decision:
    """The residence cell proposes commendation or discipline to the workplace.

    The residence cell proposes commendation or discipline, with grounds."""
    liaison = work.liaison(command.liaison_id)
    liaison.propose(
        work.stamp(residence_policy(work, liaison)), discipline=command.kind == "discipline"
    )
    return Decision([liaison])


USES = (
    Use(request_assessment, Action.REQUEST_ASSESSMENT, on_liaison("workplace"),
        "The request was sent to the residence."),
    Use(provide_assessment, Action.PROVIDE_ASSESSMENT, on_liaison("cell"),
        "The answer was sent to the workplace."),
    Use(propose, Action.PROPOSE, on_liaison("cell"), "The proposal was sent to the workplace."),
)  # fmt: skip
