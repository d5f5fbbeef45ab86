"""One row's cells, typed: text, dates, years and the words of the template, each failure a
row error at that cell; and the member and history records built from them."""

from __future__ import annotations

import unicodedata
from datetime import date, datetime

from domain.messages import Localised
from domain.text import UnsafeText, clean_line, fold
from workers.province import columns as c
from workers.province.records import Fact, MemberRecord, RowError, Where

Row = dict[str, str]
_VOCABULARIES: dict[int, dict[str, str]] = {}
LONGEST = 500
"""The most characters a cell holds: what a command takes for a name or a reason."""


class Cells:
    """Typed access to one row's cells, each failure a row error at that cell."""

    def __init__(self, table: str, n: int, row: Row) -> None:
        self.table, self.n, self.row = table, n, row

    def where(self, key: str) -> Where:
        return Where(self.table, self.n, key, self.row.get(key, ""))

    def text(self, key: str) -> str | None:
        value = self._clean(key)
        if not value and c.TABLES[self.table][key][2]:
            raise RowError(self.where(key), "This cell is required.")
        return value or None

    def _clean(self, key: str) -> str:
        """The cell as one line, held to the commands' rules for what a person types: a line
        break typed in the cell reads as a space; a control, invisible or bidirectional character,
        or more than `LONGEST` characters, refuses the row (the board's forms refuse them too)."""
        value = " ".join(self.row.get(key, "").split())
        if not value.isprintable():  # the common case costs one scan in C
            try:
                value = clean_line(value)
            except UnsafeText as unsafe:
                raise RowError(
                    self.where(key),
                    "This cell holds a character that is not allowed ({character}).",
                    character=str(unsafe),
                ) from None
        if len(value) > LONGEST:
            raise RowError(
                self.where(key), "This cell takes at most {most} characters.", most=LONGEST
            )
        return value if value.isascii() else unicodedata.normalize("NFC", value)

    def day(self, key: str) -> date | None:
        value = self.text(key)
        if value is None:
            return None
        for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"):
            try:
                return datetime.strptime(value, fmt).date()
            except ValueError:
                continue
        raise RowError(self.where(key), "Not a date (use dd/mm/yyyy).")

    def year(self, key: str) -> int | None:
        value = self.text(key)
        if value is None:
            return None
        if not value.isdigit():
            raise RowError(self.where(key), "Not a year.")
        return int(value)

    def word(self, key: str, words: dict[str, tuple[str, str]]) -> str | None:
        value = self.text(key)
        if value is None:
            return None
        vocabulary = _VOCABULARIES.get(id(words))
        if vocabulary is None:
            vocabulary = _VOCABULARIES[id(words)] = c.vocabulary(words)
        code = vocabulary.get(fold(value))
        if code is None:
            allowed = tuple(Localised(vi, en) for vi, en in words.values())
            raise RowError(self.where(key), "Expected one of: {choices}.", choices=allowed)
        return code


def member(x: Cells) -> MemberRecord:
    return MemberRecord(
        row=x.n,
        name=x.text("name") or "",
        birth_date=x.day("birth_date") or date.min,
        party_card_number=x.text("party_card_number") or "",
        workplace_unit_id=x.text("workplace_unit") or "",
        citizen_id=x.text("citizen_id"),
        registered_on=x.day("registered_on"),
        commune_id=x.text("residence_commune"),
        cell_id=x.text("residence_cell"),
        residence_kind=x.word("residence_kind", c.RESIDENCE_KINDS) or "permanent",
        referred_on=x.day("referred_on"),
        commune_received_on=x.day("commune_received_on"),
        cell_received_on=x.day("cell_received_on"),
        exemption=x.word("exemption", c.EXEMPTIONS),
        exemption_reason=x.word("exemption_reason", c.EXEMPTION_REASONS),
        exempt_on=x.day("exempt_on"),
    )


def fact(x: Cells) -> Fact:
    kind = x.word("kind", c.KINDS) or ""
    words = {
        "move": c.CLOSING_REASONS,
        "close": c.CLOSING_REASONS,
        "exemption": c.EXEMPTION_REASONS,
    }
    reason = x.word("reason", words[kind]) if kind in words else x.text("reason")
    grade = x.word("grade", c.GRADES) if x.row.get("grade") else None
    if kind == "assessment" and grade is None:
        raise RowError(x.where("grade"), "An assessment needs its grade.")
    return Fact(
        row=x.n,
        kind=kind,
        day=x.day("date") or date.min,
        year=x.year("year"),
        grade=grade,
        attendance=x.word("attendance", c.ATTENDANCE),
        front_representative=x.text("front_representative"),
        confirmed_on=x.day("confirmed_on"),
        reported_on=x.day("reported_on"),
        reason=reason,
        commune_id=x.text("new_commune"),
        cell_id=x.text("new_cell"),
        workplace_unit_id=x.text("new_workplace"),
        commune_received_on=x.day("new_commune_received_on"),
        cell_received_on=x.day("new_cell_received_on"),
        typed={key: x.row[key] for key in ("grade",) if x.row.get(key)},
    )
