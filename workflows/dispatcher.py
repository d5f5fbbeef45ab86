"""The dispatcher: follows the notification log and signals-with-start each liaison's workflow.

It is an `eventsourcing` projection whose "view" is only its tracking position: for each liaison
event it signals the workflow (starting it if need be), then records the position. A crash between
the two forwards the event again on restart; the workflow ignores versions it has seen.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import Mapper, StoredEvent, Tracking, TrackingRecorder
from eventsourcing.projection import Projection
from eventsourcing.utils import Environment, get_topic
from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from domain.imported import imported
from domain.liaison_events import LIAISON_EVENTS, LiaisonEvent
from domain.persistence import APPLICATION_NAME, PydanticMapper
from workflows.liaison import LiaisonWorkflow
from workflows.messages import (
    LiaisonEventMessage,
    LiaisonWorkflowInput,
    to_message,
    workflow_id,
)

T = TypeVar("T")
LIAISON_TOPICS = tuple(get_topic(cls) for cls in LIAISON_EVENTS.values())
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
    topics = LIAISON_TOPICS

    def __init__(
        self,
        view: TrackingRecorder,
        send: Callable[[LiaisonEvent], None],
        forwarded: Callable[[LiaisonEvent], bool] | None = None,
    ) -> None:
        super().__init__(view)
        self.send = send
        self.resuming = forwarded
        """Asked of the first event this runner forwards: whether it went before its position
        was recorded (then it does not go again)."""

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
    answers: `send` forwards an event, `forwarded` asks whether it went already."""

    send: Callable[[LiaisonEvent], None]
    forwarded: Callable[[LiaisonEvent], bool]


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

    return Bridge(send, went)
