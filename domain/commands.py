"""Commands (pydantic): what a board, a workflow or an import asks the domain to do."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Any, Literal, TypeVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from domain.errors import Malformed
from domain.meeting import AttendanceEntry
from domain.organisation import Unit
from domain.roles import Actor
from domain.state import ClosingReason

NonEmpty = Field(min_length=1, max_length=500)


class Command(BaseModel):
    """Every command: an idempotency key, who asks, the date it takes effect, a comment."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    command_id: UUID
    actor: Actor
    effective_date: date
    comment: str | None = Field(default=None, max_length=2000)


class RequestPurpose(StrEnum):
    """Why a workplace asks the residence for an assessment."""

    ADMISSION = "admission"
    OFFICIAL_MEMBERSHIP = "official_membership"
    PLANNING = "planning"
    CANDIDACY = "candidacy"
    APPOINTMENT = "appointment"
    REAPPOINTMENT = "reappointment"
    COMMENDATION = "commendation"
    DISCIPLINE = "discipline"


class EstablishUnit(Command):
    unit: Unit


class SucceedUnits(Command):
    predecessor_ids: tuple[str, ...] = Field(min_length=1)
    successor: Unit


class OverridePolicy(Command):
    province_id: str
    setting: str
    value: int | tuple[int, int] | str


class RegisterMember(Command):
    name: str = NonEmpty
    birth_date: date
    party_card_number: str = Field(min_length=4, max_length=20, pattern=r"^[0-9A-Za-z.\-]+$")
    citizen_id: str | None = Field(default=None, pattern=r"^[0-9]{9,12}$")
    workplace_unit_id: str


class ExemptFromIntroduction(Command):
    member_id: UUID
    reason: str


class LiftIntroductionExemption(Command):
    member_id: UUID


class Referral(BaseModel):
    """Where a member is referred to: the residence commune and the kind of residence."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    residence_commune_id: str
    residence_kind: Literal["permanent", "temporary"] = "permanent"
    workplace_unit_id: str | None = None


class Refer(Command):
    member_id: UUID
    referral: Referral
    predecessor_id: UUID | None = None


class ReceiveAtCommune(Command):
    liaison_id: UUID
    cell_id: str


class ReceiveAtCell(Command):
    liaison_id: UUID


class RecordMeeting(Command):
    cell_id: str
    ad_hoc: bool = False
    attendance: tuple[AttendanceEntry, ...] = Field(min_length=1)


class Assess(Command):
    liaison_id: UUID
    year: int = Field(ge=2000, le=2100)
    grade: str
    front_committee_representative: str | None = None


class ConfirmAssessment(Command):
    liaison_id: UUID
    year: int = Field(ge=2000, le=2100)


class ReportBack(Command):
    liaison_id: UUID
    year: int = Field(ge=2000, le=2100)


class OpenCycle(Command):
    liaison_id: UUID
    year: int = Field(ge=2000, le=2100)


class RequestAssessment(Command):
    liaison_id: UUID
    purpose: RequestPurpose


class ProvideAssessment(Command):
    liaison_id: UUID
    request_id: UUID
    grade: str | None = None


class ExemptFromActivities(Command):
    liaison_id: UUID
    reason: str


class LiftActivitiesExemption(Command):
    liaison_id: UUID


class Propose(Command):
    liaison_id: UUID
    kind: Literal["commendation", "discipline"]


class Close(Command):
    liaison_id: UUID
    reason: ClosingReason
    successor: Referral | None = None


TCommand = TypeVar("TCommand", bound=Command)


def parse_command(kind: type[TCommand], payload: dict[str, Any]) -> TCommand:
    """Build a command from plain data, refusing malformed input with the offending field named."""
    try:
        return kind.model_validate(payload)
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "(command)"
        raise Malformed(
            f"Field {field!r}: {first['msg']}.",
            f"Trường {field!r} không hợp lệ: {first['msg']}.",
        ) from None
