"""What reads of the store answer: a member as the boards see them, one timeline entry."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from domain.state import Stage

STAMP_FIELDS = frozenset(
    {
        "originator_id",
        "originator_version",
        "timestamp",
        "originator_topic",
        "actor",
        "command_id",
        "effective_date",
        "regulation",
        "comment",
    }
)


class MemberView(BaseModel):
    """A member as the boards see them."""

    model_config = ConfigDict(frozen=True)

    member_id: UUID
    name: str
    birth_date: date
    party_card_number: str
    workplace_unit_id: str
    exempt_from_introduction: str | None
    open_liaison_id: UUID | None
    liaison_ids: tuple[UUID, ...]


class TimelineEntry(BaseModel):
    """One event of one of the member's liaisons, with who did it and the stage after it."""

    model_config = ConfigDict(frozen=True)

    liaison_id: UUID
    version: int
    event: str
    effective_date: date
    recorded_at: datetime
    actor_id: str
    role: str
    unit_id: str
    regulation: str
    command_id: UUID
    comment: str | None
    details: dict[str, Any]
    stage_after: Stage
