"""Sign-in shared by the web form and the token endpoint: throttle, verify, access trail."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from api.config import BoardConfig
from api.deps import address_of
from api.errors import BoardError
from api.one_time import PasswordChangeRequired
from api.users import UserPublic, UserStore
from application.office import LiaisonOffice
from domain.messages import gettext_noop


class TooManyAttempts(BoardError):
    """This user name from this address failed too often: it must wait `retry_after` seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            429,
            "too_many_attempts",
            gettext_noop("Too many failed sign-ins. Please try again in a few minutes."),
        )
        self.retry_after = retry_after


def wait_seconds(config: BoardConfig, failures: int, since_last: float) -> float:
    """How long a (user name, address) pair must still wait after so many recent failures.

    The first `login_max_failures` cost nothing; then each attempt waits, from the last failure,
    `login_delay_seconds` doubled for every failure beyond them, up to `login_max_delay_seconds`.
    """
    beyond = failures - config.login_max_failures
    if beyond < 0:
        return 0.0
    delay = min(config.login_delay_seconds << min(beyond, 32), config.login_max_delay_seconds)
    return max(0.0, delay - since_last)


def printable(username: str) -> str:
    """The user name with control characters replaced (no stored name has any; NUL breaks SQL)."""
    return "".join(c if c.isprintable() else "\ufffd" for c in username)


@dataclass(frozen=True)
class Gate:
    """Where a sign-in is tried: the request it came in, the office that records every try, the
    accounts and the board's throttle settings."""

    request: Request
    office: LiaisonOffice
    users: UserStore
    config: BoardConfig

    async def _failed(self, username: str, reason: str) -> None:
        address = address_of(self.request)
        await run_in_threadpool(self.office.trail.sign_in_failed, username, address, reason)

    async def checked_password(self, username: str, password: str) -> UserPublic:
        """The user when the password is right and the pair may try now; each refusal is recorded.

        Failures count per (user name, address) pair only: failures on other names, or from other
        addresses, never make a user wait.
        """
        users, config = self.users, self.config
        address, username = address_of(self.request), printable(username)
        window = timedelta(seconds=config.login_window_seconds)
        wait = await users.attempt(
            username, address, window, lambda n, since: wait_seconds(config, n, since)
        )
        if wait > 0:
            await self._failed(username, "rate_limited")
            raise TooManyAttempts(math.ceil(wait))
        user = await users.verify(username, password)
        if user is None:
            await self._failed(username, "bad_credentials")
            raise BoardError(401, "bad_credentials", "Wrong user name or password.")
        await users.forgive(username, address)
        if user.retired:  # told only to whoever knows the password: names cannot be probed
            await self._failed(username, "account_retired")
            raise BoardError(
                403, "account_retired", "This account was retired. Ask your administrator."
            )
        return user

    async def sign_in(
        self, username: str, password: str, method: str, *, one_time: bool = True
    ) -> UserPublic:
        """The signed-in user, recorded; `one_time=False` refuses a one-time password (tokens)."""
        user = await self.checked_password(username, password)
        if user.must_change and not one_time:
            await self._failed(user.username, "password_change_required")
            raise PasswordChangeRequired()
        address = address_of(self.request)
        await run_in_threadpool(self.office.trail.signed_in, user.actor, method, address)
        return user
