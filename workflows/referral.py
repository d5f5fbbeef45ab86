"""The late-referral workflow: one per registered member, until they are referred or exempted.

A working member registered at a workplace is referred to their residence (or exempted from
introduction) within the policy's `referral_days` (`domain.deadlines.referral_deadline`). Until
then there is no liaison, so no liaison workflow watches them: this one does. The dispatcher
starts it on `MemberRegistered` (onboarding, for members the bulk import registered), with the
workflow id `referral-<member id>`, so a member has one. It sleeps until each rung of the
deadline's ladder (`domain.escalation.ladder`: reminder, missed, escalated) and takes it through
the same `TakeStep` use case as a liaison's; the escalation is keyed by the member
(`domain.escalation.watches_member`). Each wake first re-reads the member (`watch_referral`): once
referred or exempted it closes an open escalation and ends. The dispatcher also signals `settled`
on `LiaisonOpened` and `ExemptedFromIntroduction`, so an escalation closes the day it is answered.

The deadline is read afresh at each wake (the province's `referral_days` and the member's
workplace as they stand then); the dispatcher wakes the runs of a province's members awaiting
referral when it changes a setting their ladder follows. The run is short (three rungs at most,
a few signals), so it never continues-as-new.

Versioning: as `workflows/liaison.py` says; patches in force: none. Histories are recorded by
`tests/replay/record.py` (scenario `late_referral_escalated`).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from datetime import date, timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.calendar import business_date
    from workflows.messages import ResolveResult, TakeStepResult
    from workflows.process import wake_moment

WORKFLOW_ID_PREFIX = "referral-"
ACTIVITY_TIMEOUT = timedelta(seconds=20)


def referral_workflow_id(member_id: str) -> str:
    """The workflow id of a member's late-referral watch (one per member)."""
    return f"{WORKFLOW_ID_PREFIX}{member_id}"


@dataclass
class ReferralWorkflowInput:
    """Watch a member's referral."""

    member_id: str


@dataclass
class ReferralSettled:
    """The dispatcher's word to read again: a member event that may end the wait (its type), or
    a province's change of a deadline setting ("PolicyChanged")."""

    member_id: str
    event_type: str


@dataclass
class ReferralWorkflowResult:
    """How the watch ended: the rungs taken and why it ended."""

    member_id: str
    taken: list[str]
    resolution: str


@dataclass
class ReferralSnapshot:
    """What the workflow holds now (a query, for tests and operators)."""

    taken: list[str]
    next_wake: str | None


@dataclass
class WatchReferralInput:
    """Read a member's referral deadline on a date."""

    member_id: str
    on: str


@dataclass
class WatchReferralResult:
    """The deadline still awaited (None once referred or exempted: then `resolution` says how)
    and its ladder's rungs: step names and their business dates, in order."""

    deadline_json: str | None
    steps: list[str] = field(default_factory=list)
    days: list[str] = field(default_factory=list)
    resolution: str = ""
    member_version: int = 0


@dataclass
class ReferralStepInput:
    """Record one rung of a member's referral ladder on a date (`scheduled`: its day)."""

    member_id: str
    deadline_json: str
    step: str
    on: str
    scheduled: str


@dataclass
class ResolveReferralInput:
    """Close a member's open referral escalation: they were referred or exempted."""

    member_id: str
    resolution: str
    member_version: int
    on: str


@workflow.defn(name="MemberReferral")
class MemberReferralWorkflow:
    """Giới thiệu chậm: reminds the workplace, then tells its superior, until the member is
    referred or exempted from introduction."""

    def __init__(self) -> None:
        self._signals = 0
        self._seen = 0
        self._taken: list[str] = []
        self._next_wake: date | None = None

    @workflow.signal(name="settled")
    def settled(self, message: ReferralSettled) -> None:
        """The member was referred or exempted, or the policy changed: wake and read again (the
        dispatcher may repeat it: it only wakes)."""
        self._signals += 1

    def _told(self) -> bool:
        """True when a `settled` signal came since the run last read the member."""
        return self._signals > self._seen

    @workflow.query(name="snapshot")
    def snapshot(self) -> ReferralSnapshot:
        """The rungs taken and the next wake."""
        wake = self._next_wake.isoformat() if self._next_wake else None
        return ReferralSnapshot(taken=list(self._taken), next_wake=wake)

    @workflow.run
    async def run(self, start: ReferralWorkflowInput) -> ReferralWorkflowResult:
        """Take each rung on its day until the member no longer awaits a referral."""
        while True:
            self._seen = self._signals
            today = business_date(workflow.now())
            watch: WatchReferralResult = await workflow.execute_activity(
                "watch_referral",
                WatchReferralInput(member_id=start.member_id, on=today.isoformat()),
                result_type=WatchReferralResult,
                start_to_close_timeout=ACTIVITY_TIMEOUT,
            )
            if watch.deadline_json is None:
                if self._taken:  # an escalation was opened: close it
                    await workflow.execute_activity(
                        "resolve_referral",
                        ResolveReferralInput(
                            member_id=start.member_id,
                            resolution=watch.resolution,
                            member_version=watch.member_version,
                            on=today.isoformat(),
                        ),
                        result_type=ResolveResult,
                        start_to_close_timeout=ACTIVITY_TIMEOUT,
                    )
                return ReferralWorkflowResult(start.member_id, self._taken, watch.resolution)
            days = [date.fromisoformat(d) for d in watch.days]
            rungs = list(zip(watch.steps, days, strict=True))
            for step, day in rungs:
                if step not in self._taken and day <= today:
                    await workflow.execute_activity(
                        "take_referral_step",
                        ReferralStepInput(
                            member_id=start.member_id,
                            deadline_json=watch.deadline_json,
                            step=step,
                            on=today.isoformat(),
                            scheduled=day.isoformat(),
                        ),
                        result_type=TakeStepResult,
                        start_to_close_timeout=ACTIVITY_TIMEOUT,
                    )
                    self._taken.append(step)
            self._next_wake = min((d for s, d in rungs if s not in self._taken), default=None)
            timeout = None  # every rung taken: wait for the referral, however long
            if self._next_wake is not None:
                timeout = max(wake_moment(self._next_wake) - workflow.now(), timedelta(seconds=1))
            with contextlib.suppress(TimeoutError):
                await workflow.wait_condition(self._told, timeout=timeout)
