"""Regulation policies as data, chosen by effective date, with per-province overrides."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from domain.errors import GradeNotInScale, Malformed
from domain.messages import Label
from domain.organisation import OrganisationTree


class Grade(BaseModel):
    """One step of an assessment scale (its words are the label catalogue's, context `grade`)."""

    model_config = ConfigDict(frozen=True)

    code: str


class ExemptionReason(BaseModel):
    """A category of exemption a workplace committee may decide (labels: context `exemption`)."""

    model_config = ConfigDict(frozen=True)

    code: str


class DayCount(StrEnum):
    """How a deadline's days are counted."""

    CALENDAR = "calendar"
    WORKING = "working"


class Deadlines(BaseModel):
    """The default deadlines of DOMAIN.md; every one is a setting a province may override."""

    model_config = ConfigDict(frozen=True)

    referral_days: int = 30  # a registered member is referred (or exempted) within this
    receipt_days: int = 30
    meeting_interval_months: int = 6
    assessment_window_opens: tuple[int, int] = (11, 1)  # (month, day)
    assessment_due: tuple[int, int] = (12, 15)
    report_back_days: int = 10
    report_back_by: tuple[int, int] = (12, 31)
    on_demand_days: int = 15
    rereferral_days: int = 30
    closing_slip_days: int = 30
    closing_slip_counting: DayCount = DayCount.WORKING
    counting: DayCount = DayCount.CALENDAR
    reminder_lead_days: int = 3  # the reminder goes this many days before the due date
    escalation_grace_days: int = 7  # the superior committee is told this many days after it


class Policy(BaseModel):
    """The rules of one regulation version as they apply from `effective_from`."""

    model_config = ConfigDict(frozen=True)

    regulation: str
    title: str
    effective_from: date
    grades: tuple[Grade, ...]
    front_committee_joins: bool
    introduction_exemptions: tuple[ExemptionReason, ...]
    activities_exemptions: tuple[ExemptionReason, ...]
    deadlines: Deadlines = Deadlines()
    criteria: tuple[str, ...] = ()
    """What the residence cell comments on (its words are the label catalogue's, context
    `criterion`): the member's duties where they live, in the regulation's order."""

    def grade(self, code: str) -> Grade:
        """The grade with that code, or a refusal naming the scale in force."""
        for grade in self.grades:
            if grade.code == code:
                return grade
        raise GradeNotInScale(
            "The grade “{grade}” is not on the scale of Regulation {regulation} ({choices}).",
            grade=Label("grade", code),
            regulation=self.regulation,
            choices=tuple(Label("grade", g.code) for g in self.grades),
        )

    def exemption(self, code: str, *, from_activities: bool) -> ExemptionReason:
        """The exemption category with that code, or a malformed-command refusal."""
        reasons = self.activities_exemptions if from_activities else self.introduction_exemptions
        for reason in reasons:
            if reason.code == code:
                return reason
        raise Malformed(
            "The exemption reason “{exemption}” is not a category of Regulation {regulation}"
            " ({choices}).",
            exemption=Label("exemption", code),
            regulation=self.regulation,
            choices=tuple(Label("exemption", r.code) for r in reasons),
        )


_INTRODUCTION_EXEMPTIONS = (
    ExemptionReason(code="secret_mission"),
    ExemptionReason(code="combat_readiness"),
    ExemptionReason(code="other"),
)

_ACTIVITIES_EXEMPTIONS = (
    ExemptionReason(code="barracks_or_official_housing"),
    ExemptionReason(code="travelling"),
    ExemptionReason(code="full_time_study"),
    ExemptionReason(code="student_away"),
    ExemptionReason(code="other"),
)

_CRITERIA = ("exemplary", "keeps_contact", "joins_activities", "conduct")
"""Quy định 76 (Điều 3) and 213 (Điều 2): the duties of a working member where they live."""

REGULATION_76 = Policy(
    regulation="76",
    title="Quy định 76-QĐ/TW",
    effective_from=date(2000, 6, 15),
    grades=(
        Grade(code="good"),
        Grade(code="fair"),
        Grade(code="average"),
        Grade(code="poor"),
    ),
    front_committee_joins=False,
    introduction_exemptions=_INTRODUCTION_EXEMPTIONS,
    activities_exemptions=_ACTIVITIES_EXEMPTIONS,
    criteria=_CRITERIA,
)

REGULATION_213 = Policy.model_validate(
    {
        **dict(REGULATION_76),  # the same exemptions, criteria and default deadlines
        "regulation": "213",
        "title": "Quy định 213-QĐ/TW",
        "effective_from": date(2020, 1, 2),
        "grades": (Grade(code="fulfilled_well"), Grade(code="not_fulfilled_well")),
        "front_committee_joins": True,
    }
)

REGULATIONS: tuple[Policy, ...] = (REGULATION_76, REGULATION_213)
EARLIEST_DAY = date(2000, 1, 1)
"""Liaison's records begin in the year Regulation 76 came into force; no date lies before."""


class PolicyOverride(BaseModel):
    """A province's recorded change to one default deadline, from a date."""

    model_config = ConfigDict(frozen=True)

    province_id: str
    setting: str
    value: int | tuple[int, int] | DayCount
    effective_from: date


def policy_in_force(on: date, overrides: Iterable[PolicyOverride] = ()) -> Policy:
    """The regulation governing that date, with the overrides in force on it applied in order."""
    candidates = [p for p in REGULATIONS if p.effective_from <= on]
    if not candidates:
        raise Malformed(
            "No regulation was in force on {day} (the first began on {earlier}).",
            day=on,
            earlier=min(p.effective_from for p in REGULATIONS),
        )
    return with_overrides(max(candidates, key=lambda p: p.effective_from), on, overrides)


def with_overrides(policy: Policy, on: date, overrides: Iterable[PolicyOverride]) -> Policy:
    """The policy with the overrides in force on that date applied, the latest last."""
    changes: dict[str, object] = {}
    for override in sorted(overrides, key=lambda o: o.effective_from):
        if override.effective_from <= on:
            changes[override.setting] = override.value
    if not changes:
        return policy
    deadlines = Deadlines.model_validate({**policy.deadlines.model_dump(), **changes})
    return policy.model_copy(update={"deadlines": deadlines})


DAY_SETTINGS: tuple[str, ...] = tuple(
    name
    for name, f in Deadlines.model_fields.items()
    if f.annotation is int and name != "referral_days"
)
"""The settings counted in whole days or months that a province's board sets in days (the
referral's own deadline is left out: the board's late-referral figure does not follow it yet)."""

_LIMITS: dict[str, tuple[int, int]] = {
    "meeting_interval_months": (1, 24),
    "reminder_lead_days": (0, 90),
    "escalation_grace_days": (0, 90),
}
_DAY_LIMITS = (1, 366)
"""No deadline is shorter than a day or longer than a year; anything else is a typing slip."""


def limits_of(setting: str) -> tuple[int, int]:
    """The smallest and largest value a province may give a day or month setting."""
    return _LIMITS.get(setting, _DAY_LIMITS)


def validate_override(setting: str, value: object) -> int | tuple[int, int] | DayCount:
    """The override's value as its setting holds it; a refusal for a setting that does not exist
    or a value of the wrong shape or out of bounds (a negative or absurd number of days)."""
    if setting not in Deadlines.model_fields:
        raise Malformed(
            "There is no deadline setting “{setting}” (the settings: {settings}).",
            setting=setting,
            settings=tuple(Deadlines.model_fields),
        )
    try:
        typed: int | tuple[int, int] | DayCount = getattr(
            Deadlines.model_validate({setting: value}), setting
        )
    except ValueError:
        raise Malformed(
            "The value “{value}” does not fit the setting “{setting}”.",
            value=str(value),
            setting=setting,
        ) from None
    if isinstance(typed, int) and not isinstance(typed, bool):
        low, high = limits_of(setting)
        if not low <= typed <= high:
            raise Malformed(
                "The value “{value}” is out of bounds: from {least} to {most}.",
                value=str(typed),
                least=low,
                most=high,
            )
    elif isinstance(typed, tuple):
        month, day = typed
        try:
            date(2001, month, day)  # a day of every year (29 February is not)
        except ValueError:
            raise Malformed(
                "The value “{value}” does not fit the setting “{setting}”.",
                value=f"{day}/{month}",
                setting=setting,
            ) from None
    return typed


def policy_for(
    tree: OrganisationTree,
    overrides: Iterable[PolicyOverride],
    on: date,
    unit_id: str,
    province_on: date | None = None,
) -> Policy:
    """The policy governing `on` for the province of the unit as it stood on `province_on`."""
    province = tree.province_of(unit_id, province_on or on)
    return policy_in_force(on, [o for o in overrides if o.province_id == province.id])


def settled(tree: OrganisationTree, overrides: Iterable[PolicyOverride], on: date) -> bool:
    """Whether every unit's policy on that date is the one it keeps: no regulation, override or
    change of the tree (which may move a commune to another province) begins after it."""
    return (
        all(p.effective_from <= on for p in REGULATIONS)
        and all(o.effective_from <= on for o in overrides)
        and all(u.valid_from <= on and (u.valid_until is None or u.valid_until <= on) for u in tree)
    )
