"""Access records: sign-ins, refusals and operators' maintenance runs, each one small aggregate."""

from __future__ import annotations

import re
from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.domain import BaseAggregate

from domain.events import Creation, Recorded
from domain.stamp import Stamp


class Entry(Creation):
    """The one event of an access record: the record's kind is the event's name in snake case
    (`SignInFailed` makes a `sign_in_failed` record)."""

    def apply(self, aggregate: Any) -> None:
        aggregate.kind = re.sub(r"(?<!^)(?=[A-Z])", "_", type(self).__name__).lower()


class SignedIn(Recorded, Entry):
    """Đăng nhập: a user signed in to the board (by password) or used a token for the first time."""

    method: str
    address: str


class SignInFailed(Entry):
    """A sign-in was refused; no actor is known, so the attempted user name is kept instead."""

    username: str
    address: str
    reason: str
    effective_date: date
    command_id: UUID


class PermissionRefused(Recorded, Entry):
    """Từ chối quyền: a signed-in user asked for something outside their role or subtree."""

    action: str
    target: str
    code: str


class AccountChanged(Recorded, Entry):
    """Tài khoản: a password was changed or a user's sessions ended, and by whom."""

    username: str
    change: str
    """`password_changed` or `sessions_ended`."""


class MaintenanceRun(Entry):
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


class AccessRecord(BaseAggregate[UUID]):
    """One entry of the access trail; an aggregate of its own so that records never contend."""

    kind: str

    def __init__(self) -> None:
        """State comes from the events (see their `apply`)."""

    @classmethod
    def of(
        cls, entry: type[Entry], record_id: UUID, stamp: Stamp | None, **fields: Any
    ) -> AccessRecord:
        """The record of one entry: its event's own fields, who and when from the stamp.

        An entry with no signed-in actor (a refused sign-in, an operator's run) has no stamp: it
        is its own command, and its `effective_date` is among its fields.
        """
        signed = stamp.fields() if stamp is not None else {"command_id": record_id}
        return cls._create(entry, id=record_id, **signed, **fields)
