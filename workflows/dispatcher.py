"""The dispatcher: follows the notification log and signals-with-start each liaison's workflow.

It is an `eventsourcing` projection whose "view" is only its tracking position: for each liaison
event it signals the workflow (starting it if need be), then records the position. A crash between
the two forwards the event again on restart; the workflow ignores versions it has seen.

A province's change of a deadline goes to every liaison workflow it concerns: each liaison
referred to a commune of that province before the change (in the log's order, so none is missed:
one referred later loads the changed policy when its workflow starts). The workflow reloads its
policy and recomputes its due dates; telling it twice costs a reload, nothing more.

A member's registration starts the member's late-referral workflow (`workflows.referral`, one per
member by its id); their referral or exemption from introduction tells it to look again, and so
does a province's change of a setting its ladder follows (`REFERRAL_SETTINGS`), for each member
then awaiting referral at a workplace of the province.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar, cast
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import Mapper, StoredEvent, Tracking, TrackingRecorder
from eventsourcing.projection import Projection
from eventsourcing.utils import Environment, get_topic
from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from domain.calendar import business_date
from domain.errors import Refused as DomainRefusal
from domain.imported import imported
from domain.liaison_events import LIAISON_EVENTS, LiaisonEvent, Referred
from domain.member import (
    ExemptedFromIntroduction,
    IntroductionExemptionLifted,
    LiaisonOpened,
    MemberRegistered,
    WorkplaceChanged,
)
from domain.organisation import OrganisationTree
from domain.persistence import APPLICATION_NAME, PydanticMapper
from domain.registry import (
    ORGANISATION_ID,
    Organisation,
    PolicyOverridden,
    PolicyOverrideWithdrawn,
)
from workflows.liaison import LiaisonWorkflow
from workflows.messages import (
    LiaisonEventMessage,
    LiaisonWorkflowInput,
    PolicyChangedMessage,
    to_message,
    workflow_id,
)
from workflows.referral import (
    MemberReferralWorkflow,
    ReferralSettled,
    ReferralWorkflowInput,
    referral_workflow_id,
)

T = TypeVar("T")
POLICY_EVENTS = (PolicyOverridden, PolicyOverrideWithdrawn)
LIAISON_TOPICS = tuple(get_topic(cls) for cls in LIAISON_EVENTS.values())
MEMBER_EVENTS = (MemberRegistered, LiaisonOpened, ExemptedFromIntroduction)
DISPATCHED_TOPICS = (
    *LIAISON_TOPICS,
    *(get_topic(cls) for cls in POLICY_EVENTS),
    *(get_topic(cls) for cls in MEMBER_EVENTS),
)
"""What the dispatcher follows: every liaison event, a province's changes of a deadline, and
the member events that start or settle a late-referral watch."""
MemberEvent = MemberRegistered | LiaisonOpened | ExemptedFromIntroduction
PAGE = 500
log = logging.getLogger(__name__)


async def forward(client: Client, event: LiaisonEvent, task_queue: str) -> bool:
    """Signal a liaison event to its workflow, starting it if need be; False if it has ended."""
    message = to_message(event)
    try:
        await client.start_workflow(
            LiaisonWorkflow.run,
            LiaisonWorkflowInput(liaison_id=message.liaison_id),
            id=workflow_id(message.liaison_id),
            task_queue=task_queue,
            start_signal="event",
            start_signal_args=[message],
            # A liaison whose workflow completed is closed for good; a failed one may restart.
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
        )
    except WorkflowAlreadyStartedError:
        log.info(
            "Liaison %s has ended; event v%s not forwarded",
            message.liaison_id,
            event.originator_version,
        )
        return False
    return True


async def forwarded(client: Client, event: LiaisonEvent) -> bool:
    """Whether the latest run of the event's workflow has received the event already.

    Asked only of the first event after a (re)start: the one a dispatcher that died (or a copy
    that lost its lead) may have forwarded without recording its position. An event received by
    an earlier run (one that continued-as-new since) goes again, and that workflow drops it."""
    handle = client.get_workflow_handle(workflow_id(str(event.originator_id)))
    try:
        history = await handle.fetch_history()
    except RPCError as error:
        if error.status is RPCStatusCode.NOT_FOUND:
            return False
        raise
    for entry in history.events:
        if entry.HasField("workflow_execution_signaled_event_attributes"):
            signal = entry.workflow_execution_signaled_event_attributes
            if signal.signal_name != "event":
                continue
            messages = await client.data_converter.decode(
                signal.input.payloads, [LiaisonEventMessage]
            )
            if any(m.version == event.originator_version for m in messages):
                return True
    return False


async def start_watch(client: Client, member_id: str, task_queue: str) -> None:
    """Start a member's late-referral workflow, once: its id is the member's, and a run that
    completed is not started again (`WorkflowAlreadyStartedError`; a failed one may be)."""
    await client.start_workflow(
        MemberReferralWorkflow.run,
        ReferralWorkflowInput(member_id=member_id),
        id=referral_workflow_id(member_id),
        task_queue=task_queue,
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
    )


async def watch_referral(client: Client, event: MemberEvent, task_queue: str) -> bool:
    """Start a registered member's late-referral workflow, or tell it the member was referred
    or exempted; False when it had started already, or has ended (or never ran)."""
    member_id = str(event.originator_id)
    if isinstance(event, MemberRegistered):
        try:
            await start_watch(client, member_id, task_queue)
        except WorkflowAlreadyStartedError:  # the dispatcher repeated the registration
            return False
        return True
    return await wake_watches(client, [member_id], type(event).__name__) == 1


async def wake_watches(client: Client, member_ids: list[str], why: str) -> int:
    """Tell members' late-referral workflows to read the member (and the policy) again; how
    many were still running."""
    woken = 0
    for member_id in member_ids:
        handle = client.get_workflow_handle(referral_workflow_id(member_id))
        try:
            await handle.signal(MemberReferralWorkflow.settled, ReferralSettled(member_id, why))
            woken += 1
        except RPCError as error:
            if error.status is not RPCStatusCode.NOT_FOUND:  # ended, or never started: nothing
                raise
    return woken


def policy_change(event: PolicyOverridden | PolicyOverrideWithdrawn) -> PolicyChangedMessage:
    """The signal a province's change (or withdrawal) of a deadline sends its liaisons."""
    if isinstance(event, PolicyOverridden):
        o = event.override
        return PolicyChangedMessage(o.province_id, o.setting, o.effective_from.isoformat())
    return PolicyChangedMessage(event.province_id, event.setting, event.effective_from.isoformat())


def _tree(reader: Application[UUID]) -> OrganisationTree | None:
    try:
        organisation: Any = reader.repository.get(ORGANISATION_ID)
    except AggregateNotFoundError:
        return None
    return cast(Organisation, organisation).tree


def _logged_before(reader: Application[UUID], topics: list[str], before: int) -> Iterator[Any]:
    """The events of these topics at log positions before `before`, in order."""
    start = 1
    while start < before:
        page = reader.recorder.select_notifications(
            start=start, limit=PAGE, stop=before - 1, topics=topics
        )
        for notification in page:
            yield reader.mapper.to_domain_event(notification)
        if len(page) < PAGE:
            break
        start = page[-1].id + 1


def referred_in_province(
    reader: Application[UUID], province_id: str, days: tuple[date, ...], before: int
) -> list[str]:
    """The liaisons referred, before the log position `before`, to a commune that lay in the
    province when referred or on one of `days` (a commune merged since counts for both)."""
    tree = _tree(reader)
    if tree is None:
        return []
    return [
        str(event.originator_id)
        for event in _logged_before(reader, [get_topic(Referred)], before)
        if isinstance(event, Referred)
        and any(
            _province_on(tree, event.residence_commune_id, day) == province_id
            for day in (event.effective_date, *days)
        )
    ]


REFERRAL_SETTINGS = frozenset(
    {"referral_days", "counting", "reminder_lead_days", "escalation_grace_days"}
)
"""The deadline settings a late-referral ladder follows (a change of these wakes the watches)."""
_WATCHED = (MemberRegistered, WorkplaceChanged, LiaisonOpened, ExemptedFromIntroduction,
            IntroductionExemptionLifted)  # fmt: skip


def unreferred_in_province(
    reader: Application[UUID], province_id: str, days: tuple[date, ...], before: int
) -> list[str]:
    """The members who, at the log position `before`, were registered at a workplace of the
    province (on one of `days`) and neither referred nor exempt from introduction."""
    tree = _tree(reader)
    if tree is None:
        return []
    workplace: dict[UUID, str] = {}
    referred: set[UUID] = set()
    exempt: set[UUID] = set()
    for event in _logged_before(reader, [get_topic(c) for c in _WATCHED], before):
        if not isinstance(event, _WATCHED):  # undecodable: the dispatcher logged it already
            continue
        member = event.originator_id
        if isinstance(event, MemberRegistered | WorkplaceChanged):
            workplace[member] = event.workplace_unit_id
        elif isinstance(event, LiaisonOpened):
            referred.add(member)
        elif isinstance(event, ExemptedFromIntroduction):
            exempt.add(member)
        elif isinstance(event, IntroductionExemptionLifted):
            exempt.discard(member)
    return [
        str(member)
        for member, unit in workplace.items()
        if member not in referred | exempt
        and any(_province_on(tree, unit, day) == province_id for day in days)
    ]


def _province_on(tree: OrganisationTree, unit_id: str, on: date) -> str | None:
    try:
        return tree.province_of(unit_id, on).id
    except DomainRefusal:  # a commune not in force on that day
        return None


async def forward_policy(
    client: Client, liaison_ids: list[str], message: PolicyChangedMessage
) -> int:
    """Signal a policy change to each liaison's workflow; how many were still running."""
    told = 0
    for liaison_id in liaison_ids:
        handle = client.get_workflow_handle(workflow_id(liaison_id))
        try:
            await handle.signal(LiaisonWorkflow.policy_changed, message)
            told += 1
        except RPCError as error:
            if error.status is not RPCStatusCode.NOT_FOUND:  # ended, or never started: nothing
                raise
    return told


@dataclass(frozen=True)
class Undecodable:
    """What the dispatcher sees in place of a stored event it cannot decode."""

    topic: str
    problem: str


class TolerantMapper(PydanticMapper):
    """Decodes stored events as the office does; one that does not decode becomes `Undecodable`."""

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        try:
            return super().to_domain_event(stored_event)
        except Exception as error:  # bad JSON, a field of the wrong type, an unknown class
            return Undecodable(stored_event.topic, type(error).__name__)


class LogReader(Application[UUID]):
    """The store's log as the library's projection runner reads it: the application's name and
    mapper, nothing else (the dispatcher records through no use case)."""

    name = APPLICATION_NAME

    def construct_env(self, name: str, env: Mapping[str, str] | None = None) -> Environment:
        """Configuration comes only from the caller, never from the process environment."""
        return Environment(name, dict(env or {}))

    def construct_mapper(self) -> Mapper[UUID]:
        # The library's subscription decodes each event before the projection sees it: an
        # event that raised there would stop the runner, and stop it again at every restart.
        return self.factory.mapper(
            transcoder=self.construct_transcoder(), mapper_class=TolerantMapper
        )


class LiaisonDispatch(Projection[TrackingRecorder]):
    """Forwards each liaison event, then records its position (at least once, applied once)."""

    name = "liaison_dispatcher"
    topics = DISPATCHED_TOPICS

    def __init__(
        self,
        view: TrackingRecorder,
        send: Callable[[LiaisonEvent], None],
        forwarded: Callable[[LiaisonEvent], bool] | None = None,
        tell: Callable[[PolicyOverridden | PolicyOverrideWithdrawn, int], None] | None = None,
        watch: Callable[[MemberEvent], None] | None = None,
    ) -> None:
        super().__init__(view)
        self.send = send
        self.resuming = forwarded
        """Asked of the first event this runner forwards: whether it went before its position
        was recorded (then it does not go again)."""
        self.tell = tell
        """Sends a province's change of a deadline, at its log position, to its liaisons."""
        self.watch = watch
        """Starts or settles a member's late-referral workflow (sending twice does no harm)."""

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        """Forward the event and record the position (an event that cannot go is logged)."""
        if isinstance(domain_event, Undecodable):
            log.error(
                "Event at notification %s (%s) cannot be decoded (%s); not forwarded",
                tracking.notification_id,
                domain_event.topic,
                domain_event.problem,
            )
        # Imported history is not replayed through signals: onboarding starts those workflows
        # from the store's state instead (DESIGN.md: start from a snapshot).
        elif isinstance(domain_event, LiaisonEvent) and not imported(domain_event):
            resuming, self.resuming = self.resuming, None
            try:
                if resuming is not None and resuming(domain_event):
                    log.info(
                        "Event at notification %s went before the restart; not forwarded again",
                        tracking.notification_id,
                    )
                else:
                    self.send(domain_event)
            except Refused as refusal:
                log.error(
                    "Event at notification %s (liaison %s v%s) was refused by Temporal (%s);"
                    " not forwarded",
                    tracking.notification_id,
                    domain_event.originator_id,
                    domain_event.originator_version,
                    refusal,
                )
        elif isinstance(domain_event, POLICY_EVENTS) and self.tell is not None:
            self.tell(domain_event, tracking.notification_id)
        elif (
            isinstance(domain_event, MEMBER_EVENTS)
            and self.watch is not None
            and not imported(domain_event)  # onboarding starts those from the store
        ):
            self.watch(domain_event)
        self.view.insert_tracking(tracking)


class Refused(Exception):
    """Temporal refused the event itself (too large, say): sending it again cannot help."""


def _refused(error: Exception) -> bool:
    # Only a payload over the server's size limit is the event's own fault; any other invalid
    # argument (a task queue, a namespace) is the configuration's, and is retried loudly.
    return (
        isinstance(error, RPCError)
        and error.status is RPCStatusCode.INVALID_ARGUMENT
        and "size exceeds" in error.message.lower()
    )


@dataclass(frozen=True)
class Bridge:
    """Synchronous calls for the runner's thread, each retried on the loop until Temporal
    answers: `send` forwards an event, `forwarded` asks whether it went already, `watch` starts
    or settles a member's late-referral workflow."""

    send: Callable[[LiaisonEvent], None]
    forwarded: Callable[[LiaisonEvent], bool]
    watch: Callable[[MemberEvent], None] | None = None


def bridge(
    client: Client, task_queue: str, loop: asyncio.AbstractEventLoop, stopping: Callable[[], bool]
) -> Bridge:
    """The runner's calls to Temporal (`Bridge`).

    An event Temporal refuses as such raises `Refused` at once instead of being retried forever.
    """

    async def until_answered(call: Callable[[], Awaitable[T]]) -> T:
        delay = 0.5
        while True:
            try:
                return await call()
            except Exception as error:  # Temporal down or busy: the log waits, nothing is lost
                if _refused(error):
                    raise Refused(str(error)) from error
                if stopping():
                    raise
                log.warning("Forwarding failed (%s); retrying in %.1fs", error, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)

    def send(event: LiaisonEvent) -> None:
        call = until_answered(lambda: forward(client, event, task_queue))
        asyncio.run_coroutine_threadsafe(call, loop).result()

    def went(event: LiaisonEvent) -> bool:
        call = until_answered(lambda: forwarded(client, event))
        return asyncio.run_coroutine_threadsafe(call, loop).result()

    def watch(event: MemberEvent) -> None:
        call = until_answered(lambda: watch_referral(client, event, task_queue))
        asyncio.run_coroutine_threadsafe(call, loop).result()

    return Bridge(send, went, watch)


def policy_bridge(
    client: Client,
    reader: Application[UUID],
    loop: asyncio.AbstractEventLoop,
    stopping: Callable[[], bool],
) -> Callable[[PolicyOverridden | PolicyOverrideWithdrawn, int], None]:
    """A synchronous `tell` for the runner's thread: finds the liaisons a province's change
    concerns, then signals them on the loop, retrying until Temporal answers."""

    async def tell_until_done(
        liaison_ids: list[str], member_ids: list[str], message: PolicyChangedMessage
    ) -> None:
        delay = 0.5
        while True:
            try:
                told = await forward_policy(client, liaison_ids, message)
                woken = await wake_watches(client, member_ids, "PolicyChanged")
                log.info(
                    "Deadline change in %s told to %d liaisons and %d late-referral watches",
                    message.province_id, told, woken,
                )  # fmt: skip
                return
            except Exception as error:
                if stopping():
                    raise
                log.warning("Telling failed (%s); retrying in %.1fs", error, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)

    def tell(event: PolicyOverridden | PolicyOverrideWithdrawn, position: int) -> None:
        message = policy_change(event)
        days = (date.fromisoformat(message.effective_from), business_date(event.timestamp))
        liaison_ids = referred_in_province(reader, message.province_id, days, position)
        member_ids = (
            unreferred_in_province(reader, message.province_id, days, position)
            if message.setting in REFERRAL_SETTINGS
            else []
        )
        call = tell_until_done(liaison_ids, member_ids, message)
        asyncio.run_coroutine_threadsafe(call, loop).result()

    return tell
