"""The dataclasses that cross the Temporal boundary: one per workflow, signal, query and activity.

Dates travel as ISO strings and domain values as their JSON, so that the default data converter
suffices and fields can be added compatibly.

No `from __future__ import annotations` here: the data converter calls `typing.get_type_hints` on
a dataclass for every value it decodes (each event of a loaded liaison), and string annotations
cost it seven times as much (≈ 190 µs against 27 µs a message, measured on 2026-12-03).
"""

from dataclasses import dataclass, field

from domain.liaison_events import LIAISON_EVENTS, LiaisonEvent

WORKFLOW_ID_PREFIX = "liaison-"
TASK_QUEUE = "liaison"


def workflow_id(liaison_id: str) -> str:
    """The workflow id of a liaison."""
    return f"{WORKFLOW_ID_PREFIX}{liaison_id}"


@dataclass
class LiaisonEventMessage:
    """One stored liaison event as forwarded to its workflow: type name, version and JSON."""

    liaison_id: str
    version: int
    event_type: str
    event_json: str


def to_message(event: LiaisonEvent) -> LiaisonEventMessage:
    """The message that carries a stored liaison event."""
    return LiaisonEventMessage(
        liaison_id=str(event.originator_id),
        version=event.originator_version,
        event_type=type(event).__name__,
        event_json=event.model_dump_json(),
    )


def from_message(message: LiaisonEventMessage) -> LiaisonEvent:
    """The liaison event a message carries."""
    return LIAISON_EVENTS[message.event_type].model_validate_json(message.event_json)


@dataclass
class PolicyChangedMessage:
    """A province changed (or withdrew a change of) a deadline setting from a date: the
    workflow reloads the policy in force for its residence and recomputes its due dates."""

    province_id: str
    setting: str
    effective_from: str


@dataclass
class CarriedState:
    """Everything a run hands to the next one through continue-as-new."""

    state_json: str
    policy_json: str
    taken: list[str] = field(default_factory=list)
    open_escalations: list[str] = field(default_factory=list)
    pending: list[LiaisonEventMessage] = field(default_factory=list)
    runs: int = 1


@dataclass
class LiaisonWorkflowInput:
    """Start a liaison's workflow: fresh (it loads its snapshot) or carried over."""

    liaison_id: str
    carried: CarriedState | None = None


@dataclass
class LiaisonWorkflowResult:
    """How a liaison's workflow ended."""

    liaison_id: str
    version: int
    closed_reason: str | None


@dataclass
class LiaisonSnapshot:
    """What the workflow holds now (a query, for tests and operators)."""

    state_json: str
    taken: list[str]
    open_escalations: list[str]
    runs: int
    next_wake: str | None


@dataclass
class LoadLiaisonInput:
    """Read a liaison's events after a version, and the policy in force on a date."""

    liaison_id: str
    after_version: int
    on: str


@dataclass
class OnboardInput(LoadLiaisonInput):
    """Onboard a liaison: `load_liaison`'s question, and which answer is wanted (`from_state`:
    the liaison's state; else, as runs begun before that answer existed ask, its events)."""

    from_state: bool = False
    take_due: bool = False
    """With `from_state`: also take the rungs then due (`OnboardResult.taken` names them)."""


@dataclass
class LoadLiaisonResult:
    """The events after the version asked for, and the policy as JSON."""

    events: list[LiaisonEventMessage]
    policy_json: str


@dataclass
class TakeStepInput:
    """Record one rung of a deadline's ladder on a date."""

    liaison_id: str
    deadline_json: str
    step: str
    on: str


@dataclass
class Rung:
    """One rung of a deadline's ladder to take."""

    deadline_json: str
    step: str
    opens: bool = False
    """True when the run took no rung of the deadline's ladder yet: its escalation is opened
    without being looked up first (should a run before this one have opened it, the save fails
    on its id and the rung is taken again, looked up). A hint: either value records the same.
    False from runs begun before `RUNGS_SAY_OPENS`, and from workers before the field."""


@dataclass
class OnboardResult(LoadLiaisonResult):
    """A fresh run's start: the liaison's policy and its state (`state_json`, a `LiaisonState`,
    with no events) or its events, after opening the year's cycle if one was due (`cycle_year`:
    the year it tried to open; `refusal`: why the domain refused)."""

    cycle_year: int | None = None
    refusal: str | None = None
    state_json: str | None = None
    taken: list[Rung] = field(default_factory=list)
    """The rungs due that it took (`take_due`), each recorded as `take_steps` records one."""
    untold: bool = False
    """The rungs `taken` were recorded but their notices could not be queued: the run asks
    `take_steps` for them, which answers each as recorded and queues its notices."""


@dataclass
class TakeStepsInput:
    """Record the rungs due on a date, in order, each its own command and event."""

    liaison_id: str
    rungs: list[Rung]
    on: str


@dataclass
class TakeStepResult:
    """Whether the rung was recorded, which unit was told, or why the domain refused."""

    recorded: bool
    unit_id: str | None = None
    refusal: str | None = None


@dataclass
class TakeStepsResult:
    """Each rung's result, in the order asked."""

    results: list[TakeStepResult]


@dataclass
class ResolveInput:
    """Close an open escalation because of what the liaison's state now shows."""

    liaison_id: str
    kind: str
    subject: str
    resolution: str
    liaison_version: int
    on: str


@dataclass
class ResolveResult:
    """Whether an open escalation was closed."""

    resolved: bool


@dataclass
class OpenCycleInput:
    """Open the annual cycle of a year; returns the liaison's events after `after_version`."""

    liaison_id: str
    year: int
    on: str
    after_version: int


@dataclass
class OpenCycleResult(LoadLiaisonResult):
    """The events recorded since, and the policy of the new cycle."""

    refusal: str | None = None
