"""The access trail: sign-ins, refused requests, account changes and maintenance runs.

Each record is an aggregate of its own (records never contend), dated today by the office's clock.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid4

from domain.access import (
    AccessRecord,
    AccountChanged,
    Entry,
    MaintenanceRun,
    PermissionRefused,
    SignedIn,
    SignInFailed,
)
from domain.policy import policy_in_force
from domain.roles import Actor
from domain.stamp import Stamp

if TYPE_CHECKING:
    from application.office import LiaisonOffice


class Trail:
    """Writes access records through the office."""

    def __init__(self, office: LiaisonOffice) -> None:
        self.office = office

    def _stamp(self, record_id: UUID, actor: Actor) -> Stamp:
        today = self.office.today()
        return Stamp(
            actor=actor,
            command_id=record_id,
            effective_date=today,
            regulation=policy_in_force(today).regulation,
        )

    def _save(self, entry: type[Entry], actor: Actor | None, **fields: Any) -> None:
        """Save a record of its own; one with an actor is stamped with them and today."""
        record_id = uuid4()
        stamp = self._stamp(record_id, actor) if actor is not None else None
        self.office.save(AccessRecord.of(entry, record_id, stamp, **fields))

    def signed_in(self, actor: Actor, method: str, address: str) -> None:
        """A user signed in (method: password, token or cli)."""
        self._save(SignedIn, actor, method=method, address=address)

    def sign_in_failed(self, username: str, address: str, reason: str) -> None:
        """A sign-in was refused, with the attempted user name and the reason."""
        on = self.office.today()
        self._save(
            SignInFailed, None, username=username[:100], address=address, reason=reason,
            effective_date=on,
        )  # fmt: skip

    def refused(self, actor: Actor, action: str, target: str, code: str) -> None:
        """A request by this actor was refused (the code says why: scope, not found…)."""
        self._save(PermissionRefused, actor, action=action, target=target[:500], code=code)

    def account_changed(self, actor: Actor, username: str, change: str) -> None:
        """Someone changed a user's account: `password_changed` or `sessions_ended`."""
        self._save(AccountChanged, actor, username=username[:100], change=change)

    def maintenance(self, operator: str, command: str, detail: str) -> None:
        """A server operator (an operating-system account, no board user) ran a command."""
        today = self.office.today()
        roots = tuple(
            sorted(u.id for u in self.office.tree() if u.parent_id is None and u.in_force_on(today))
        )
        self._save(
            MaintenanceRun, None, operator=operator[:100], command=command[:100],
            detail=detail[:500], units=roots, effective_date=today,
        )  # fmt: skip
