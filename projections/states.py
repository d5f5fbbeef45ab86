"""Liaison states a model keeps between batches, loaded and saved in the batch's transaction."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import UUID

from domain.liaison_events import LiaisonEvent, Referred
from domain.state import LiaisonState
from projections.model import Cursor


class StateBook:
    """The latest state of each liaison touched by a batch (table: liaison_id, state jsonb)."""

    def __init__(self, table: str) -> None:
        self.table = table
        self.states: dict[UUID, LiaisonState] = {}
        self.changed: set[UUID] = set()

    def ddl(self) -> str:
        """The table's CREATE statement."""
        return (
            f"CREATE TABLE IF NOT EXISTS {self.table} (liaison_id uuid PRIMARY KEY,"
            " state jsonb NOT NULL)"
        )

    def load(self, cur: Cursor, liaison_ids: Iterable[UUID]) -> None:
        """Read the stored states of these liaisons."""
        self.states, self.changed = {}, set()
        cur.execute(
            f"SELECT liaison_id, state::text AS state FROM {self.table} WHERE liaison_id = ANY(%s)",
            (list(liaison_ids),),
        )
        for r in cur.fetchall():
            self.states[r["liaison_id"]] = LiaisonState.model_validate_json(r["state"])

    def evolve(self, event: LiaisonEvent) -> LiaisonState:
        """The state after the event (by the event's own `evolve`), remembered for saving."""
        previous: Any = self.states.get(event.originator_id)
        state = event.evolve(None) if isinstance(event, Referred) else event.evolve(previous)
        self.states[event.originator_id] = state
        self.changed.add(event.originator_id)
        return state

    def save(self, cur: Cursor) -> None:
        """Write back every state the batch changed."""
        if not self.changed:
            return
        cur.executemany(
            f"INSERT INTO {self.table} (liaison_id, state) VALUES (%s, %s::jsonb)"
            " ON CONFLICT (liaison_id) DO UPDATE SET state = excluded.state",
            [(i, self.states[i].model_dump_json()) for i in sorted(self.changed)],
        )
