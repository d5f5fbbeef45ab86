"""The organisation tree and policy overrides as of a log position, for due dates at projection."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace
from typing import Any

from eventsourcing.utils import get_topic

from domain.organisation import OrganisationTree
from domain.policy import Policy, PolicyOverride, policy_in_force
from domain.registry import TREE_EVENTS, PolicyOverridden
from projections.log import EVENTS_TABLE, decode, rows_from
from projections.model import Cursor

_KINDS = (*TREE_EVENTS, PolicyOverridden)
TOPICS = [get_topic(k) for k in _KINDS]


class Reference:
    """Tree and overrides replayed from the log (small), then kept current event by event."""

    def __init__(self) -> None:
        self.loaded_to: int | None = None
        self.holder = SimpleNamespace(tree=OrganisationTree(), overrides=())

    def ensure(self, cur: Cursor, upto: int) -> None:
        """Load the reference events at or before `upto` unless already loaded."""
        if self.loaded_to is not None:
            return
        cur.execute(
            "SELECT notification_id, originator_id, originator_version, topic, state"
            f" FROM {EVENTS_TABLE} WHERE notification_id <= %s AND topic = ANY(%s)"
            " ORDER BY notification_id",
            (upto, TOPICS),
        )
        for row in rows_from(cur.fetchall()):
            self.observe(decode(row).event)
        self.loaded_to = upto

    @staticmethod
    def concerns(event: Any) -> bool:
        """Whether the event changes the tree or the overrides."""
        return isinstance(event, _KINDS)

    def observe(self, event: Any) -> None:
        """Fold a tree or policy event in with the event's own `apply`."""
        if isinstance(event, _KINDS):
            event.apply(self.holder)

    def policy(self, on: date, unit_id: str) -> Policy:
        """The policy in force on that date for the unit's province (defaults if unknown)."""
        tree: OrganisationTree = self.holder.tree
        try:
            province = tree.province_of(unit_id, on).id
        except Exception:  # an unknown unit falls back to the regulation's defaults
            return policy_in_force(on)
        overrides: tuple[PolicyOverride, ...] = self.holder.overrides
        return policy_in_force(on, [o for o in overrides if o.province_id == province])
