"""The seal: an administrator's rebuild, recorded with what it replaced."""

from __future__ import annotations

from collections.abc import Sequence

from application.use import Use
from application.work import Decision, Scope, Work
from domain import commands as cmd
from domain.roles import Action
from domain.seal import SEAL_LEDGER_ID, SealLedger


def rebuild_seal(work: Work, command: cmd.RebuildSeal) -> Decision:
    """Rebuild the seal from the stored events (administrators of the whole store).

    Record that the seal is rebuilt, and the head and position it replaces (the caller then
    recomputes the chain: this event is the first link it seals anew)."""
    ledger = work.writable(SEAL_LEDGER_ID, SealLedger.start)
    ledger.rebuilt(
        work.stamp_today(),
        command.replaced_position,
        command.replaced_link,
        command.tracked_position,
    )
    return Decision([ledger])


def _every_root(work: Work, command: cmd.Command) -> Sequence[Scope]:
    """The seal covers the whole store: the administrator must act for every top of the tree."""
    roots = sorted(u.id for u in work.tree if u.parent_id is None and u.in_force_on(work.today))
    return [Scope((root,)) for root in roots] or [Scope((command.actor.unit_id,))]


USES = (
    Use(rebuild_seal, Action.REBUILD_SEAL, _every_root,
        "The seal was rebuilt.", surfaces=frozenset()),
)  # fmt: skip
