"""Read helpers that later parts reuse: stage, deadlines, history as of a version or a date."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, cast
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from domain.application import OfficeBase
from domain.deadlines import Deadline, open_deadlines
from domain.errors import no_such
from domain.liaison_events import LiaisonEvent, replay
from domain.state import LiaisonState, Stage

_COMMON = frozenset(
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


class Queries(OfficeBase):
    """Queries over the event store for the CLI, workflows and tests; dashboards use projections."""

    def history(
        self, liaison_id: UUID, *, as_of_version: int | None = None, as_of_date: date | None = None
    ) -> list[LiaisonEvent]:
        """The liaison's events in order, up to a version and/or effective by a date."""
        events = [cast(LiaisonEvent, e) for e in self.events.get(liaison_id, lte=as_of_version)]
        if not events:
            raise no_such("liaison")
        if as_of_date is not None:
            events = [e for e in events if e.effective_date <= as_of_date]
        return events

    def state_of(
        self, liaison_id: UUID, *, as_of_version: int | None = None, as_of_date: date | None = None
    ) -> LiaisonState:
        """The liaison's state now, or as it stood at a version or on a date."""
        events = self.history(liaison_id, as_of_version=as_of_version, as_of_date=as_of_date)
        if not events:
            raise no_such("liaison")  # it did not exist yet on that date
        return replay(events)

    def stage(self, liaison_id: UUID) -> Stage:
        """The liaison's lifecycle stage now."""
        return self.state_of(liaison_id).stage

    def deadlines(self, liaison_id: UUID, on: date) -> list[Deadline]:
        """What the liaison awaits on that date, under the policy then in force."""
        state = self.state_of(liaison_id, as_of_date=on)
        return open_deadlines(state, self.policy(on, state.residence_commune_id), on)

    def member(self, member_id: UUID) -> MemberView:
        """A member's record."""
        m = self.member_aggregate(member_id)
        return MemberView(
            member_id=m.id,
            name=m.name,
            birth_date=m.birth_date,
            party_card_number=m.party_card_number,
            workplace_unit_id=m.workplace_unit_id,
            exempt_from_introduction=m.exemption,
            open_liaison_id=m.open_liaison_id,
            liaison_ids=tuple(m.liaison_ids),
        )

    def member_by_card(self, party_card_number: str) -> MemberView:
        """A member found by party card number."""
        return self.member(self.member_id_for(party_card_number))

    def timeline(self, member_id: UUID) -> list[TimelineEntry]:
        """Every event of every liaison of the member, in order, with the stage after each."""
        entries: list[TimelineEntry] = []
        for liaison_id in self.member(member_id).liaison_ids:
            state: LiaisonState | None = None
            for event in self.history(liaison_id):
                state = event.evolve(state)  # type: ignore[arg-type]
                data = event.model_dump(mode="json")
                entries.append(
                    TimelineEntry(
                        liaison_id=liaison_id,
                        version=event.originator_version,
                        event=type(event).__name__,
                        effective_date=event.effective_date,
                        recorded_at=event.timestamp,
                        actor_id=event.actor.id,
                        role=event.actor.role.value,
                        unit_id=event.actor.unit_id,
                        regulation=event.regulation,
                        command_id=event.command_id,
                        comment=event.comment,
                        details={k: v for k, v in data.items() if k not in _COMMON},
                        stage_after=state.stage,
                    )
                )
        return entries
