"""Sign-in shared by the web form and the token endpoint: rate limit, verify, access trail."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from api.config import BoardConfig
from api.deps import address_of
from api.errors import BoardError
from api.office import Office
from api.users import UserPublic, UserStore
from domain.calendar import business_date


async def sign_in(
    request: Request,
    office: Office,
    users: UserStore,
    config: BoardConfig,
    username: str,
    password: str,
    method: str,
) -> UserPublic:
    """The user when the password is right and the rate limit allows; each outcome is recorded."""
    address = address_of(request)
    today = business_date(office.clock())
    window = timedelta(seconds=config.login_window_seconds)

    async def failed(reason: str) -> None:
        await run_in_threadpool(
            office.record_sign_in_failure, uuid4(), username, today, address, reason
        )

    if await users.recent_failures(username, address, window) >= config.login_max_failures:
        await failed("rate_limited")
        raise BoardError(
            429,
            "too_many_attempts",
            "Too many failed sign-ins. Please try again in a few minutes.",
            "Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau ít phút.",
        )
    user = await users.verify(username, password)
    if user is None:
        await users.note_failure(username, address)
        await failed("bad_credentials")
        raise BoardError(
            401,
            "bad_credentials",
            "Wrong user name or password.",
            "Sai tên đăng nhập hoặc mật khẩu.",
        )
    await run_in_threadpool(office.record_sign_in, uuid4(), user.actor, today, method, address)
    return user
