"""One run of a bulk import of a file: started before its first member is written, completed after
its last, so that an import cut short (a crash, a kill) shows as incomplete until run again."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import BaseAggregate

from domain.events import Creation, Recorded
from domain.stamp import Stamp


def import_run_id(import_command_id: UUID) -> UUID:
    """The run's id, derived from the import's own id (the file's digest): a re-run finds it."""
    return uuid5(import_command_id, "run")


class ImportStarted(Recorded, Creation):
    """An import of a file began writing: its name, digest and how many members it holds."""

    source: str
    digest: str
    members: int

    def apply(self, aggregate: Any) -> None:
        aggregate.source, aggregate.digest = self.source, self.digest
        aggregate.started_on, aggregate.completed = self.effective_date, False


class ImportCompleted(Recorded):
    """The import wrote every valid member of the file (how many)."""

    members: int

    def apply(self, aggregate: Any) -> None:
        aggregate.completed = True


class ImportRun(BaseAggregate[UUID]):
    """The record of one file's import, from its start until it is complete."""

    source: str
    digest: str
    completed: bool

    def __init__(self) -> None:
        """State comes from the events (see their `apply`)."""

    @classmethod
    def start(
        cls, stamp: Stamp, import_command_id: UUID, source: str, digest: str, members: int
    ) -> ImportRun:
        """Record that the import of a file begins writing."""
        return cls._create(
            ImportStarted,
            id=import_run_id(import_command_id),
            source=source,
            digest=digest,
            members=members,
            **stamp.fields(),
        )

    def complete(self, stamp: Stamp, members: int) -> None:
        """Record that every valid member was written (once)."""
        if not self.completed:
            self.trigger_event(ImportCompleted, members=members, **stamp.fields())
