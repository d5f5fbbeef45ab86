"""The open steps of every liaison, kept as rows (issue 18): a province's worklist reads the steps
overdue in its subtree with one statement instead of parsing the state of each of its liaisons
(seven seconds at 50,000 members, forty at 300,000).

Each liaison's rows are its deadlines (`domain.deadlines.open_deadlines`, the one statement of
when something is due), opened or not yet: a reader keeps those opened by its date. They are
worked out under the policy each commune will have once every change the log holds has begun
(`SETTLED`): on a date after every change (`domain.policy.settled`) that is the policy in force,
so the rows equal what the worklist works out from the states; before one, the worklist works
them out from the states as it always did.

The facts model keeps them in the transaction of its states: a batch replaces the rows of the
liaisons it changed, and rebuilds them all when a policy override or a change of the tree gives
some commune another policy. A bulk catch-up does not keep them; they are built once at its end
(`Tasks.rebuild`), and built again whenever they are found behind (no row in `task_state`: a
reader falls back to the states meanwhile)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date
from typing import Any, ClassVar

from psycopg.rows import tuple_row

from domain.deadlines import open_deadlines
from domain.policy import Policy
from domain.state import LiaisonState
from domain.worklist import step_awaited
from projections.model import Cursor, Derived, copy_rows

SETTLED = date(9999, 12, 31)
"""The day the rows' policy is taken on: every regulation, override and change of the tree the log
holds has begun by then."""

TASK_COLUMNS = {
    "liaison_id": "uuid", "kind": "text", "subject": "text", "step": "text", "unit_id": "text",
    "opens_on": "date", "due_on": "date", "member_id": "uuid", "member_name": "text",
    "workplace_unit_id": "text", "commune_id": "text", "cell_id": "text",
}  # fmt: skip

REBUILD_CHUNK = 5_000
"""States parsed between two COPYs of a rebuild."""

PolicyOf = Callable[[str], Policy]
"""The settled policy of a commune (by its id)."""


def task_rows(state: LiaisonState, policy: Policy) -> Iterator[tuple[Any, ...]]:
    """The rows of one liaison: each deadline it has under the policy, opened or not yet."""
    for d in open_deadlines(state, policy, SETTLED):
        yield (
            state.liaison_id, d.kind.value, d.subject, step_awaited(d, state).value, d.unit_id,
            d.opens_on, d.due_on, state.member_id, state.member_name, state.workplace_unit_id,
            state.residence_commune_id, state.cell_id,
        )  # fmt: skip


def _rows(states: Iterable[LiaisonState], policy_of: PolicyOf) -> Iterator[tuple[Any, ...]]:
    return (r for s in states for r in task_rows(s, policy_of(s.residence_commune_id)))


def ddl(tasks: str, state: str) -> list[str]:
    """The tables: the steps, and the event they are worked out up to."""
    return [
        f"CREATE TABLE IF NOT EXISTS {tasks} (liaison_id uuid NOT NULL, kind text NOT NULL,"
        " subject text NOT NULL, step text NOT NULL, unit_id text NOT NULL,"
        " opens_on date NOT NULL, due_on date NOT NULL, member_id uuid NOT NULL,"
        " member_name text NOT NULL, workplace_unit_id text NOT NULL, commune_id text NOT NULL,"
        " cell_id text, PRIMARY KEY (liaison_id, kind, subject))",
        # A subtree's steps, by the units a liaison concerns (as `projections.liaisons`).
        *(
            f"CREATE INDEX IF NOT EXISTS {tasks}_{column} ON {tasks} ({column}, due_on)"
            for column in ("workplace_unit_id", "commune_id", "cell_id")
        ),
        f"CREATE TABLE IF NOT EXISTS {state} (tasked_to bigint NOT NULL)",
    ]


class Tasks(Derived):
    """The facts model's part that keeps `task` (tables by their logical names in `tables`);
    until it is built a supervisor's worklist is worked out from the states."""

    state: ClassVar[str] = "task_state"
    column: ClassVar[str] = "tasked_to"

    def save(
        self,
        cur: Cursor,
        tables: Mapping[str, str],
        position: int,
        last: int,
        changed: Iterable[LiaisonState],
        policy_of: PolicyOf,
    ) -> None:
        """After a batch from the model's `position` to event `last` saved its states: replace
        the rows of the liaisons it changed (all rows, from the saved states, if they were
        behind)."""
        if self.behind(cur, tables, position):
            self.rebuild(cur, tables, last, policy_of)
            return
        states = list(changed)
        if states:
            cur.execute(
                f"DELETE FROM {tables['task']} WHERE liaison_id = ANY(%s)",
                ([s.liaison_id for s in states],),
            )
        copy_rows(cur, tables["task"], TASK_COLUMNS, _rows(states, policy_of))
        self.reached(cur, tables, last)

    def rebuild(
        self, cur: Cursor, tables: Mapping[str, str], upto: int, policy_of: PolicyOf
    ) -> None:
        """Work every liaison's rows out again from the saved states (up to event `upto`)."""
        cur.execute(f"TRUNCATE {tables['task']}")
        with cur.connection.cursor(name="tasks_rebuild", row_factory=tuple_row) as read:
            read.execute(f"SELECT state::text FROM {tables['facts_state']}")
            while chunk := read.fetchmany(REBUILD_CHUNK):  # each COPY after its chunk's FETCH
                states = [LiaisonState.model_validate_json(r[0]) for r in chunk]
                copy_rows(cur, tables["task"], TASK_COLUMNS, _rows(states, policy_of))
        self.reached(cur, tables, upto)
