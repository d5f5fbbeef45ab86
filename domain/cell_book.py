"""The CellBook aggregate: a residence cell's book (sổ theo dõi) of the working members it received
and the days of its regular meetings — what a meeting's roster is checked against."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import BaseAggregate

from domain.errors import Duplicate
from domain.events import Creation, Recorded
from domain.messages import UnitRef
from domain.stamp import Stamp

CELL_BOOK_NAMESPACE = UUID("3c0f6a52-9b1e-4d7a-8e25-7f4b1c9d2e60")


def cell_book_id(cell_id: str) -> UUID:
    """The id of a cell's book, derived from the cell's code (one book per cell)."""
    return uuid5(CELL_BOOK_NAMESPACE, cell_id)


class CellBookOpened(Recorded, Creation):
    """The cell's book was opened, with the first member it received."""

    cell_id: str

    def apply(self, aggregate: Any) -> None:
        aggregate.cell_id = self.cell_id
        aggregate.liaison_ids = ()
        aggregate.regular_meetings = {}


class EnteredInCellBook(Recorded):
    """The cell entered a received member in its book."""

    liaison_id: UUID

    def apply(self, aggregate: Any) -> None:
        aggregate.liaison_ids = (*aggregate.liaison_ids, self.liaison_id)


class RegularMeetingNoted(Recorded):
    """The cell held its regular meeting on the effective date."""

    meeting_id: UUID

    def apply(self, aggregate: Any) -> None:
        aggregate.regular_meetings = {
            **aggregate.regular_meetings,
            self.effective_date: self.meeting_id,
        }


class CellBook(BaseAggregate[UUID]):
    """Sổ theo dõi đảng viên đang công tác: whom the cell received, when it met regularly."""

    cell_id: str
    liaison_ids: tuple[UUID, ...]
    regular_meetings: dict[date, UUID]

    def __init__(self) -> None:
        """State comes from the events (see their `apply`)."""

    @classmethod
    def open(cls, stamp: Stamp, cell_id: str) -> CellBook:
        """A new book for the cell."""
        return cls._create(
            CellBookOpened, id=cell_book_id(cell_id), cell_id=cell_id, **stamp.fields()
        )

    def enter(self, stamp: Stamp, liaison_id: UUID) -> None:
        """Enter a received member (once: a retried receipt enters nobody twice)."""
        if liaison_id not in self.liaison_ids:
            self.trigger_event(EnteredInCellBook, liaison_id=liaison_id, **stamp.fields())

    def note_regular_meeting(self, stamp: Stamp, meeting_id: UUID) -> None:
        """Note the day's regular meeting; a cell holds at most one regular meeting a day."""
        day = stamp.effective_date
        held = self.regular_meetings.get(day)
        if held == meeting_id:
            return  # the same meeting, retried
        if held is not None:
            raise Duplicate(
                "{cell} already held its regular meeting on {day}; record another meeting of "
                "that day as an ad hoc meeting.",
                cell=UnitRef(self.cell_id),
                day=day,
            )
        self.trigger_event(RegularMeetingNoted, meeting_id=meeting_id, **stamp.fields())
