"""LiaisonOffice: the eventsourcing application, one method per use case (load, one call, save)."""

from __future__ import annotations

import contextlib
import hashlib
import threading
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any, ClassVar, cast
from uuid import UUID, uuid4, uuid5

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import BaseAggregate
from eventsourcing.persistence import IntegrityError, Mapper, Recording
from eventsourcing.utils import Environment, get_topic

from domain import commands as cmd
from domain.access import AccessRecord
from domain.calendar import business_date
from domain.errors import (
    Conflict,
    Duplicate,
    FutureDate,
    HiddenRecord,
    OutOfScope,
    Refused,
    no_such,
)
from domain.imported import IMPORTED_BY
from domain.liaison import Liaison
from domain.member import Member, MemberRegistered, member_id_for
from domain.organisation import OrganisationTree
from domain.persistence import PydanticMapper
from domain.policy import Policy, policy_for, policy_in_force
from domain.registry import (
    INSTALLATION_ID,
    LEGACY_MEMBER_NAMESPACE,
    ORGANISATION_ID,
    REGULATION_BOOK_ID,
    CommandReceipt,
    Installation,
    Organisation,
    RegulationBook,
    receipt_id_for,
)
from domain.roles import Action, authorise, may, require_role
from domain.stamp import Stamp

MAX_EVENTS_PER_SAVE = 100
"""A single save of about 1 MB over a Unix socket hangs PostgreSQL writers; stay far below."""

Handler = Callable[[date], tuple[list[BaseAggregate[UUID]], dict[str, str]]]


def derived_id(command_id: UUID, purpose: str) -> UUID:
    """An id that a command creates, derived from the command id so a retry creates the same."""
    return uuid5(command_id, purpose)


class OfficeBase(Application[UUID]):
    """Persistence, receipts, scope and policy plumbing shared by every use case."""

    env: ClassVar[dict[str, str]] = {"PERSISTENCE_MODULE": "eventsourcing.popo"}

    def __init__(self, env: Mapping[str, str], clock: Callable[[], datetime]) -> None:
        self.clock = clock
        self._organisation: Organisation | None = None
        self._book: RegulationBook | None = None
        self._namespace: UUID | None = None
        self._reference_lock = threading.Lock()
        self._recorded = threading.local()
        super().__init__(env=dict(env))

    def construct_env(self, name: str, env: Mapping[str, str] | None = None) -> Environment:
        """Configuration comes only from the caller, never from the process environment."""
        settings = dict(type(self).env)
        settings.update(env or {})
        return Environment(name, settings)

    def construct_mapper(self) -> Mapper[UUID]:
        return self.factory.mapper(
            transcoder=self.construct_transcoder(), mapper_class=PydanticMapper
        )

    # Read-your-writes: where in the log this thread's last command was recorded.

    def _notify(self, recordings: list[Recording[UUID]]) -> None:
        """After every save: remember, for this thread, the highest notification id written."""
        if recordings:
            last = max(r.notification.id for r in recordings)
            self._recorded.position = max(last, self.last_recorded() or 0)

    def last_recorded(self) -> int | None:
        """The log position of what this thread's last command wrote (None: it wrote nothing).

        A reader that waits until the read models have processed this position sees the command's
        effect (the board answers it as `X-Liaison-Position`, and reads accept `after`)."""
        position: int | None = getattr(self._recorded, "position", None)
        return position

    # Reference data, cached and fast-forwarded from the store.

    def _fresh(self, aggregate_id: UUID, cached: Any, start: Callable[[], Any]) -> Any:
        with self._reference_lock:
            return self._fast_forward(aggregate_id, cached, start)

    def _fast_forward(self, aggregate_id: UUID, cached: Any, start: Callable[[], Any]) -> Any:
        if cached is None:
            try:
                cached = self.repository.get(aggregate_id)
            except AggregateNotFoundError:
                return start()
        for event in self.events.get(aggregate_id, gt=cached.version):
            cast(Any, event).mutate(cached)
        return cached

    def organisation(self) -> Organisation:
        """The organisation aggregate as the store holds it now (a shared, read-only copy)."""
        self._organisation = self._fresh(ORGANISATION_ID, self._organisation, Organisation.start)
        return self._organisation

    def regulation_book(self) -> RegulationBook:
        """The policy overrides as the store holds them now (a shared, read-only copy)."""
        self._book = self._fresh(REGULATION_BOOK_ID, self._book, RegulationBook.start)
        return self._book

    def id_namespace(self) -> UUID:
        """The store's secret namespace for ids derived from party cards.

        Recorded at a store's first need (its first registration or card look-up), once."""
        if self._namespace is None:
            self._namespace = self._record_namespace(self.proposed_namespace())
        return self._namespace

    def proposed_namespace(self) -> UUID:
        """The recorded namespace; else, without writing, the one this store would record.

        A store that already holds members keeps the namespace their ids were derived in; a
        new one gets a random namespace (a different one at each call until one is adopted)."""
        if self._namespace is not None:
            return self._namespace
        try:
            return cast(Installation, self.repository.get(INSTALLATION_ID)).namespace
        except AggregateNotFoundError:
            pass
        registered = self.recorder.select_notifications(
            start=None, limit=1, topics=[get_topic(MemberRegistered)]
        )
        return LEGACY_MEMBER_NAMESPACE if registered else uuid4()

    def adopt_namespace(self, namespace: UUID) -> None:
        """Record `namespace` as the store's unless it has one; refuse if it has another."""
        if self._record_namespace(namespace) != namespace:
            raise Conflict(
                "The store was set up by another process at the same moment; run it again.",
                "Kho dữ liệu vừa được một tiến trình khác khởi tạo cùng lúc; hãy chạy lại.",
            )
        self._namespace = namespace

    def _record_namespace(self, proposal: UUID) -> UUID:
        """The namespace the store records: its own, else `proposal` (saved now)."""
        with self._reference_lock:
            try:
                return cast(Installation, self.repository.get(INSTALLATION_ID)).namespace
            except AggregateNotFoundError:
                pass
            with contextlib.suppress(IntegrityError):  # another process keyed it just now
                self.save(Installation.key(proposal))
            return cast(Installation, self.repository.get(INSTALLATION_ID)).namespace

    def member_id_for(self, party_card_number: str) -> UUID:
        """The id of the member with that party card in this store (registered or not)."""
        return member_id_for(self.id_namespace(), party_card_number)

    def tree(self) -> OrganisationTree:
        """The organisation tree with every unit and its periods."""
        return self.organisation().tree

    def policy(
        self, on: date, unit_id: str | None = None, *, province_on: date | None = None
    ) -> Policy:
        """The policy in force on that date for the province of the unit (defaults without one)."""
        if unit_id is None:
            return policy_in_force(on)
        book = self.regulation_book()
        return policy_for(self.tree(), book.overrides, on, unit_id, province_on)

    def _stamp(self, command: cmd.Command, policy: Policy) -> Stamp:
        return Stamp(
            actor=command.actor,
            command_id=command.command_id,
            effective_date=command.effective_date,
            regulation=policy.regulation,
            comment=command.comment,
        )

    def _authorise(self, command: cmd.Command, action: Action, today: date, *unit_ids: str) -> None:
        """Refuse unless the actor may act on one of these units (which the caller named)."""
        self.tree().in_force(command.actor.unit_id, today)
        authorise(command.actor, action, unit_ids, self.tree(), today)

    def _authorise_record(
        self,
        command: cmd.Command,
        action: Action,
        today: date,
        what: str,
        *unit_ids: str,
        seen_from: tuple[str | None, ...] = (),
    ) -> None:
        """Like `_authorise`, for units read from a stored record.

        A record the actor cannot even read (none of `seen_from`, default `unit_ids`, lies in
        their subtree) is refused exactly as one that does not exist."""
        require_role(command.actor, action)
        try:
            self._authorise(command, action, today, *unit_ids)
        except OutOfScope:
            units = [u for u in seen_from or unit_ids if u]
            if any(may(command.actor, Action.READ, u, self.tree(), today) for u in units):
                raise
            raise HiddenRecord(what) from None

    def _get(self, kind: type[Any], aggregate_id: UUID, what: str) -> Any:
        try:
            aggregate: Any = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            aggregate = None
        if not isinstance(aggregate, kind):
            raise no_such(what)
        return aggregate

    def liaison(self, liaison_id: UUID) -> Liaison:
        """Load a liaison, refusing an unknown id."""
        aggregate: Liaison = self._get(Liaison, liaison_id, "liaison")
        return aggregate

    def member_aggregate(self, member_id: UUID) -> Member:
        """Load a member, refusing an unknown id."""
        aggregate: Member = self._get(Member, member_id, "member")
        return aggregate

    # Receipts: the same command id twice records once and returns the first result.

    def _receipt(self, command_id: UUID) -> CommandReceipt | None:
        try:
            receipt: Any = self.repository.get(receipt_id_for(command_id))
        except AggregateNotFoundError:
            return None
        assert isinstance(receipt, CommandReceipt)
        return receipt

    @staticmethod
    def _fingerprint(command: cmd.Command) -> str:
        body = command.model_dump_json(exclude={"command_id"}).encode()
        return hashlib.sha256(body).hexdigest()

    @staticmethod
    def _earlier_result(receipt: CommandReceipt, fingerprint: str) -> dict[str, str]:
        if receipt.fingerprint != fingerprint:
            raise Duplicate(
                "This command id was already used for a different command.",
                "Mã lệnh này đã được dùng cho một lệnh khác.",
            )
        return dict(receipt.result)

    def _execute(self, command: cmd.Command, handler: Handler) -> dict[str, str]:
        """Run a command once under its id; a refusal writes nothing but its audit record."""
        self._recorded.position = None
        try:
            return self._decide_and_save(command, handler)
        except Refused as refusal:
            self._audit_refusal(command, refusal)
            refusal.audited = True
            raise

    def _audit_refusal(self, command: cmd.Command, refusal: Refused) -> None:
        """One audit record per refused command id, whichever surface sent it."""
        record_id = uuid5(command.command_id, "refused")
        today = business_date(self.clock())
        stamp = Stamp(
            actor=command.actor,
            command_id=record_id,
            effective_date=today,
            regulation=policy_in_force(today).regulation,
        )
        record = AccessRecord.permission_refused(
            record_id, stamp, type(command).__name__, refusal_target(command), refusal.audit_code
        )
        with contextlib.suppress(IntegrityError):  # refused before under this id: audited once
            self.save(record)
        self._recorded.position = None  # nothing the caller asked for was recorded

    def _decide_and_save(self, command: cmd.Command, handler: Handler) -> dict[str, str]:
        fingerprint = self._fingerprint(command)
        earlier = self._receipt(command.command_id)
        if earlier is not None:
            return self._earlier_result(earlier, fingerprint)
        if command.actor.id.startswith(IMPORTED_BY):
            raise OutOfScope(
                f"Actor ids starting {IMPORTED_BY!r} are reserved for the bulk import.",
                f"Mã người dùng bắt đầu bằng {IMPORTED_BY!r} chỉ dành cho nhập dữ liệu hàng loạt.",
            )
        today = business_date(self.clock())
        if command.effective_date > today:
            raise FutureDate(
                f"{command.effective_date} is in the future (today is {today}).",
                f"Ngày {command.effective_date} ở tương lai (hôm nay là {today}).",
            )
        try:
            aggregates, result = handler(today)
            receipt = CommandReceipt.issue(
                command.command_id, type(command).__name__, fingerprint, result
            )
            self.save(*aggregates, receipt)
        except IntegrityError:
            # A save inside the handler (a large meeting's batches) or the final one lost a race.
            earlier = self._receipt(command.command_id)
            if earlier is not None:
                return self._earlier_result(earlier, fingerprint)
            raise Conflict(
                "Someone changed this record at the same moment. Send the same command again: "
                "its command id makes the retry safe.",
                "Hồ sơ vừa được người khác thay đổi cùng lúc. Hãy gửi lại đúng lệnh này: "
                "mã lệnh bảo đảm không ghi trùng.",
            ) from None
        return result


_TARGETS = (
    "liaison_id",
    "member_id",
    "request_id",
    "cell_id",
    "workplace_unit_id",
    "party_card_number",
    "province_id",
)


def refusal_target(command: cmd.Command) -> str:
    """What a refused command was about, in the caller's own words (ids they sent, nothing read)."""
    for name in _TARGETS:
        value = getattr(command, name, None)
        if value:
            return str(value)[:200]
    unit = getattr(command, "unit", None) or getattr(command, "successor", None)
    return str(getattr(unit, "id", "") or "")[:200]
