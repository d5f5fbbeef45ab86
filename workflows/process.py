"""The liaison process manager's logic as a plain class: no Temporal, unit-testable, replay-safe."""

from __future__ import annotations

from datetime import date, datetime, time

from domain.calendar import VIETNAM
from domain.deadlines import Deadline, DeadlineKind, open_deadlines
from domain.escalation import ScheduledStep, Step, ladder
from domain.liaison_events import LiaisonEvent
from domain.policy import Policy
from domain.state import LiaisonState, Stage
from workflows.messages import CarriedState, LiaisonEventMessage, from_message

WAKE_AT = time(8, 0)  # steps are taken at the start of office hours, Vietnam time
ALL_TIME = date(9999, 12, 31)


def wake_moment(day: date) -> datetime:
    """When the workflow wakes for a business date (08:00 in Vietnam)."""
    return datetime.combine(day, WAKE_AT, tzinfo=VIETNAM)


def cycle_due(state: LiaisonState, today: date) -> int | None:
    """The year whose annual cycle should open on `today` for that state, if any."""
    if state.stage is Stage.CLOSED or state.cycle_year is None:
        return None
    return today.year if state.cycle_year < today.year else None


def _key(kind: str, subject: str) -> str:
    return f"{kind}/{subject}"


class LiaisonProcess:
    """One liaison's state, its pending events, and the rungs of its ladders already taken."""

    def __init__(self) -> None:
        self.state: LiaisonState | None = None
        self.policy: Policy | None = None
        self.taken: set[str] = set()
        self.open_escalations: set[str] = set()
        self.pending: dict[int, LiaisonEventMessage] = {}
        self.runs = 1
        self.closing_slips = True
        """Whether the closing slips' deadline is awaited (False for runs begun before it was)."""

    # Events in version order.

    @property
    def version(self) -> int:
        """The last applied version (0 before the snapshot is loaded)."""
        return self.state.version if self.state else 0

    def offer(self, message: LiaisonEventMessage) -> None:
        """Keep an event for applying in order; a version already applied is ignored."""
        if message.version > self.version:
            self.pending[message.version] = message

    @property
    def has_pending(self) -> bool:
        """True when events are waiting to be applied."""
        return bool(self.pending)

    @property
    def has_gap(self) -> bool:
        """True when the next version has not arrived but a later one has (fetch it)."""
        return bool(self.pending) and (self.version + 1) not in self.pending

    def apply_ready(self) -> list[LiaisonEvent]:
        """Apply every pending event that is next in order; return them."""
        applied: list[LiaisonEvent] = []
        for stale in [v for v in self.pending if v <= self.version]:
            del self.pending[stale]
        while (self.version + 1) in self.pending or (self.state is None and 1 in self.pending):
            event = from_message(self.pending.pop(self.version + 1))
            self.state = event.evolve(self.state)  # type: ignore[arg-type]
            applied.append(event)
        return applied

    def apply_fetched(self, messages: list[LiaisonEventMessage]) -> list[LiaisonEvent]:
        """Apply events read from the store (and any pending ones they make ready)."""
        for message in messages:
            self.offer(message)
        return self.apply_ready()

    def start_from(self, state: LiaisonState, policy: Policy) -> list[LiaisonEvent]:
        """Start a fresh run from the liaison's state as the store holds it, as applying its
        events would (no rung taken, no escalation open: the store's are taken again, by their
        command ids recorded once), then apply the pending events it makes ready; return them."""
        self.state, self.policy = state, policy
        return self.apply_ready()

    # Deadlines and their ladders.

    def _current(self) -> LiaisonState:
        assert self.state is not None
        assert self.policy is not None
        return self.state

    def deadlines(self) -> list[Deadline]:
        """Every deadline the current state awaits, opened or still to open."""
        assert self.policy is not None
        return open_deadlines(
            self._current(), self.policy, ALL_TIME, closing_slips=self.closing_slips
        )

    def scheduled(self) -> list[tuple[Deadline, ScheduledStep]]:
        """The rungs not yet taken, earliest first."""
        assert self.policy is not None
        rungs = [
            (deadline, rung)
            for deadline in self.deadlines()
            for rung in ladder(deadline, self.policy.deadlines)
            if _key(deadline.kind, deadline.subject) + f"/{rung.step}" not in self.taken
        ]
        return sorted(rungs, key=lambda pair: (pair[1].on, pair[0].kind, pair[0].subject))

    def due(self, today: date) -> list[tuple[Deadline, ScheduledStep]]:
        """The rungs due on or before `today`."""
        return [(d, rung) for d, rung in self.scheduled() if rung.on <= today]

    def mark_taken(self, deadline: Deadline, step: Step) -> None:
        """Remember a rung as taken; its escalation is now open."""
        key = _key(deadline.kind, deadline.subject)
        self.taken.add(f"{key}/{step}")
        self.open_escalations.add(key)

    def opened(self, deadline: Deadline) -> bool:
        """True when this run (or one it continues) took a rung of the deadline's ladder."""
        key = _key(deadline.kind, deadline.subject)
        return any(f"{key}/{step}" in self.taken for step in Step)

    def cycle_due(self, today: date) -> int | None:
        """The year whose annual cycle should open now, if any."""
        return cycle_due(self._current(), today)

    def next_wake(self, today: date) -> date | None:
        """The next business date something is due (a rung, or 1 January's new cycle)."""
        state = self._current()
        candidates = [rung.on for _, rung in self.scheduled() if rung.on > today]
        if state.stage is not Stage.CLOSED and state.cycle_year is not None:
            candidates.append(date(today.year + 1, 1, 1))
        return min(candidates, default=None)

    # Resolution and the end.

    def _still_awaited(self, key: str) -> bool:
        state = self._current()
        kind, subject = key.split("/", 1)
        if any(_key(d.kind, d.subject) == key for d in self.deadlines()):
            return True
        # A new cycle does not excuse last year's missing assessment.
        return (
            kind == DeadlineKind.ANNUAL_ASSESSMENT
            and state.stage is not Stage.CLOSED
            and not state.is_exempt_from_activities
            and state.assessment(int(subject)) is None
        )

    def to_resolve(self) -> list[tuple[str, str]]:
        """The open escalations whose deadline is no longer awaited, as (kind, subject)."""
        done = sorted(k for k in self.open_escalations if not self._still_awaited(k))
        return [(k.split("/", 1)[0], k.split("/", 1)[1]) for k in done]

    def mark_resolved(self, kind: str, subject: str) -> None:
        """Forget a resolved escalation (its rungs stay taken)."""
        self.open_escalations.discard(_key(kind, subject))

    @property
    def finished(self) -> bool:
        """True when the liaison is closed and awaits nothing more."""
        state = self._current()
        return state.stage is Stage.CLOSED and not self.deadlines() and not self.open_escalations

    # Continue-as-new.

    def carry(self) -> CarriedState:
        """The state for the next run."""
        assert self.policy is not None
        return CarriedState(
            state_json=self._current().model_dump_json(),
            policy_json=self.policy.model_dump_json(),
            taken=sorted(self.taken),
            open_escalations=sorted(self.open_escalations),
            pending=[self.pending[v] for v in sorted(self.pending)],
            runs=self.runs + 1,
        )

    def restore(self, carried: CarriedState) -> None:
        """Take over the state a previous run carried."""
        self.state = LiaisonState.model_validate_json(carried.state_json)
        self.policy = Policy.model_validate_json(carried.policy_json)
        self.taken = set(carried.taken)
        self.open_escalations = set(carried.open_escalations)
        for message in carried.pending:
            self.offer(message)
        self.runs = carried.runs
