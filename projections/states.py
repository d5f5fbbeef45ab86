"""Liaison states a model keeps between batches, loaded and saved in the batch's transaction."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import UUID

from domain.liaison_events import LiaisonEvent, Referred
from domain.state import LiaisonState
from projections.log import Entry
from projections.model import Cursor, chunks

LIAISON_STATES = "liaison states"
"""The process of a big catch-up in which the models keeping liaison states fold (each state is
evolved once per event for all of them, through the entry's memo)."""

CACHE_LIMIT = 5_000
"""Liaison states kept in memory between batches (the cache restarts empty beyond this)."""


class StateBook:
    """The latest state of each liaison touched by a batch (table: liaison_id, state jsonb).

    States stay cached between batches (the owning model drops them whenever its position moved
    under it or a batch rolled back), so that a batch reads only the liaisons it has not seen.
    """

    def __init__(self, table: str) -> None:
        self.table = table
        self.states: dict[UUID, LiaisonState] = {}
        self.changed: set[UUID] = set()
        self.known: set[UUID] | None = None
        """Every liaison the table holds, when this book saw it start empty (else unknown)."""

    def ddl(self) -> str:
        """The table's CREATE statement."""
        return (
            f"CREATE TABLE IF NOT EXISTS {self.table} (liaison_id uuid PRIMARY KEY,"
            " state jsonb NOT NULL)"
        )

    def forget(self) -> None:
        """Drop every cached state."""
        self.states, self.changed, self.known = {}, set(), None

    def start_empty(self) -> None:
        """The table is empty (the model is at position 0): track what it will hold."""
        if self.known is None:
            self.states, self.known = {}, set()

    def may_hold(self, liaison_id: UUID) -> bool:
        """Whether the table may hold a row for this liaison (False only when known not to)."""
        return self.known is None or liaison_id in self.known

    def load(self, cur: Cursor, liaison_ids: Iterable[UUID]) -> None:
        """Read the stored states of these liaisons (those not already cached)."""
        self.changed = set()
        if len(self.states) > CACHE_LIMIT:
            self.states = {}
        missing = [i for i in liaison_ids if i not in self.states and self.may_hold(i)]
        if not missing:
            return
        cur.execute(
            f"SELECT liaison_id, state::text AS state FROM {self.table} WHERE liaison_id = ANY(%s)",
            (missing,),
        )
        for r in cur.fetchall():
            self.states[r["liaison_id"]] = LiaisonState.model_validate_json(r["state"])

    def evolve(self, entry: Entry) -> LiaisonState:
        """The state after the event (by the event's own `evolve`), remembered for saving.

        Another book folding the same event from an equal state has already computed the result
        (left in the entry's memo); it is reused instead of evolved again.
        """
        event: LiaisonEvent = entry.event
        previous: Any = (
            None if isinstance(event, Referred) else self.states.get(event.originator_id)
        )
        done = entry.memo.get("state")
        if done is not None and (done[0] is previous or done[0] == previous):
            state: LiaisonState = done[1]
        else:
            state = event.evolve(previous)
            entry.memo["state"] = (previous, state)
        self.states[event.originator_id] = state
        self.changed.add(event.originator_id)
        return state

    def save(self, cur: Cursor) -> None:
        """Write back every state the batch changed (in bounded statements)."""
        if not self.changed:
            return
        rows = [(i, self.states[i].model_dump_json()) for i in sorted(self.changed)]
        if self.known is not None:
            self.known.update(self.changed)
        for run in chunks(rows):
            cur.executemany(
                f"INSERT INTO {self.table} (liaison_id, state) VALUES (%s, %s::jsonb)"
                " ON CONFLICT (liaison_id) DO UPDATE SET state = excluded.state",
                run,
            )
