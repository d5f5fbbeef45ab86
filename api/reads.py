"""The board's read port: what its pages ask of the read side, and the shapes of the answers."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Protocol
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from domain.state import LiaisonState


class Metric(StrEnum):
    """A figure on the dashboard; each names the list of members behind it."""

    IN_SCOPE = "in_scope"
    REFERRED = "referred"
    RECEIVED = "received"
    AWAITING_RECEIPT = "awaiting_receipt"
    EXEMPT_INTRODUCTION = "exempt_introduction"
    EXEMPT_ACTIVITIES = "exempt_activities"
    ASSESSED = "assessed"
    REPORTED = "reported"
    NOT_ASSESSED = "not_assessed"
    OVERDUE = "overdue"


class Scope(BaseModel):
    """Which unit's subtree, for which year, seen on which business date and as recorded by when."""

    model_config = ConfigDict(frozen=True)

    unit_id: str
    year: int
    on: date
    recorded_by: datetime | None = None

    def previous(self) -> Scope:
        """The same scope one year earlier (29 February falls back to the 28th)."""
        on = self.on.replace(day=min(self.on.day, 28)) if self.on.month == 2 else self.on
        recorded = self.recorded_by
        if recorded is not None:
            recorded = recorded.replace(year=recorded.year - 1, day=min(recorded.day, 28))
        return Scope(
            unit_id=self.unit_id,
            year=self.year - 1,
            on=on.replace(year=on.year - 1),
            recorded_by=recorded,
        )


class Figures(BaseModel):
    """The dashboard of one scope: counts per metric, funnel, grades, meetings, overdue by unit."""

    scope: Scope
    counts: dict[Metric, int]
    stages: dict[str, int]
    grades: dict[str, int]
    meetings_held: int
    meetings_expected: int
    attendance_present: int
    attendance_entries: int
    overdue_by_unit: dict[str, int]
    source: str


class Row(BaseModel):
    """One line of a list behind a figure: a member, their liaison and where it stands."""

    member_id: UUID
    name: str
    liaison_id: UUID | None = None
    workplace_unit_id: str
    residence_commune_id: str | None = None
    cell_id: str | None = None
    stage: str | None = None
    detail: str | None = None


class MeetingRow(BaseModel):
    """A meeting a cell held."""

    meeting_id: UUID
    cell_id: str
    held_on: date
    ad_hoc: bool
    attendance: dict[str, int]


class EscalationRow(BaseModel):
    """An open escalation: which deadline was missed, whose it is, who was told."""

    escalation_id: UUID
    liaison_id: UUID
    kind: str
    due_on: date
    unit_id: str
    superior_unit_id: str | None
    steps: list[str]


class BoardReads(Protocol):
    """What the board reads; answered by projections once they exist, else by the store itself."""

    async def figures(self, scope: Scope) -> Figures:
        """The dashboard figures of the scope."""
        ...

    async def rows(self, scope: Scope, metric: Metric) -> list[Row]:
        """The list of members behind one figure."""
        ...

    async def liaisons(self, scope: Scope) -> list[Row]:
        """Every open liaison in the scope (the work lists: queues, tick-lists)."""
        ...

    async def states(self, scope: Scope) -> list[LiaisonState]:
        """The full state of every liaison in the scope as of its date, open or closed."""
        ...

    async def meetings(self, scope: Scope) -> list[MeetingRow]:
        """The meetings held in the scope's year up to its date."""
        ...

    async def escalations(self, scope: Scope) -> list[EscalationRow]:
        """Open escalations that concern the scope's units."""
        ...
