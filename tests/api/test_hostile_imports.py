"""An import file holds what a person could not type into the board: a reason or a Front
representative's name with bidirectional overrides, invisible or control characters, or far
longer than any command takes. The commands refuse such text; an import refuses it too, naming
the row and column, and writes nothing of that member."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from application.office import LiaisonOffice
from domain.errors import UnknownMember
from domain.roles import Actor, Role
from tests.integration import province as p
from workers.province.board_import import import_parsed
from workers.province.reader import read
from workers.province.records import HISTORY, Fact, MemberRecord
from workers.province.writer import write_csv

COMMUNE_CLERK = Actor(id="commune", role=Role.COMMUNE_CLERK, unit_id=p.COMMUNE)
"""The commune clerk who imports the commune's book (every step of its residents)."""


def resident(card: str, *facts: Fact) -> MemberRecord:
    """A member residing in the clerk's commune, received by its cell, with a history."""
    return MemberRecord(
        row=2, name="Nguyễn Văn Ba", birth_date=date(1980, 1, 1), party_card_number=card,
        workplace_unit_id=p.WORKPLACE, registered_on=date(2025, 1, 5), commune_id=p.COMMUNE,
        cell_id=p.CELL, referred_on=date(2025, 1, 10), commune_received_on=date(2025, 1, 20),
        cell_received_on=date(2025, 1, 25), facts=list(facts),
    )  # fmt: skip


def absent(reason: str) -> Fact:
    return Fact(2, "meeting", date(2025, 3, 1), attendance="absent_with_reason", reason=reason)


def assessed(representative: str) -> Fact:
    return Fact(2, "assessment", date(2025, 12, 10), year=2025, grade="fulfilled_well",
                front_representative=representative)  # fmt: skip


HOSTILE = [
    (absent("ốm\u202eviết ngược"), "reason", "U+202E"),  # a right-to-left override
    (absent("ốm" + "x" * 600), "reason", "500"),  # longer than a command's reason
    (assessed("Lê\u200bVăn Hai"), "front_representative", "U+200B"),  # an invisible space
    (assessed("Lê Văn\x1b[31mHai"), "front_representative", "U+001B"),  # a terminal escape
]


@pytest.mark.parametrize(("fact", "column", "said"), HOSTILE)
def test_text_a_command_refuses_is_refused_by_an_import_and_nothing_is_written(
    office: LiaisonOffice, tmp_path: Path, fact: Fact, column: str, said: str
) -> None:
    members, history = tmp_path / "members.csv", tmp_path / "history.csv"
    write_csv([resident("77770001", fact)], members, history, "vi")
    parsed = read(members, history)
    (problem,) = parsed.problems
    assert (problem.where.table, problem.where.row, problem.where.column) == (HISTORY, 2, column)
    assert said in problem.message.en
    assert parsed.records == []
    before = p.event_count(office)
    report = import_parsed(office, parsed, "members.csv", COMMUNE_CLERK, p.TODAY, dry_run=False)
    assert report.valid == 0
    assert p.event_count(office) == before  # a refused row writes nothing
    with pytest.raises(UnknownMember):
        office.member_by_card("77770001")


def test_a_line_break_typed_in_a_spreadsheet_cell_reads_as_a_space(
    office: LiaisonOffice, tmp_path: Path
) -> None:
    """Alt+Enter in a cell is layout, not a character of the text: kept as one space."""
    members, history = tmp_path / "members.csv", tmp_path / "history.csv"
    write_csv([resident("77770002", absent("ốm\nnằm viện"))], members, history, "vi")
    parsed = read(members, history)
    assert parsed.problems == []
    import_parsed(office, parsed, "members.csv", COMMUNE_CLERK, p.TODAY, dry_run=False)
    member = office.member_by_card("77770002")
    state = office.state_of(member.liaison_ids[-1])
    meeting = office.repository.get(state.meetings[0].meeting_id)
    assert [e.absence_reason for e in meeting.attendance] == ["ốm nằm viện"]
