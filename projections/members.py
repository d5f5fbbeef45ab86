"""The facts model's `member` rows: a batch's registrations and workplace moves, written at once."""

from __future__ import annotations

from typing import Any

from projections.model import Cursor, copy_rows


class MemberWrites:
    """A batch's `member` rows: registrations appended with COPY, then moves in one UPDATE."""

    def __init__(self) -> None:
        self.new: dict[Any, list[Any]] = {}
        self.moved: dict[Any, str] = {}

    def register(self, row: list[Any]) -> None:
        self.moved.pop(row[0], None)  # an earlier move of a member not yet registered: no row
        self.new[row[0]] = row

    def move(self, member_id: Any, workplace_unit_id: str) -> None:
        if member_id in self.new:
            self.new[member_id][4] = workplace_unit_id
        else:
            self.moved[member_id] = workplace_unit_id

    def save(self, cur: Cursor, table: str) -> None:
        copy_rows(
            cur,
            table,
            ("member_id", "name", "name_folded", "party_card_number", "workplace_unit_id"),
            self.new.values(),
        )
        if self.moved:
            cur.execute(
                f"UPDATE {table} m SET workplace_unit_id = v.w"
                " FROM unnest(%s::uuid[], %s::text[]) AS v(id, w) WHERE m.member_id = v.id",
                (list(self.moved), list(self.moved.values())),
            )
