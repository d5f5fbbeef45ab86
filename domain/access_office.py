"""AccessDesk: the use cases that put sign-ins, refusals and maintenance runs in the audit trail."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from domain.access import AccessRecord
from domain.policy import policy_in_force
from domain.queries import Queries
from domain.roles import Actor
from domain.stamp import Stamp


class AccessDesk(Queries):
    """Each call saves one new access record; the caller passes the id, the date and the actor."""

    def record_sign_in(
        self, record_id: UUID, actor: Actor, on: date, method: str, address: str
    ) -> None:
        """A user signed in (method: password or token)."""
        self.save(
            AccessRecord.signed_in(
                record_id, self._access_stamp(record_id, actor, on), method, address
            )
        )

    def record_sign_in_failure(
        self, record_id: UUID, username: str, on: date, address: str, reason: str
    ) -> None:
        """A sign-in was refused, with the attempted user name and the reason."""
        self.save(AccessRecord.sign_in_failed(record_id, username[:100], address, reason, on))

    def record_permission_refusal(
        self, record_id: UUID, actor: Actor, on: date, action: str, target: str, code: str
    ) -> None:
        """A request by this actor was refused for lack of permission on the target."""
        stamp = self._access_stamp(record_id, actor, on)
        self.save(AccessRecord.permission_refused(record_id, stamp, action, target[:500], code))

    def record_account_change(
        self, record_id: UUID, actor: Actor, on: date, username: str, change: str
    ) -> None:
        """Someone changed a user's account: `password_changed` or `sessions_ended`."""
        stamp = self._access_stamp(record_id, actor, on)
        self.save(AccessRecord.account_changed(record_id, stamp, username[:100], change))

    def record_maintenance(
        self, record_id: UUID, operator: str, on: date, command: str, detail: str
    ) -> None:
        """A server operator (an operating-system account, no board user) ran a command."""
        roots = tuple(
            sorted(u.id for u in self.tree() if u.parent_id is None and u.in_force_on(on))
        )
        self.save(
            AccessRecord.maintenance_run(
                record_id, operator[:100], command[:100], detail[:500], roots, on
            )
        )

    @staticmethod
    def _access_stamp(record_id: UUID, actor: Actor, on: date) -> Stamp:
        return Stamp(
            actor=actor,
            command_id=record_id,
            effective_date=on,
            regulation=policy_in_force(on).regulation,
        )
