"""The facts model's `member` rows: a batch's registrations and workplace moves, written at once.

Each row carries what the board's search finds the member by (`domain.text.search_keys`)."""

from __future__ import annotations

from typing import Any

from domain.member import MemberRegistered
from domain.text import fold, search_keys
from projections.model import Cursor, copy_rows

COLUMNS = {
    "member_id": "uuid", "name": "text", "name_folded": "text", "party_card_number": "text",
    "workplace_unit_id": "text", "citizen_id": "text", "search_keys": "text[]",
}  # fmt: skip
_WORKPLACE = list(COLUMNS).index("workplace_unit_id")


class MemberWrites:
    """A batch's `member` rows: registrations appended with COPY, then moves in one UPDATE."""

    def __init__(self) -> None:
        self.new: dict[Any, list[Any]] = {}
        self.moved: dict[Any, str] = {}

    def register(self, event: MemberRegistered) -> None:
        member_id, card, citizen = event.originator_id, event.party_card_number, event.citizen_id
        self.moved.pop(member_id, None)  # an earlier move of a member not yet registered: no row
        self.new[member_id] = [
            member_id, event.name, fold(event.name), card, event.workplace_unit_id, citizen,
            search_keys(event.name, card, citizen),
        ]  # fmt: skip

    def move(self, member_id: Any, workplace_unit_id: str) -> None:
        if member_id in self.new:
            self.new[member_id][_WORKPLACE] = workplace_unit_id
        else:
            self.moved[member_id] = workplace_unit_id

    def save(self, cur: Cursor, table: str) -> None:
        copy_rows(cur, table, COLUMNS, self.new.values())
        if self.moved:
            cur.execute(
                f"UPDATE {table} m SET workplace_unit_id = v.w"
                " FROM unnest(%s::uuid[], %s::text[]) AS v(id, w) WHERE m.member_id = v.id",
                (list(self.moved), list(self.moved.values())),
            )
