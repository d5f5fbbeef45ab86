"""The access trail: sign-ins, refused requests, account changes and maintenance runs.

Each record is an aggregate of its own (records never contend), dated today by the office's clock.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID, uuid4

from domain.access import AccessRecord
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

    def signed_in(self, actor: Actor, method: str, address: str) -> None:
        """A user signed in (method: password, token or cli)."""
        record_id = uuid4()
        self.office.save(
            AccessRecord.signed_in(record_id, self._stamp(record_id, actor), method, address)
        )

    def sign_in_failed(self, username: str, address: str, reason: str) -> None:
        """A sign-in was refused, with the attempted user name and the reason."""
        self.office.save(
            AccessRecord.sign_in_failed(
                uuid4(), username[:100], address, reason, self.office.today()
            )
        )

    def refused(self, actor: Actor, action: str, target: str, code: str) -> None:
        """A request by this actor was refused (the code says why: scope, not found…)."""
        record_id = uuid4()
        stamp = self._stamp(record_id, actor)
        self.office.save(
            AccessRecord.permission_refused(record_id, stamp, action, target[:500], code)
        )

    def account_changed(self, actor: Actor, username: str, change: str) -> None:
        """Someone changed a user's account: `password_changed` or `sessions_ended`."""
        record_id = uuid4()
        stamp = self._stamp(record_id, actor)
        self.office.save(AccessRecord.account_changed(record_id, stamp, username[:100], change))

    def maintenance(self, operator: str, command: str, detail: str) -> None:
        """A server operator (an operating-system account, no board user) ran a command."""
        today = self.office.today()
        roots = tuple(
            sorted(u.id for u in self.office.tree() if u.parent_id is None and u.in_force_on(today))
        )
        self.office.save(
            AccessRecord.maintenance_run(
                uuid4(), operator[:100], command[:100], detail[:500], roots, today
            )
        )
