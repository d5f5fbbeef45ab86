"""Board accounts from the board: open, reset a password, move to a unit or role, retire.

Each act is decided here against the account as the account table holds it, carried out on the
account table through the `AccountTable` port, then recorded in the store with its receipt (a
retried command id changes nothing twice); a refused act touches neither, and one whose table
change fails records nothing, so that sending it again carries it out.
"""

from __future__ import annotations

import secrets
from typing import Protocol

from application.outcome import Outcome
from application.use import Use
from application.work import Decision, Work, in_the_handler
from domain import commands as cmd
from domain.account import (
    AccountAct,
    AccountChange,
    AccountView,
    UnknownAccount,
    check_change,
    check_grant,
    check_new,
    may_manage,
)
from domain.errors import Conflict
from domain.roles import Action


class AccountTable(Protocol):
    """Where the accounts themselves are kept (password digests, sessions)."""

    def find(self, username: str) -> AccountView | None:
        """The account of that name, retired or not, or None."""

    def open(self, account: AccountView, password: str) -> None:
        """Create the account with a one-time password to change at its first sign-in."""

    def reset(self, username: str, password: str) -> None:
        """Set a one-time password and end every session and token of the account."""

    def reassign(self, account: AccountView) -> None:
        """Set the account's role and unit and end every session and token."""

    def retire(self, username: str) -> None:
        """Mark the account retired and end every session and token."""


def one_time_password() -> str:
    """A random password to hand out once."""
    return secrets.token_urlsafe(12)


def _table(work: Work) -> AccountTable:
    table = work.office.accounts
    if table is None:
        raise Conflict("This office keeps no board accounts.")
    return table


def _managed(work: Work, username: str) -> AccountView:
    """The account, refused alike when unknown or outside the manager's reach."""
    found = _table(work).find(username)
    actor = work.command.actor
    if found is None or not may_manage(actor, found, work.tree, work.today):
        raise UnknownAccount("There is no user {name} among the accounts you manage.",
                             name=username)  # fmt: skip
    check_change(actor, found)
    return found


def open_account(work: Work, command: cmd.OpenAccount) -> Decision:
    """Open a board account in your subtree; a one-time password is shown once."""
    table = _table(work)
    check_grant(command.actor, command.role, command.unit_id, work.tree, work.today)
    check_new(table.find(command.username), command.username)
    account = AccountView(username=command.username, role=command.role, unit_id=command.unit_id)
    password = one_time_password()
    act = AccountAct.record(work.stamp_today(), AccountChange.OPENED, account)
    return Decision([act], _said(account, password), beside=lambda: table.open(account, password))


def reset_password(work: Work, command: cmd.ResetPassword) -> Decision:
    """Give an account a new one-time password (shown once); its sessions end.

    A new one-time password, shown once; the account's sessions and tokens end."""
    table, account = _table(work), _managed(work, command.username)
    password = one_time_password()
    act = AccountAct.record(work.stamp_today(), AccountChange.PASSWORD_RESET, account)
    return Decision(
        [act], _said(account, password), beside=lambda: table.reset(account.username, password)
    )


def reassign_account(work: Work, command: cmd.ReassignAccount) -> Decision:
    """Change an account's unit or role; its sessions and tokens end."""
    table, before = _table(work), _managed(work, command.username)
    check_grant(command.actor, command.role, command.unit_id, work.tree, work.today)
    after = before.model_copy(update={"role": command.role, "unit_id": command.unit_id})
    act = AccountAct.record(work.stamp_today(), AccountChange.REASSIGNED, after, before)
    return Decision([act], _said(after), beside=lambda: table.reassign(after))


def retire_account(work: Work, command: cmd.RetireAccount) -> Decision:
    """Retire an account: it can no longer sign in; its sessions and tokens end."""
    table, account = _table(work), _managed(work, command.username)
    act = AccountAct.record(work.stamp_today(), AccountChange.RETIRED, account)
    return Decision([act], _said(account), beside=lambda: table.retire(account.username))


def _said(account: AccountView, password: str | None = None) -> Outcome:
    return Outcome(unit_id=account.unit_id, username=account.username, password=password)


USES = (
    Use(open_account, Action.MANAGE_USERS, in_the_handler, "The account was opened."),
    Use(reset_password, Action.MANAGE_USERS, in_the_handler, "The password was reset."),
    Use(reassign_account, Action.MANAGE_USERS, in_the_handler, "The account was moved."),
    Use(retire_account, Action.MANAGE_USERS, in_the_handler, "The account was retired."),
)  # fmt: skip
