"""Domain events (pydantic), each carrying who, which command, when it took effect, and why."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import CanInitAggregate, CanMutateAggregate
from pydantic import BaseModel, ConfigDict

from domain.roles import Actor


class DomainEvent(BaseModel, CanMutateAggregate[UUID]):
    """An event as the store keeps it; `timestamp` is when it was recorded."""

    model_config = ConfigDict(frozen=True)

    originator_id: UUID
    originator_version: int
    timestamp: datetime

    def _as_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()  # the fields, as `Stamp.fields` takes them


class Recorded(DomainEvent):
    """A business fact: who did it, which command caused it, when it took effect, and why."""

    actor: Actor
    command_id: UUID
    effective_date: date
    regulation: str
    comment: str | None = None


class Creation(DomainEvent, CanInitAggregate[UUID]):
    """The first event of an aggregate; names the aggregate class it creates."""

    originator_topic: str
