"""Plain records of members and their history, as a file or the demo generator gives them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from domain.errors import Language, OutOfScope, Refused

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
    """One reason a row cannot be imported, in both languages, with the refusal's code if any."""

    where: Where
    en: str
    vi: str
    code: str = ""

    def message(self, language: Language) -> str:
        """The reason in the user's language."""
        return self.vi if language == "vi" else self.en


class RowError(Exception):
    """A row is refused; carries where and why (from a domain refusal or the file itself)."""

    def __init__(self, where: Where, en: str, vi: str, code: str = "") -> None:
        super().__init__(en)
        self.problem = Problem(where, en, vi, code)

    @classmethod
    def refused(cls, where: Where, refusal: Refused) -> RowError:
        """Wrap a domain refusal with the cell it came from."""
        if isinstance(refusal, OutOfScope):
            return cls.out_of_scope(where)
        return cls(where, refusal.en, refusal.vi, refusal.code)

    @classmethod
    def out_of_scope(cls, where: Where) -> RowError:
        """A row outside the importer's subtree, said without naming anything the file did not."""
        # The domain's own message names the units concerned as the tree has them (a successor
        # after a merger, say); the file's cell is named by `where`, which is all the user wrote.
        return cls(
            where,
            "This row lies outside what your role and organisation cover; nothing was written.",
            "Dòng này nằm ngoài phạm vi vai trò và đơn vị của bạn; không ghi gì.",
            OutOfScope.code,
        )


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
