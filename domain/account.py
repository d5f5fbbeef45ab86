"""Board accounts as an administrator keeps them: who may open, move, reset or retire whose.

The accounts themselves (password digests, sessions) live beside the store; what is recorded here
is each administrative act on one, as its own small aggregate (acts never contend), and the rules
those acts obey: a manager acts only within their own subtree and never grants a role above theirs.
"""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import BaseAggregate
from pydantic import BaseModel, ConfigDict

from domain.errors import Duplicate, OutOfScope, UnknownMember, UnknownUnit, WrongState
from domain.events import Creation, Recorded
from domain.organisation import OrganisationTree
from domain.roles import Action, Actor, Role, authorise
from domain.stamp import Stamp

ACCOUNT_NAMESPACE = UUID("9d0c2f4e-6b1a-4e8b-a3f7-52c1d0e9b6a4")


class UnknownAccount(UnknownMember):
    """No account of that name in the manager's reach (the same words whether it exists or not)."""

    code = "unknown_user"


class AccountChange(StrEnum):
    """What an administrator did to an account."""

    OPENED = "account_opened"
    PASSWORD_RESET = "password_reset"
    REASSIGNED = "account_moved"
    RETIRED = "account_retired"


class AccountView(BaseModel):
    """An account as it stands: its role and unit, and whether it was retired."""

    model_config = ConfigDict(frozen=True)

    username: str
    role: Role
    unit_id: str
    retired: bool = False


RANK: dict[Role, int] = {
    Role.WORKPLACE_CLERK: 1,
    Role.COMMUNE_CLERK: 1,
    Role.CELL_SECRETARY: 1,
    Role.INSPECTOR: 1,
    Role.COMMITTEE_MEMBER: 2,
    Role.SUPERVISOR: 3,
    Role.ADMINISTRATOR: 4,
}
"""How far a role reaches: a manager grants and manages roles up to their own rank only."""


def grantable(actor: Actor) -> tuple[Role, ...]:
    """The roles this manager may give (none above their own)."""
    return tuple(role for role in Role if RANK[role] <= RANK[actor.role])


def may_manage(actor: Actor, account: AccountView, tree: OrganisationTree, on: date) -> bool:
    """True when the account lies in the actor's subtree and its role is not above theirs; the
    account of a unit that ended with no successor lies where the unit stood on its last day."""
    if RANK[account.role] > RANK[actor.role]:
        return False
    try:
        tree.in_force(actor.unit_id, on)  # a manager whose own unit ended manages nothing
        day = _judged_on(tree, account.unit_id, on)
        authorise(actor, Action.MANAGE_USERS, (account.unit_id,), tree, day)
    except (OutOfScope, UnknownUnit):
        return False
    return True


def _judged_on(tree: OrganisationTree, unit_id: str, on: date) -> date:
    """The day an account's unit is placed on: `on`, or its last day in force when it ended by
    then with no successor (nobody else carries it: its accounts stay its managers' to retire)."""
    unit = tree.unit(unit_id)
    if unit.successor_id is None and unit.valid_until is not None and unit.valid_until <= on:
        return max(unit.valid_until - timedelta(days=1), unit.valid_from)
    return on


def check_grant(actor: Actor, role: Role, unit_id: str, tree: OrganisationTree, on: date) -> None:
    """Refuse a role above the actor's own, or a unit outside their subtree or not in force."""
    if role not in grantable(actor):
        raise OutOfScope("You may not give a role above your own ({role}).", role=actor.role)
    tree.itself_in_force(unit_id, on)
    authorise(actor, Action.MANAGE_USERS, (unit_id,), tree, on)


def check_change(actor: Actor, account: AccountView) -> None:
    """Refuse a change to a retired account, or to one's own (another manager does that)."""
    if account.retired:
        raise WrongState("The account {name} was retired.", name=account.username)
    if account.username == actor.id:
        raise OutOfScope("You may not change your own account here; ask another administrator.")


def check_new(existing: AccountView | None, username: str) -> None:
    """Refuse a user name already taken (a retired name is never given again)."""
    if existing is not None:
        raise Duplicate("The user name {name} is already taken.", name=username)


class AccountAdministered(Recorded, Creation):
    """Quản trị tài khoản: an administrator opened, reset, moved or retired a board account."""

    username: str
    change: AccountChange
    role: Role
    unit_id: str
    previous_role: Role | None = None
    previous_unit_id: str | None = None

    def apply(self, aggregate: Any) -> None:
        aggregate.username = self.username
        aggregate.change = self.change


class AccountAct(BaseAggregate[UUID]):
    """One administrative act on an account (an aggregate of its own, keyed by its command)."""

    username: str
    change: AccountChange

    def __init__(self) -> None:
        """State comes from the events (see their `apply`)."""

    @classmethod
    def record(
        cls,
        stamp: Stamp,
        change: AccountChange,
        account: AccountView,
        previous: AccountView | None = None,
    ) -> AccountAct:
        """Record the act, with the account as it stands after it (and before, when moved)."""
        return cls._create(
            AccountAdministered,
            id=uuid5(ACCOUNT_NAMESPACE, str(stamp.command_id)),
            username=account.username,
            change=change,
            role=account.role,
            unit_id=account.unit_id,
            previous_role=previous.role if previous else None,
            previous_unit_id=previous.unit_id if previous else None,
            **stamp.fields(),
        )
