"""Access records: sign-ins, refusals and operators' maintenance runs, each one small aggregate."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.domain import BaseAggregate

from domain.events import Creation, Recorded
from domain.stamp import Stamp


class SignedIn(Recorded, Creation):
    """Đăng nhập: a user signed in to the board (by password) or used a token for the first time."""

    method: str
    address: str

    def apply(self, aggregate: Any) -> None:
        aggregate.kind = "signed_in"


class SignInFailed(Creation):
    """A sign-in was refused; no actor is known, so the attempted user name is kept instead."""

    username: str
    address: str
    reason: str
    effective_date: date
    command_id: UUID

    def apply(self, aggregate: Any) -> None:
        aggregate.kind = "sign_in_failed"


class PermissionRefused(Recorded, Creation):
    """Từ chối quyền: a signed-in user asked for something outside their role or subtree."""

    action: str
    target: str
    code: str

    def apply(self, aggregate: Any) -> None:
        aggregate.kind = "permission_refused"


class AccountChanged(Recorded, Creation):
    """Tài khoản: a password was changed or a user's sessions ended, and by whom."""

    username: str
    change: str
    """`password_changed` or `sessions_ended`."""

    def apply(self, aggregate: Any) -> None:
        aggregate.kind = "account_changed"


class MaintenanceRun(Creation):
    """Bảo trì: a server operator ran a maintenance command on the server, as no board user.

    The operator is the operating-system account that ran it; `units` are the roots of the
    organisation tree then, so that the trail of the whole installation shows the run.
    """

    operator: str
    command: str
    detail: str
    units: tuple[str, ...]
    effective_date: date
    command_id: UUID

    def apply(self, aggregate: Any) -> None:
        aggregate.kind = "maintenance_run"


class AccessRecord(BaseAggregate[UUID]):
    """One entry of the access trail; an aggregate of its own so that records never contend."""

    kind: str

    def __init__(self) -> None:
        """State comes from the events (see their `apply`)."""

    @classmethod
    def signed_in(cls, record_id: UUID, stamp: Stamp, method: str, address: str) -> AccessRecord:
        """Record a successful sign-in."""
        return cls._create(SignedIn, id=record_id, method=method, address=address, **stamp.fields())

    @classmethod
    def sign_in_failed(
        cls, record_id: UUID, username: str, address: str, reason: str, on: date
    ) -> AccessRecord:
        """Record a refused sign-in (wrong password, unknown user, too many attempts)."""
        return cls._create(
            SignInFailed,
            id=record_id,
            username=username,
            address=address,
            reason=reason,
            effective_date=on,
            command_id=record_id,
        )

    @classmethod
    def permission_refused(
        cls, record_id: UUID, stamp: Stamp, action: str, target: str, code: str
    ) -> AccessRecord:
        """Record that a request was refused for lack of permission."""
        return cls._create(
            PermissionRefused,
            id=record_id,
            action=action,
            target=target,
            code=code,
            **stamp.fields(),
        )

    @classmethod
    def account_changed(
        cls, record_id: UUID, stamp: Stamp, username: str, change: str
    ) -> AccessRecord:
        """Record a change to a user's account (its password, its sessions)."""
        return cls._create(
            AccountChanged, id=record_id, username=username, change=change, **stamp.fields()
        )

    @classmethod
    def maintenance_run(
        cls,
        record_id: UUID,
        operator: str,
        command: str,
        detail: str,
        units: tuple[str, ...],
        on: date,
    ) -> AccessRecord:
        """Record that a server operator ran a maintenance command."""
        return cls._create(
            MaintenanceRun,
            id=record_id,
            operator=operator,
            command=command,
            detail=detail,
            units=units,
            effective_date=on,
            command_id=record_id,
        )
