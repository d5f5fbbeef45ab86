"""One endpoint per domain command; the actor is the signed-in user, the command id the client's."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from fastapi import APIRouter

from api.deps import Desk, DeskDep
from api.errors import ERROR_RESPONSES
from api.schemas import (
    Accepted,
    AssessBody,
    CloseBody,
    CommandBody,
    ConfirmAssessmentBody,
    ExemptFromActivitiesBody,
    ExemptFromIntroductionBody,
    LiftActivitiesExemptionBody,
    LiftIntroductionExemptionBody,
    OpenCycleBody,
    ProposeBody,
    ProvideAssessmentBody,
    ReceiveAtCellBody,
    ReceiveAtCommuneBody,
    RecordMeetingBody,
    ReferBody,
    RegisterMemberBody,
    ReportBackBody,
    RequestAssessmentBody,
    ResolveEscalationBody,
    TransferMemberBody,
)
from domain import commands as cmd
from domain.escalation import ResolveEscalation

router = APIRouter(prefix="/api/commands", tags=["commands"], responses=ERROR_RESPONSES)
C = TypeVar("C", bound=cmd.Command)
R = TypeVar("R")


async def execute(desk: Desk, kind: type[C], body: CommandBody, use_case: Callable[[C], R]) -> R:
    """Build the domain command from the body and the user, run it, record a scope refusal."""
    payload = {"actor": desk.user.actor, **body.model_dump()}
    fields = ("liaison_id", "member_id", "cell_id", "workplace_unit_id")
    target = next((str(v) for f in fields if (v := getattr(body, f, None))), "")
    # Parsed inside the call: a command the domain finds malformed is audited like any refusal.
    return await desk.command(
        lambda: use_case(cmd.parse_command(kind, payload)), kind.__name__, target
    )


@router.post("/register-member")
async def register_member(body: RegisterMemberBody, desk: DeskDep) -> Accepted:
    """Enter a working member (the party card number identifies them)."""
    member_id = await execute(desk, cmd.RegisterMember, body, desk.office.register_member)
    return Accepted(command_id=body.command_id, member_id=member_id)


@router.post("/transfer-member")
async def transfer_member(body: TransferMemberBody, desk: DeskDep) -> Accepted:
    """Chuyển nơi công tác: move a member to another workplace (their common superior decides)."""
    await execute(desk, cmd.TransferMember, body, desk.office.transfer_member)
    return Accepted(command_id=body.command_id, member_id=body.member_id)


@router.post("/exempt-from-introduction")
async def exempt_from_introduction(body: ExemptFromIntroductionBody, desk: DeskDep) -> Accepted:
    """Miễn giới thiệu: decide that a member is not introduced to their residence."""
    use_case = desk.office.exempt_from_introduction
    await execute(desk, cmd.ExemptFromIntroduction, body, use_case)
    return Accepted(command_id=body.command_id, member_id=body.member_id)


@router.post("/lift-introduction-exemption")
async def lift_introduction_exemption(
    body: LiftIntroductionExemptionBody, desk: DeskDep
) -> Accepted:
    """End a member's exemption from introduction."""
    use_case = desk.office.lift_introduction_exemption
    await execute(desk, cmd.LiftIntroductionExemption, body, use_case)
    return Accepted(command_id=body.command_id, member_id=body.member_id)


@router.post("/refer")
async def refer(body: ReferBody, desk: DeskDep) -> Accepted:
    """Giới thiệu: refer a member to the commune/ward committee of their residence."""
    liaison_id = await execute(desk, cmd.Refer, body, desk.office.refer)
    return Accepted(command_id=body.command_id, member_id=body.member_id, liaison_id=liaison_id)


@router.post("/receive-at-commune")
async def receive_at_commune(body: ReceiveAtCommuneBody, desk: DeskDep) -> Accepted:
    """The commune/ward committee receives the referral and assigns the member to a cell."""
    await execute(desk, cmd.ReceiveAtCommune, body, desk.office.receive_at_commune)
    return Accepted(command_id=body.command_id, liaison_id=body.liaison_id)


@router.post("/receive-at-cell")
async def receive_at_cell(body: ReceiveAtCellBody, desk: DeskDep) -> Accepted:
    """The residence cell receives the member and enters them in its book."""
    await execute(desk, cmd.ReceiveAtCell, body, desk.office.receive_at_cell)
    return Accepted(command_id=body.command_id, liaison_id=body.liaison_id)


@router.post("/record-meeting")
async def record_meeting(body: RecordMeetingBody, desk: DeskDep) -> Accepted:
    """Sinh hoạt: a cell's meeting with the attendance of its whole list of working members."""
    meeting_id = await execute(desk, cmd.RecordMeeting, body, desk.office.record_meeting)
    return Accepted(command_id=body.command_id, meeting_id=meeting_id)


@router.post("/assess")
async def assess(body: AssessBody, desk: DeskDep) -> Accepted:
    """Nhận xét, đánh giá: the cell's annual assessment, on the scale of the regulation in force."""
    await execute(desk, cmd.Assess, body, desk.office.assess)
    return Accepted(command_id=body.command_id, liaison_id=body.liaison_id)


@router.post("/confirm-assessment")
async def confirm_assessment(body: ConfirmAssessmentBody, desk: DeskDep) -> Accepted:
    """The commune/ward committee confirms the cell's assessment."""
    await execute(desk, cmd.ConfirmAssessment, body, desk.office.confirm_assessment)
    return Accepted(command_id=body.command_id, liaison_id=body.liaison_id)


@router.post("/report-back")
async def report_back(body: ReportBackBody, desk: DeskDep) -> Accepted:
    """Thông báo kết quả: send the confirmed assessment back to the workplace committee."""
    await execute(desk, cmd.ReportBack, body, desk.office.report_back)
    return Accepted(command_id=body.command_id, liaison_id=body.liaison_id)


@router.post("/open-cycle")
async def open_cycle(body: OpenCycleBody, desk: DeskDep) -> Accepted:
    """Open the next annual cycle (normally the workflow's job each January)."""
    await execute(desk, cmd.OpenCycle, body, desk.office.open_cycle)
    return Accepted(command_id=body.command_id, liaison_id=body.liaison_id)


@router.post("/request-assessment")
async def request_assessment(body: RequestAssessmentBody, desk: DeskDep) -> Accepted:
    """Lấy ý kiến nhận xét: the workplace asks the residence for an assessment, for a purpose."""
    request_id = await execute(desk, cmd.RequestAssessment, body, desk.office.request_assessment)
    return Accepted(command_id=body.command_id, liaison_id=body.liaison_id, request_id=request_id)


@router.post("/provide-assessment")
async def provide_assessment(body: ProvideAssessmentBody, desk: DeskDep) -> Accepted:
    """The residence answers an on-demand request."""
    await execute(desk, cmd.ProvideAssessment, body, desk.office.provide_assessment)
    return Accepted(
        command_id=body.command_id, liaison_id=body.liaison_id, request_id=body.request_id
    )


@router.post("/exempt-from-activities")
async def exempt_from_activities(body: ExemptFromActivitiesBody, desk: DeskDep) -> Accepted:
    """Miễn sinh hoạt: exempt a referred member from residence activities."""
    await execute(desk, cmd.ExemptFromActivities, body, desk.office.exempt_from_activities)
    return Accepted(command_id=body.command_id, liaison_id=body.liaison_id)


@router.post("/lift-activities-exemption")
async def lift_activities_exemption(body: LiftActivitiesExemptionBody, desk: DeskDep) -> Accepted:
    """End an exemption from activities."""
    use_case = desk.office.lift_activities_exemption
    await execute(desk, cmd.LiftActivitiesExemption, body, use_case)
    return Accepted(command_id=body.command_id, liaison_id=body.liaison_id)


@router.post("/propose")
async def propose(body: ProposeBody, desk: DeskDep) -> Accepted:
    """The residence cell proposes commendation or discipline to the workplace."""
    await execute(desk, cmd.Propose, body, desk.office.propose)
    return Accepted(command_id=body.command_id, liaison_id=body.liaison_id)


@router.post("/close")
async def close(body: CloseBody, desk: DeskDep) -> Accepted:
    """End a liaison for a reason; a move may refer the member to their new residence at once."""
    successor_id = await execute(desk, cmd.Close, body, desk.office.close_liaison)
    return Accepted(
        command_id=body.command_id, liaison_id=body.liaison_id, successor_id=successor_id
    )


def resolution(desk: Desk, body: ResolveEscalationBody) -> bool:
    """Resolve the escalation named by the body, as the signed-in user (run off the loop)."""
    found = desk.office.escalation(body.escalation_id)
    return desk.office.resolve_escalation(
        ResolveEscalation(
            command_id=body.command_id,
            actor=desk.user.actor,
            effective_date=body.effective_date,
            comment=body.comment,
            liaison_id=found.liaison_id,
            kind=found.kind,
            subject=found.subject,
            resolution="resolved by the board",
            liaison_version=desk.office.liaison(found.liaison_id).version,
        )
    )


@router.post("/resolve-escalation")
async def resolve_escalation(body: ResolveEscalationBody, desk: DeskDep) -> Accepted:
    """Close an open escalation of one's subtree (supervisor or committee member), saying how."""
    await desk.run(lambda: resolution(desk, body), "ResolveEscalation", str(body.escalation_id))
    return Accepted(command_id=body.command_id, escalation_id=body.escalation_id)
