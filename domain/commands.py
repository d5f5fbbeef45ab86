"""Commands (pydantic): what a board, a workflow or an import asks the domain to do."""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum
from typing import Annotated, Any, Literal, TypeVar
from uuid import UUID, uuid5

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator

from domain.meeting import AttendanceEntry
from domain.messages import Message
from domain.organisation import Unit
from domain.policy import EARLIEST_DAY
from domain.roles import Actor, Role
from domain.state import ClosingReason
from domain.text import clean_line, clean_text
from domain.validation import InvalidValue, malformed

EARLIEST_BIRTH = date(1900, 1, 1)
"""No living working member was born before this; an earlier date is a typing slip."""

Line = Annotated[str, Field(min_length=1, max_length=500), AfterValidator(clean_line)]
"""One line a person typed: a name, a reason (NFC; no controls, bidi overrides or line breaks)."""
Text = Annotated[str, Field(max_length=2000), AfterValidator(clean_text)]
"""Free text: a comment (NFC; line breaks and tabs allowed, other controls refused)."""
Code = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[\w.\-/:]+$")]
"""An identifier such as a unit code: letters, digits and . - _ / : only."""
Grade = Annotated[str, Field(max_length=50)]
"""A grade's key; the regulation's scale decides which exist (`Policy.grade`)."""


class Command(BaseModel):
    """Every command: an idempotency key, who asks, the date it takes effect, a comment."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    command_id: UUID
    actor: Actor
    effective_date: date = Field(ge=EARLIEST_DAY)
    comment: Text | None = None


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


def _checked_unit(unit: Unit) -> Unit:
    """A unit as a board enters it: a code for its id and parent, one clean line for its name."""
    codes = [unit.id, *([unit.parent_id] if unit.parent_id else [])]
    if any(not _CODE.fullmatch(code) or len(code) > 100 for code in codes):
        raise InvalidValue(Message("{field} takes letters, digits and . - _ / : only."))
    return unit.model_copy(update={"name": clean_line(unit.name)})


_CODE = re.compile(r"[\w.\-/:]+")


class EstablishUnit(Command):
    unit: Annotated[Unit, AfterValidator(_checked_unit)]


class SucceedUnits(Command):
    predecessor_ids: tuple[Code, ...] = Field(min_length=1)
    successor: Annotated[Unit, AfterValidator(_checked_unit)]


class EndUnit(Command):
    """A unit ends on the command's date (its first day out of force), with no successor."""

    unit_id: Code


Username = Annotated[str, Field(min_length=2, max_length=64, pattern=r"^[a-z0-9][a-z0-9._-]*$")]
"""A sign-in name: lower-case letters, digits and . _ - (as `bithu.tdp1`)."""


class OpenAccount(Command):
    """Open a board account; the server gives it a one-time password."""

    username: Username
    role: Role
    unit_id: Code


class ResetPassword(Command):
    """Give an account a new one-time password, ending its sessions and tokens."""

    username: Username


class ReassignAccount(Command):
    """Move an account to another unit and/or role, ending its sessions and tokens."""

    username: Username
    role: Role
    unit_id: Code


class RetireAccount(Command):
    """Retire an account: it can no longer sign in; its sessions and tokens end at once."""

    username: Username


class OverridePolicy(Command):
    province_id: Code
    setting: Code
    value: int | tuple[int, int] | Annotated[str, Field(max_length=100), AfterValidator(clean_line)]


class WithdrawPolicyOverride(Command):
    province_id: Code
    setting: Code
    override_from: date = Field(ge=EARLIEST_DAY)
    """The date the withdrawn override took effect (it names the override)."""


def _party_card(number: str) -> str:
    """A party card number as printed on the card: digits only (a letter O is not a zero)."""
    if not number.isascii() or not number.isdigit():
        raise InvalidValue(
            Message(
                "{field} is written in digits only, as printed on the card; “{value}” is not.",
                value=number,
            )
        )
    return number


def _citizen_id(number: str | None) -> str | None:
    """A citizen identity card (CCCD) number: exactly 12 digits."""
    if number is not None and not (number.isascii() and number.isdigit() and len(number) == 12):
        raise InvalidValue(
            Message("{field} has exactly 12 digits (the CCCD number); “{value}” does not.",
                    value=number)
        )  # fmt: skip
    return number


PartyCard = Annotated[str, Field(min_length=4, max_length=20), AfterValidator(_party_card)]
"""A party card number: digits only, as on the card."""
CitizenId = Annotated[str | None, Field(default=None, max_length=20), AfterValidator(_citizen_id)]
"""A citizen identity card (CCCD) number: 12 digits."""


class RebuildSeal(Command):
    """Dựng lại niêm phong: what the seal held when an administrator had it rebuilt."""

    replaced_position: int = Field(ge=0)
    replaced_link: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    tracked_position: int = Field(ge=0)


class RegisterMember(Command):
    name: Line
    birth_date: date = Field(gt=EARLIEST_BIRTH)
    party_card_number: PartyCard
    citizen_id: CitizenId = None
    workplace_unit_id: Code


class TransferMember(Command):
    """Move a member to another workplace: both workplaces' common superior decides it."""

    member_id: UUID
    workplace_unit_id: Code


class ExemptFromIntroduction(Command):
    member_id: UUID
    reason: Line


class LiftIntroductionExemption(Command):
    member_id: UUID


class Referral(BaseModel):
    """Where a member is referred to: the residence commune and the kind of residence."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    residence_commune_id: Code
    residence_kind: Literal["permanent", "temporary"] = "permanent"
    workplace_unit_id: Code | None = None


class Refer(Command):
    member_id: UUID
    referral: Referral
    predecessor_id: UUID | None = None


class ReceiveAtCommune(Command):
    liaison_id: UUID
    cell_id: Code


class ReceiveAtCell(Command):
    liaison_id: UUID


class RecordMeeting(Command):
    """A cell's meeting: a regular one lists every member the cell received and still expects
    (`others_present` lists those left out as present: "all present, except…")."""

    cell_id: Code
    ad_hoc: bool = False
    attendance: tuple[AttendanceEntry, ...] = Field(default=(), max_length=5000)
    others_present: bool = False

    @field_validator("attendance")
    @classmethod
    def _clean_reasons(cls, entries: tuple[AttendanceEntry, ...]) -> tuple[AttendanceEntry, ...]:
        cleaned = []
        for entry in entries:
            reason = entry.absence_reason
            if reason is not None:
                reason = clean_line(reason) or None
                if reason is not None and len(reason) > 500:
                    raise InvalidValue(
                        Message("An absence reason takes at most {most} characters.", most=500)
                    )
            cleaned.append(entry.model_copy(update={"absence_reason": reason}))
        return tuple(cleaned)


class Assess(Command):
    liaison_id: UUID
    year: int = Field(ge=2000, le=2100)
    grade: Grade
    front_committee_representative: Line | None = None
    late_reason: Line | None = None
    """Why the assessment is made after the window's due date (refused without it then)."""


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
    grade: Grade | None = None


class ExemptFromActivities(Command):
    liaison_id: UUID
    reason: Line


class LiftActivitiesExemption(Command):
    liaison_id: UUID


class Propose(Command):
    liaison_id: UUID
    kind: Literal["commendation", "discipline"]


class Close(Command):
    liaison_id: UUID
    reason: ClosingReason
    successor: Referral | None = None


class SendClosingSlip(Command):
    liaison_id: UUID


def derived_id(command_id: UUID, purpose: str) -> UUID:
    """An id that a command creates, derived from the command id so a retry creates the same."""
    return uuid5(command_id, purpose)


TCommand = TypeVar("TCommand", bound=Command)


def parse_command(kind: type[TCommand], payload: dict[str, Any]) -> TCommand:
    """Build a command from plain data, refusing malformed input with the offending field named."""
    try:
        return kind.model_validate(payload)
    except ValidationError as error:
        raise malformed(error.errors()) from None
