"""The order of a liaison's steps, stated once: no step before the step it depends on, and the
annual assessment inside the regulation's window (or late, with its reason).

The aggregate's guards call these, so the office, the import and the workflow's own commands all
refuse the same things; the deadlines take the window from here too.
"""

from __future__ import annotations

from datetime import date

from domain.errors import OutOfOrder, OutsideWindow
from domain.policy import Deadlines
from domain.roles import Action
from domain.state import LiaisonState


def prior_step(
    state: LiaisonState, action: Action, year: int | None = None
) -> tuple[Action, date | None]:
    """The step `action` depends on within this liaison, and the date it was taken (if it was).

    Received ≥ referred (commune), cell ≥ commune, a meeting's attendance and the assessment ≥ the
    cell's receipt, confirmed ≥ assessed, reported back ≥ confirmed."""
    record = state.assessment(year)
    priors: dict[Action, tuple[Action, date | None]] = {
        Action.RECEIVE_AT_COMMUNE: (Action.REFER, state.referred_on),
        Action.RECEIVE_AT_CELL: (Action.RECEIVE_AT_COMMUNE, state.commune_received_on),
        Action.RECORD_MEETING: (Action.RECEIVE_AT_CELL, state.cell_received_on),
        Action.ASSESS: (Action.RECEIVE_AT_CELL, state.cell_received_on),
        Action.CONFIRM_ASSESSMENT: (Action.ASSESS, record.assessed_on if record else None),
        Action.REPORT_BACK: (Action.CONFIRM_ASSESSMENT, record.confirmed_on if record else None),
    }
    return priors.get(action, (Action.REFER, state.referred_on))


def require_after(action: Action, day: date, prior: Action, earlier: date | None) -> None:
    """Refuse `action` dated before the step `prior` it depends on, naming both and their dates."""
    if earlier is not None and day < earlier:
        raise OutOfOrder(
            "“{action}” on {day} cannot come before “{prior}” on {earlier}.",
            action=action,
            day=day,
            prior=prior,
            earlier=earlier,
        )


def require_order(state: LiaisonState, action: Action, day: date, year: int | None = None) -> None:
    """Refuse a step dated before the step it depends on in this liaison."""
    require_after(action, day, *prior_step(state, action, year))


def assessment_window(year: int, rules: Deadlines) -> tuple[date, date]:
    """The dates between which the annual assessment of `year` is made (opens, due)."""
    return date(year, *rules.assessment_window_opens), date(year, *rules.assessment_due)


def require_in_window(year: int, day: date, rules: Deadlines, late_reason: str | None) -> bool:
    """Refuse an assessment before its window, or after it without a reason; True when late."""
    opens, due = assessment_window(year, rules)
    if day < opens:
        raise OutsideWindow(
            "The assessment of {year} cannot be made on {day}: its window opens on {earlier}.",
            year=year,
            day=day,
            earlier=opens,
        )
    if day > due and not late_reason:
        raise OutsideWindow(
            "The assessment of {year} was due by {later}; one made on {day} needs the reason"
            " it is late.",
            year=year,
            day=day,
            later=due,
        )
    return day > due
