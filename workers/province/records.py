"""Plain records of members and their history, as a file or the demo generator gives them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Unpack

from domain.errors import OutOfScope, Refused
from domain.messages import Message, Params

MEMBERS, HISTORY = "members", "history"
"""The two tables of an import: one row per member, one row per past fact."""


@dataclass(frozen=True)
class Where:
    """A cell of the input: table, row number as the board sees it (header is 1), column, value."""

    table: str
    row: int
    column: str
    value: str


@dataclass(frozen=True)
class Problem:
    """One reason a row cannot be imported (translated at the edge), with the refusal's code."""

    where: Where
    message: Message
    code: str = ""


class RowError(Exception):
    """A row is refused; carries where and why (from a domain refusal or the file itself)."""

    def __init__(self, where: Where, template: str, /, **params: Unpack[Params]) -> None:
        message = Message(template, **params)
        super().__init__(message.en)
        self.problem = Problem(where, message)

    @classmethod
    def of(cls, problem: Problem) -> RowError:
        """The error carrying that problem."""
        error = cls(problem.where, problem.message.template)
        error.problem = problem
        error.args = (problem.message.en,)
        return error

    @classmethod
    def refused(cls, where: Where, refusal: Refused) -> RowError:
        """Wrap a domain refusal with the cell it came from."""
        if isinstance(refusal, OutOfScope):
            return cls.out_of_scope(where)
        return cls.of(Problem(where, refusal.message, refusal.code))

    @classmethod
    def out_of_scope(cls, where: Where) -> RowError:
        """A row outside the importer's subtree, said without naming anything the file did not."""
        # The domain's own message names the units concerned as the tree has them (a successor
        # after a merger, say); the file's cell is named by `where`, which is all the user wrote.
        message = Message(
            "This row lies outside what your role and organisation cover; nothing was written."
        )
        return cls.of(Problem(where, message, OutOfScope.code))


@dataclass(frozen=True)
class Fact:
    """One past fact of a member's liaison history (a row of the history table)."""

    row: int
    kind: str  # meeting, assessment, exemption, lift_exemption, move, close
    day: date
    year: int | None = None
    grade: str | None = None
    attendance: str | None = None
    front_representative: str | None = None
    confirmed_on: date | None = None
    reported_on: date | None = None
    reason: str | None = None
    commune_id: str | None = None
    cell_id: str | None = None
    workplace_unit_id: str | None = None
    commune_received_on: date | None = None
    cell_received_on: date | None = None
    typed: dict[str, str] = field(default_factory=dict)
    """Values as the file wrote them, where a word was read as a code (a grade “Tốt”), so that
    a problem shows what the clerk typed."""


@dataclass
class MemberRecord:
    """A member's row and, in date order, the facts of their history."""

    row: int
    name: str
    birth_date: date
    party_card_number: str
    workplace_unit_id: str
    citizen_id: str | None = None
    registered_on: date | None = None
    commune_id: str | None = None
    cell_id: str | None = None
    referred_on: date | None = None
    commune_received_on: date | None = None
    cell_received_on: date | None = None
    residence_kind: str = "permanent"
    exemption: str | None = None  # "introduction" or "activities"
    exemption_reason: str | None = None
    exempt_on: date | None = None
    facts: list[Fact] = field(default_factory=list)

    def first_day(self) -> date | None:
        """The earliest date the record knows of."""
        days = [d for d in (self.registered_on, self.referred_on, self.exempt_on) if d]
        days += [f.day for f in self.facts]
        return min(days, default=None)
