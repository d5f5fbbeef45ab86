"""LiaisonOffice: the eventsourcing application — the store, reference data, `execute` for every
command (receipt, authorisation, decision, save, refusal audited once) and the reads of records."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import date, datetime
from typing import Any, ClassVar, cast
from uuid import UUID, uuid4, uuid5

from eventsourcing.application import AggregateNotFoundError, Application, Repository
from eventsourcing.domain import BaseAggregate
from eventsourcing.persistence import IntegrityError, Mapper, Recording
from eventsourcing.utils import Environment, get_topic, strtobool

from application.accounts import AccountTable
from application.outcome import Outcome
from application.registry import REGISTRY
from application.repository import OfficeRepository
from application.trail import Trail
from application.views import STAMP_FIELDS, MemberView, TimelineEntry
from application.work import Decision, Work
from domain import commands as cmd
from domain.access import AccessRecord, PermissionRefused
from domain.calendar import business_date
from domain.deadlines import Deadline, open_deadlines
from domain.errors import Conflict, Duplicate, FutureDate, OutOfScope, Refused, no_such
from domain.escalation import Escalation, TakeStep, system_actor
from domain.imported import IMPORTED_BY
from domain.liaison import Liaison
from domain.liaison_events import LiaisonEvent, replay
from domain.member import Member, MemberRegistered, member_id_for
from domain.organisation import OrganisationTree
from domain.persistence import APPLICATION_NAME, PydanticMapper
from domain.policy import Policy, policy_for, policy_in_force, settled
from domain.registry import (
    INSTALLATION_ID,
    LEGACY_MEMBER_NAMESPACE,
    ORGANISATION_ID,
    REGULATION_BOOK_ID,
    CommandReceipt,
    Covered,
    Installation,
    Organisation,
    RegulationBook,
    covered_by,
    receipt_id_for,
)
from domain.roles import Actor, require_role
from domain.stamp import Stamp
from domain.state import LiaisonState, Stage

REFERENCES = (ORGANISATION_ID, REGULATION_BOOK_ID)
"""The reference aggregates, read shared from the cache (`_reference`)."""
SELF_RECEIPTED = (CommandReceipt, AccessRecord, Installation)
"""What needs no receipt of its own: a receipt, and the aggregates whose one event is its own
receipt (see `projections.seal.SELF_RECEIPTED`)."""

MAX_EVENTS_PER_SAVE = 100
"""A single save of about 1 MB over a Unix socket hangs PostgreSQL writers; stay far below."""


class LiaisonOffice(Application[UUID]):
    """The residence-liaison application: commands in, events out, refusals named and audited."""

    name = APPLICATION_NAME
    env: ClassVar[dict[str, str]] = {
        "PERSISTENCE_MODULE": "eventsourcing.popo",
        # The library's aggregate cache, fast-forwarded from the store on every read.
        "AGGREGATE_CACHE_MAXSIZE": "2000",
    }

    def __init__(self, env: Mapping[str, str], clock: Callable[[], datetime]) -> None:
        self.clock = clock
        self._namespace: UUID | None = None
        self._namespace_lock = threading.Lock()
        self._reference_reads = {i: threading.Lock() for i in REFERENCES}
        self._held = threading.local()  # `holding_references`: this thread's, by id
        self._recorded = threading.local()
        super().__init__(env=dict(env))
        self.trail = Trail(self)
        """The access trail: sign-ins, refusals, account changes, maintenance runs."""
        self.accounts: AccountTable | None = None
        """Where board accounts are kept (the composition root plugs it in; None: no accounts)."""

    def construct_env(self, name: str, env: Mapping[str, str] | None = None) -> Environment:
        """Configuration comes only from the caller, never from the process environment."""
        settings = dict(type(self).env)
        settings.update(env or {})
        return Environment(name, settings)

    def construct_repository(self) -> Repository[UUID]:
        """The library's repository, configured as the library configures it, rebuilding each
        aggregate with `mutate_each`."""
        cache_maxsize = self.env.get(self.AGGREGATE_CACHE_MAXSIZE)
        return OfficeRepository(
            event_store=self.events,
            snapshot_store=self.snapshots,
            cache_maxsize=int(cache_maxsize) if cache_maxsize else None,
            fastforward=strtobool(self.env.get(self.AGGREGATE_CACHE_FASTFORWARD, "y")),
            fastforward_skipping=strtobool(
                self.env.get(self.AGGREGATE_CACHE_FASTFORWARD_SKIPPING, "n")
            ),
            deepcopy_from_cache=strtobool(self.env.get(self.DEEPCOPY_FROM_AGGREGATE_CACHE, "y")),
        )

    def construct_mapper(self) -> Mapper[UUID]:
        return self.factory.mapper(
            transcoder=self.construct_transcoder(), mapper_class=PydanticMapper
        )

    def today(self) -> date:
        """The business date today (Vietnam's date), by the office's clock."""
        return business_date(self.clock())

    # Commands.

    def execute(self, command: cmd.Command) -> Outcome:
        """Carry a command out once under its id; a refusal writes nothing but its audit record."""
        self._recorded.position = None
        try:
            return self._decide_and_save(command)
        except Refused as refusal:
            self._audit(command, refusal)
            raise

    def _decide_and_save(self, command: cmd.Command) -> Outcome:
        fingerprint = _fingerprint(command)
        earlier = self._receipt(command.command_id)
        if earlier is not None:
            return _earlier_outcome(earlier, fingerprint)
        work = Work(self, command, self.today())
        decision, outcome = self._decide(work)
        kind = type(command).__name__
        if decision.beside is not None:
            # Before the save: a failure here records nothing, so sending again carries it out.
            decision.beside()
        try:
            *first, last = _capped(decision.aggregates)
            for batch in first:
                self.save(*batch, CommandReceipt.part(uuid4(), command.command_id, kind,
                                                      covered_by(batch)))  # fmt: skip
            receipt = CommandReceipt.issue(
                command.command_id, kind, fingerprint, outcome.receipt(), covered_by(last)
            )
            self.save(*last, receipt)
        except IntegrityError:
            # One of the saves lost a race: the same command by another caller, or a conflict.
            earlier = self._receipt(command.command_id)
            if earlier is not None:
                return _earlier_outcome(earlier, fingerprint)
            raise Conflict(
                "Someone changed this record at the same moment. Send the same command "
                "again: its command id makes the retry safe.",
            ) from None
        return outcome

    def _decide(self, work: Work) -> tuple[Decision, Outcome]:
        """Check, authorise and decide a command (nothing saved); what it decided, and the
        outcome its caller is told."""
        command, today = work.command, work.today
        if command.actor.id.startswith(IMPORTED_BY):
            raise OutOfScope(
                "Actor ids starting “{value}” are reserved for the bulk import.",
                value=IMPORTED_BY,
            )
        if command.effective_date > today:
            raise FutureDate(
                "{day} is in the future (today is {today}).",
                day=command.effective_date,
                today=today,
            )
        use = REGISTRY.of(command)
        require_role(command.actor, use.action)  # before anything is read: it tells nothing
        for scope in use.scopes(work, command):
            work.authorise(use.action, scope)
        decision = use.handler(work, command)
        outcome = decision.outcome or Outcome()
        if outcome.member_name is None:
            outcome = outcome.model_copy(update={"member_name": work.member_named()})
        return decision, outcome

    def execute_together(
        self,
        commands: Sequence[cmd.Command],
        then: Then | None = None,
        unopened: Callable[[UUID], bool] | None = None,
    ) -> list[Outcome | Refused]:
        """Carry out commands in order as `execute` would one after another, each deciding on
        what those before it decided, and save them in one transaction, each with its own
        events and receipt: the rungs of one liaison's ladders due on one day. `then`, given
        the liaison's state as the commands left it, names more commands to carry out after
        them in the same way (the rungs due once a year's cycle is open); their outcomes follow.

        No receipt is looked up first (a round trip a command): a command already carried out
        makes the save fail on its receipt's id, or is refused on the state it left. Where one
        is refused, or the save fails on an id already taken, nothing of the batch was saved:
        each is then carried out alone by `execute`, which answers a command carried out before
        with its earlier outcome and audits a refusal once, as ever (and `then` is asked again,
        on the state the store then holds).

        `unopened` names the escalations the caller knows were never opened (the first ladder
        of a liaison a fresh run onboards, or of a deadline a run took no rung of yet): each is
        opened without being looked up first. Should one have been opened after all (a run
        onboarded again), the save fails on its id and the commands go one at a time, each
        looking it up."""
        self._recorded.position = None
        try:
            return list(self._decide_and_save_together(commands, then, unopened))
        except (Refused, IntegrityError, _OneAtATime):
            outcomes = [self._outcome(command) for command in commands]
            if then is not None:
                outcomes += [self._outcome(command) for command in then(self.state_of)]
            return outcomes

    def _outcome(self, command: cmd.Command) -> Outcome | Refused:
        try:
            return self.execute(command)
        except Refused as refusal:
            return refusal

    def _decide_and_save_together(
        self,
        commands: Sequence[cmd.Command],
        then: Then | None,
        unopened: Callable[[UUID], bool] | None,
    ) -> list[Outcome]:
        outcomes: list[Outcome] = []
        saved: dict[UUID, BaseAggregate[UUID]] = {}  # each aggregate once, in first-seen order
        receipts: list[CommandReceipt] = []
        claimed: dict[UUID, int] = {}  # the last version an earlier command's receipt names
        today = self.today()
        work: Work | None = None

        def decide(command: cmd.Command) -> None:
            nonlocal work
            if not isinstance(command, TOGETHER):
                raise _OneAtATime
            work = Work(self, command, today, following=work, unopened=unopened)
            decision, outcome = self._decide(work)
            if decision.beside is not None:
                raise _OneAtATime  # a command that writes beside the store
            for aggregate in decision.aggregates:
                if saved.setdefault(aggregate.id, aggregate) is not aggregate:
                    raise _OneAtATime  # two copies of one record: one's events would be lost
                work.loaded(aggregate)  # the next command decides on it, unsaved
            covered = _added(decision.aggregates, claimed)
            receipts.append(
                CommandReceipt.issue(
                    command.command_id, type(command).__name__, _fingerprint(command),
                    outcome.receipt(), covered,
                )
            )  # fmt: skip
            outcomes.append(outcome)

        for command in commands:
            decide(command)
        if then is not None:
            for command in then(functools.partial(self._decided_state, work)):
                decide(command)
        pending = sum(len(a.pending_events) for a in saved.values()) + len(receipts)
        if pending > MAX_EVENTS_PER_SAVE:
            raise _OneAtATime
        self.save(*saved.values(), *receipts)
        return outcomes

    def _decided_state(self, work: Work | None, liaison_id: UUID) -> LiaisonState:
        """The liaison's state as a batch's commands so far decided it (unsaved)."""
        return work.liaison(liaison_id).state if work is not None else self.state_of(liaison_id)

    def save(self, *objs: Any, **kwargs: Any) -> list[Recording[UUID]]:
        """Save, with a receipt naming every event saved when the caller brought none.

        The seal's verification refuses an event that no receipt names: whatever writes through
        the office leaves its receipt. An access record and the store's key are one event of an
        aggregate of their own, written alone: each is its own receipt."""
        aggregates = [o for o in objs if isinstance(o, BaseAggregate)]
        brought = any(isinstance(a, CommandReceipt) for a in aggregates)
        if not brought and not all(isinstance(a, SELF_RECEIPTED) for a in aggregates):
            events = covered_by(aggregates)
            receipt_id = uuid4()
            kinds = ",".join(sorted({type(a).__name__ for a in aggregates}))
            objs = (*objs, CommandReceipt.part(receipt_id, receipt_id, kinds, events))
        return super().save(*objs, **kwargs)

    def _audit(self, command: cmd.Command, refusal: Refused) -> None:
        """One audit record per refused command id, whichever surface sent it."""
        if not refusal.audited:
            record_id = uuid5(command.command_id, "refused")
            stamp = Stamp(
                actor=command.actor,
                command_id=record_id,
                effective_date=self.today(),
                regulation=policy_in_force(self.today()).regulation,
            )
            record = AccessRecord.of(
                PermissionRefused, record_id, stamp, action=type(command).__name__,
                target=refusal_target(command), code=refusal.audit_code,
            )  # fmt: skip
            with contextlib.suppress(IntegrityError):  # refused before under this id: once
                self.save(record)
            refusal.audited = True
        self._recorded.position = None  # nothing the caller asked for was recorded

    def _receipt(self, command_id: UUID) -> CommandReceipt | None:
        try:
            receipt: Any = self.repository.get(receipt_id_for(command_id))
        except AggregateNotFoundError:
            return None
        assert isinstance(receipt, CommandReceipt)
        return receipt

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

    # Reference data: the library's cache, fast-forwarded, shared read-only.

    def organisation(self) -> Organisation:
        """The organisation aggregate as the store holds it now (a shared, read-only copy)."""
        return cast(Organisation, self._reference(ORGANISATION_ID, Organisation.start))

    def regulation_book(self) -> RegulationBook:
        """The policy overrides as the store holds them now (a shared, read-only copy)."""
        return cast(RegulationBook, self._reference(REGULATION_BOOK_ID, RegulationBook.start))

    @contextlib.contextmanager
    def holding_references(self) -> Iterator[None]:
        """Within the block, on this thread, the organisation and the regulation book are each
        caught up from the store once, when first asked, and the same cached record answered
        after (which another thread may catch up further meanwhile, never back), as the commands
        of one batch share them (`Work(following=...)`): for work that decides a few commands a
        moment apart, such as a workflow's activity opening a cycle and then taking the rungs
        due (each catching up is a round trip that, under load, waits its turn behind every
        other thread's). Not for work that changes either record: it would not see its change."""
        outer = getattr(self._held, "references", None)
        self._held.references = {} if outer is None else outer
        try:
            yield
        finally:
            self._held.references = outer

    def _reference(self, aggregate_id: UUID, start: Callable[[], Any]) -> Any:
        """The aggregate from the cache, caught up (or as first read within
        `holding_references`). Its first read replays it whole (at 300,000 members the
        organisation's 28,688 units: 0.8 s), and the library does not make the threads that
        miss the cache meanwhile wait for it: each would replay it too (eight activity threads
        of a worker just started took 16 s). A replay is made once, by one thread."""
        held: dict[UUID, Any] | None = getattr(self._held, "references", None)
        if held is not None and aggregate_id in held:
            return held[aggregate_id]
        # Every read under the lock, not only a process's first: the cache may have dropped
        # the record since. Readers of a cached one queue as they would anyway (the library
        # catches a cached record up under a lock of its own).
        with self._reference_reads[aggregate_id]:
            found = self._cached_reference(aggregate_id, start)
        if held is not None:
            held[aggregate_id] = found
        return found

    def _cached_reference(self, aggregate_id: UUID, start: Callable[[], Any]) -> Any:
        try:
            return self.repository.get(aggregate_id, deepcopy_from_cache=False)
        except AggregateNotFoundError:
            return start()

    def tree(self) -> OrganisationTree:
        """The organisation tree with every unit and its periods."""
        return self.organisation().tree

    def policy(
        self,
        on: date,
        unit_id: str | None = None,
        *,
        province_on: date | None = None,
        tree: OrganisationTree | None = None,
        book: RegulationBook | None = None,
    ) -> Policy:
        """The policy in force on that date for the province of the unit (defaults without one),
        in `tree` and `book` when the caller has read them already (each read of the tree or
        the book waits its turn: see `_reference`)."""
        if unit_id is None:
            return policy_in_force(on)
        overrides = (book or self.regulation_book()).overrides
        return policy_for(tree or self.tree(), overrides, on, unit_id, province_on)

    def settled_on(self, on: date) -> bool:
        """Whether the policy of every unit on that date is the one it keeps from then on (the
        worklist's kept steps are worked out under that one: `projections.tasks`)."""
        return settled(self.tree(), self.regulation_book().overrides, on)

    # The store's secret namespace for ids derived from party cards.

    def id_namespace(self) -> UUID:
        """The store's namespace, recorded at its first need (a registration or card look-up)."""
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
            )
        self._namespace = namespace

    def _record_namespace(self, proposal: UUID) -> UUID:
        """The namespace the store records: its own, else `proposal` (saved now)."""
        with self._namespace_lock:
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

    # Reads of records (dashboards read the projections instead).

    def _get(self, kind: type[Any], aggregate_id: UUID, what: str, *, shared: bool = False) -> Any:
        """The aggregate, a copy to change, or with `shared` the cached one itself, to read."""
        try:
            aggregate: Any = self.repository.get(aggregate_id, deepcopy_from_cache=not shared)
        except AggregateNotFoundError:
            aggregate = None
        if not isinstance(aggregate, kind):
            raise no_such(what)
        return aggregate

    def liaison(self, liaison_id: UUID) -> Liaison:
        """A liaison, refusing an unknown id."""
        return cast(Liaison, self._get(Liaison, liaison_id, "liaison"))

    def member_aggregate(self, member_id: UUID) -> Member:
        """A member, refusing an unknown id."""
        return cast(Member, self._get(Member, member_id, "member"))

    def escalation(self, escalation_id: UUID) -> Escalation:
        """An escalation, refusing an unknown id."""
        return cast(Escalation, self._get(Escalation, escalation_id, "escalation"))

    def system_actor_for(
        self,
        liaison_id: UUID,
        on: date,
        tree: OrganisationTree | None = None,
        *,
        state: LiaisonState | None = None,
    ) -> Actor:
        """The workflow's actor for a liaison: the system, in the province of the residence (in
        `tree`, and of the liaison's `state`, when the caller has read them already)."""
        if state is None:
            state = self.state_of(liaison_id)
        return system_actor((tree or self.tree()).province_of(state.residence_commune_id, on).id)

    def history(
        self, liaison_id: UUID, *, as_of_version: int | None = None, as_of_date: date | None = None
    ) -> list[LiaisonEvent]:
        """The liaison's events in order, up to a version and/or effective by a date."""
        events = [cast(LiaisonEvent, e) for e in self.events.get(liaison_id, lte=as_of_version)]
        if not events:
            raise no_such("liaison")
        if as_of_date is not None:
            events = [e for e in events if e.effective_date <= as_of_date]
        return events

    def events_after(self, liaison_id: UUID, version: int) -> list[LiaisonEvent]:
        """The liaison's events after `version`, in order (none if it has no later one)."""
        return [cast(LiaisonEvent, e) for e in self.events.get(liaison_id, gt=version)]

    def state_of(
        self, liaison_id: UUID, *, as_of_version: int | None = None, as_of_date: date | None = None
    ) -> LiaisonState:
        """The liaison's state now (its aggregate, caught up from the repository's cache rather
        than its whole history decoded again, and not copied: a state is never changed, each
        event replaces it), or as it stood at a version or on a date."""
        if as_of_version is None and as_of_date is None:
            return cast(Liaison, self._get(Liaison, liaison_id, "liaison", shared=True)).state
        events = self.history(liaison_id, as_of_version=as_of_version, as_of_date=as_of_date)
        if not events:
            raise no_such("liaison")  # it did not exist yet on that date
        return replay(events)

    def stage(self, liaison_id: UUID) -> Stage:
        """The liaison's lifecycle stage now."""
        return self.state_of(liaison_id).stage

    def deadlines(self, liaison_id: UUID, on: date) -> list[Deadline]:
        """What the liaison awaits on that date, under the policy then in force."""
        state = self.state_of(liaison_id, as_of_date=on)
        return open_deadlines(state, self.policy(on, state.residence_commune_id), on)

    def referral_due(self, member_id: UUID) -> Deadline | None:
        """The referral a registered member awaits (none once referred or exempted from
        introduction), under the policy of the workplace's province on the registration date."""
        m = self.member_aggregate(member_id)
        return m.referral_due(self.policy(m.registered_on, m.workplace_unit_id))

    def member(self, member_id: UUID) -> MemberView:
        """A member's record."""
        m = self.member_aggregate(member_id)
        return MemberView(
            member_id=m.id,
            name=m.name,
            birth_date=m.birth_date,
            party_card_number=m.party_card_number,
            workplace_unit_id=m.workplace_unit_id,
            exempt_from_introduction=m.exemption,
            open_liaison_id=m.open_liaison_id,
            liaison_ids=tuple(m.liaison_ids),
        )

    def member_by_card(self, party_card_number: str) -> MemberView:
        """A member found by party card number."""
        return self.member(self.member_id_for(party_card_number))

    def timeline(self, member_id: UUID) -> list[TimelineEntry]:
        """Every event of every liaison of the member, in order, with the stage after each."""
        entries: list[TimelineEntry] = []
        for liaison_id in self.member(member_id).liaison_ids:
            state: LiaisonState | None = None
            for event in self.history(liaison_id):
                state = event.evolve(state)  # type: ignore[arg-type]
                data = event.model_dump(mode="json")
                entries.append(
                    TimelineEntry(
                        liaison_id=liaison_id,
                        version=event.originator_version,
                        event=type(event).__name__,
                        effective_date=event.effective_date,
                        recorded_at=event.timestamp,
                        actor_id=event.actor.id,
                        role=event.actor.role.value,
                        unit_id=event.actor.unit_id,
                        regulation=event.regulation,
                        command_id=event.command_id,
                        comment=event.comment,
                        details={k: v for k, v in data.items() if k not in STAMP_FIELDS},
                        stage_after=state.stage,
                    )
                )
        return entries


def _capped(aggregates: Sequence[BaseAggregate[UUID]]) -> list[list[BaseAggregate[UUID]]]:
    """The aggregates in saves of at most MAX_EVENTS_PER_SAVE events (one save, nearly always).

    Only a meeting of a large cell goes over; its retry under the same command id skips what an
    interrupted run already saved (each member's attendance is recorded once)."""
    batches: list[list[BaseAggregate[UUID]]] = [[]]
    size = 0
    for aggregate in aggregates:
        pending = len(aggregate.pending_events)
        if batches[-1] and size + pending > MAX_EVENTS_PER_SAVE - 1:  # and its receipt
            batches.append([])
            size = 0
        batches[-1].append(aggregate)
        size += pending
    return batches


TOGETHER = (TakeStep, cmd.OpenCycle)
"""The commands `execute_together` saves as one batch: their handlers read and change records
only through the command's `Work` (a handler that reads the store itself, or changes a fresh
copy, would not see what the batch's earlier commands decided); any other is carried out alone."""


Then = Callable[[Callable[[UUID], LiaisonState]], Sequence[cmd.Command]]
"""`execute_together`'s `then`: given a liaison's state as the batch left it, the commands to
carry out next. It may be asked twice (on the batch's state, then on the store's when the batch
is carried out one command at a time): it must have no effect but its answer."""


class _OneAtATime(Exception):
    """A batch to carry out one command at a time (see `execute_together`): a command not in
    `TOGETHER`, one that writes beside the store, two copies of one record, or too many events
    for one save."""


def _added(
    aggregates: Sequence[BaseAggregate[UUID]], claimed: dict[UUID, int]
) -> tuple[Covered, ...]:
    """The versions a command added to aggregates that earlier commands of its batch may also
    have changed (`claimed`: the last version their receipts name, updated here)."""
    out: list[Covered] = []
    for aggregate in aggregates:
        after = claimed.get(aggregate.id, 0)
        versions = [v for e in aggregate.pending_events if (v := e.originator_version) > after]
        if versions:
            out.append((aggregate.id, min(versions), max(versions)))
            claimed[aggregate.id] = max(versions)
    return tuple(out)


def _fingerprint(command: cmd.Command) -> str:
    """What makes two commands under one id the same command (all but the id)."""
    body = command.model_dump_json(exclude={"command_id"}).encode()
    return hashlib.sha256(body).hexdigest()


def _earlier_outcome(receipt: CommandReceipt, fingerprint: str) -> Outcome:
    if receipt.fingerprint != fingerprint:
        raise Duplicate(
            "This command id was already used for a different command.",
        )
    return Outcome.from_receipt(dict(receipt.result))


_TARGETS = (
    "liaison_id",
    "member_id",
    "request_id",
    "escalation_id",
    "cell_id",
    "workplace_unit_id",
    "party_card_number",
    "province_id",
)


def target_of(values: Mapping[str, Any]) -> str:
    """What a request was about, in the sender's own words (ids they sent, nothing read)."""
    for name in _TARGETS:
        if values.get(name):
            return str(values[name])[:200]
    unit = values.get("unit") or values.get("successor")
    found = unit.get("id") if isinstance(unit, Mapping) else getattr(unit, "id", "")
    return str(found or "")[:200]


def refusal_target(command: cmd.Command) -> str:
    """What a refused command was about (see `target_of`)."""
    return target_of(dict(command))
