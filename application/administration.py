"""Administration: the organisation tree (units, mergers, renames) and a province's deadlines."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from application.outcome import Outcome
from application.use import Use
from application.work import Decision, Scope, Work, in_the_handler
from domain import commands as cmd
from domain.organisation import Unit
from domain.policy import PolicyOverride, policy_in_force, validate_override
from domain.registry import ORGANISATION_ID, REGULATION_BOOK_ID, Organisation, RegulationBook
from domain.roles import Action, authorise


def establish_unit(work: Work, command: cmd.EstablishUnit) -> Decision:
    """Enter an organisation unit (administrators)."""
    organisation = work.writable(ORGANISATION_ID, Organisation.start)
    organisation.establish(work.stamp_today(), command.unit)
    _within_own_subtree(work, organisation, command.unit)  # before any save
    return Decision([organisation], _unit(command.unit))


def succeed_units(work: Work, command: cmd.SucceedUnits) -> Decision:
    """Merge or rename units from a date: the predecessors end, the successor begins."""
    organisation = work.writable(ORGANISATION_ID, Organisation.start)
    for unit_id in command.predecessor_ids:  # each ending unit is the administrator's own
        _owned_until(work, organisation, unit_id, command.successor.valid_from)
    organisation.succeed(work.stamp_today(), command.predecessor_ids, command.successor)
    _within_own_subtree(work, organisation, command.successor)  # before any save
    return Decision([organisation], _unit(command.successor))


def end_unit(work: Work, command: cmd.EndUnit) -> Decision:
    """End a unit from a date, with no successor (administrators).

    End a unit on the command's date, with no successor."""
    organisation = work.writable(ORGANISATION_ID, Organisation.start)
    unit = _owned_until(work, organisation, command.unit_id, command.effective_date)
    organisation.end(work.stamp_today(), command.unit_id, command.effective_date)
    return Decision([organisation], _unit(unit))


def override_policy(work: Work, command: cmd.OverridePolicy) -> Decision:
    """Change a default deadline for a province from a date.

    Record a province's change to a default deadline, from the command's date."""
    work.province(command.province_id)
    book = work.writable(REGULATION_BOOK_ID, RegulationBook.start)
    override = PolicyOverride(
        province_id=command.province_id,
        setting=command.setting,
        value=validate_override(command.setting, command.value),  # before the model coerces it
        effective_from=command.effective_date,
    )
    book.override(work.stamp(policy_in_force(command.effective_date)), override)
    return Decision([book])


def withdraw_policy_override(work: Work, command: cmd.WithdrawPolicyOverride) -> Decision:
    """Withdraw a province's change of a default deadline.

    Withdraw a province's change to a default deadline: the default governs again."""
    work.province(command.province_id)
    book = work.writable(REGULATION_BOOK_ID, RegulationBook.start)
    book.withdraw(
        work.stamp(policy_in_force(command.effective_date)),
        command.province_id,
        command.setting,
        command.override_from,
    )
    return Decision([book])


def _unit(unit: Unit) -> Outcome:
    return Outcome(unit_id=unit.id)


def _within_own_subtree(work: Work, organisation: Organisation, unit: Unit) -> None:
    """Administrators change only their own subtree, as it stands when the unit begins."""
    actor, tree = work.command.actor, organisation.tree
    own = tree.in_force(actor.unit_id, work.today)  # the first unit may be the actor's own
    if unit.parent_id is None and own.parent_id is None:
        # A province beside one's own: only a top-level administrator may open it.
        authorise(actor, Action.MANAGE_ORGANISATION, (own.id,), tree, work.today)
        return
    anchor = unit.parent_id or unit.id
    authorise(actor, Action.MANAGE_ORGANISATION, (anchor,), tree, unit.valid_from)


def _owned_until(work: Work, organisation: Organisation, unit_id: str, ends: date) -> Unit:
    """The unit, refused unless it lies in the actor's subtree on its last day in force."""
    tree = organisation.tree
    unit = tree.unit(unit_id)
    last_day = max(ends - timedelta(days=1), unit.valid_from)
    authorise(work.command.actor, Action.MANAGE_ORGANISATION, (unit_id,), tree, last_day)
    return unit


def _province(
    work: Work, command: cmd.OverridePolicy | cmd.WithdrawPolicyOverride
) -> Sequence[Scope]:
    return [Scope((command.province_id,))]


USES = (
    Use(establish_unit, Action.MANAGE_ORGANISATION, in_the_handler, "The unit was entered."),
    Use(succeed_units, Action.MANAGE_ORGANISATION, in_the_handler, "The merger was recorded."),
    Use(end_unit, Action.MANAGE_ORGANISATION, in_the_handler, "The unit was ended."),
    Use(override_policy, Action.OVERRIDE_POLICY, _province, "The province's deadline was changed."),
    Use(withdraw_policy_override, Action.OVERRIDE_POLICY, _province,
        "The province's change of a deadline was withdrawn."),
)  # fmt: skip
