"""Request and response bodies of the HTTP API: one body per domain command, minus the actor."""

from __future__ import annotations

from datetime import date
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from domain.commands import Referral, RequestPurpose
from domain.meeting import AttendanceEntry
from domain.state import ClosingReason


class CommandBody(BaseModel):
    """Every command: the client's command id (a retry with it records once), date, comment."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    command_id: UUID
    effective_date: date
    comment: str | None = Field(default=None, max_length=2000)


class OnLiaison(CommandBody):
    liaison_id: UUID


class OnYear(OnLiaison):
    year: int = Field(ge=2000, le=2100)


class RegisterMemberBody(CommandBody):
    name: str = Field(min_length=1, max_length=500)
    birth_date: date
    party_card_number: str = Field(min_length=4, max_length=20, pattern=r"^[0-9A-Za-z.\-]+$")
    citizen_id: str | None = Field(default=None, pattern=r"^[0-9]{9,12}$")
    workplace_unit_id: str = Field(min_length=1, max_length=100)


class TransferMemberBody(CommandBody):
    member_id: UUID
    workplace_unit_id: str = Field(min_length=1, max_length=100)


class ExemptFromIntroductionBody(CommandBody):
    member_id: UUID
    reason: str = Field(min_length=1, max_length=100)


class LiftIntroductionExemptionBody(CommandBody):
    member_id: UUID


class ReferBody(CommandBody):
    member_id: UUID
    referral: Referral
    predecessor_id: UUID | None = None


class ReceiveAtCommuneBody(OnLiaison):
    cell_id: str = Field(min_length=1, max_length=100)


class ReceiveAtCellBody(OnLiaison):
    pass


class RecordMeetingBody(CommandBody):
    cell_id: str = Field(min_length=1, max_length=100)
    ad_hoc: bool = False
    attendance: tuple[AttendanceEntry, ...] = Field(min_length=1, max_length=5000)


class AssessBody(OnYear):
    grade: str = Field(min_length=1, max_length=50)
    front_committee_representative: str | None = Field(default=None, max_length=500)


class ConfirmAssessmentBody(OnYear):
    pass


class ReportBackBody(OnYear):
    pass


class OpenCycleBody(OnYear):
    pass


class RequestAssessmentBody(OnLiaison):
    purpose: RequestPurpose


class ProvideAssessmentBody(OnLiaison):
    request_id: UUID
    grade: str | None = Field(default=None, max_length=50)


class ExemptFromActivitiesBody(OnLiaison):
    reason: str = Field(min_length=1, max_length=100)


class LiftActivitiesExemptionBody(OnLiaison):
    pass


class ProposeBody(OnLiaison):
    kind: Literal["commendation", "discipline"]


class CloseBody(OnLiaison):
    reason: ClosingReason
    successor: Referral | None = None


class ResolveEscalationBody(CommandBody):
    """A supervisor or committee member closes an escalation of their subtree, saying how."""

    escalation_id: UUID
    comment: str = Field(min_length=1, max_length=2000)


class Accepted(BaseModel):
    """A command was recorded (or had been, under the same command id): the ids it made."""

    command_id: UUID
    member_id: UUID | None = None
    liaison_id: UUID | None = None
    meeting_id: UUID | None = None
    request_id: UUID | None = None
    successor_id: UUID | None = None
    escalation_id: UUID | None = None


class TokenCreate(BaseModel):
    """Sign in for a bearer token."""

    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=1, max_length=200)


class TokenPublic(BaseModel):
    """A bearer token for API clients: send it as `Authorization: Bearer <token>`."""

    access_token: str
    token_type: Literal["bearer"] = "bearer"
