"""Dependencies as `Annotated` aliases: office, reads, users, the signed-in user, the desk."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, TypeVar
from uuid import uuid4

from fastapi import Depends, Query, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from api.config import BoardConfig
from api.errors import BoardError
from api.i18n import language_of
from api.office import Office
from api.one_time import require_changed
from api.reads import BoardReads
from api.users import Session, UserPublic, UserStore
from domain.calendar import business_date
from domain.errors import HiddenRecord, Language, Refused
from domain.roles import Action, authorise, may

SESSION_COOKIE = "liaison_session"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
POSITION_HEADER = "X-Liaison-Position"
"""On a command's answer: where in the event log it was recorded (a read's `after` takes it)."""
PROJECTED_HEADER = "X-Liaison-Projected"
"""On a read asked `after` a position: the position the read models had reached."""
CATCH_UP_SECONDS = 5.0
"""The longest a read asked `after` a position waits for the projector before answering."""
R = TypeVar("R")


def _office(request: Request) -> Office:
    office: Office = request.app.state.office
    return office


def _reads(request: Request) -> BoardReads:
    reads: BoardReads = request.app.state.reads
    return reads


def _users(request: Request) -> UserStore:
    users: UserStore = request.app.state.users
    return users


def _config(request: Request) -> BoardConfig:
    config: BoardConfig = request.app.state.config
    return config


OfficeDep = Annotated[Office, Depends(_office)]
ReadsDep = Annotated[BoardReads, Depends(_reads)]
UsersDep = Annotated[UserStore, Depends(_users)]
ConfigDep = Annotated[BoardConfig, Depends(_config)]
Lang = Annotated[Language, Depends(language_of)]
bearer = HTTPBearer(auto_error=False, description="A token from POST /api/auth/token")


def address_of(request: Request) -> str:
    """The caller's address, for the access trail and the sign-in rate limit."""
    return request.client.host if request.client else "unknown"


def not_signed_in() -> BoardError:
    """The refusal for a request without a valid session or token."""
    return BoardError(401, "not_signed_in", "Please sign in.")


async def current_session(
    request: Request,
    users: UsersDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Session:
    """The bearer token's session, else the web session cookie's (CSRF-checked when unsafe);
    refused while the user's one-time password is unchanged."""
    if credentials is not None:
        session = await users.session(credentials.credentials, "bearer")
        if session is None:
            raise not_signed_in()
        require_changed(session)
        return session
    cookie = request.cookies.get(SESSION_COOKIE)
    session = await users.session(cookie, "web") if cookie else None
    if session is None:
        raise not_signed_in()
    unsafe = request.method in UNSAFE and request.url.path.startswith("/api/")
    if unsafe and request.headers.get("x-csrf-token") != session.csrf:
        raise BoardError(403, "csrf", "Missing or wrong CSRF token.")
    require_changed(session)
    return session


CurrentSession = Annotated[Session, Depends(current_session)]


async def current_user(session: CurrentSession) -> UserPublic:
    """The signed-in user."""
    return session.user


CurrentUser = Annotated[UserPublic, Depends(current_user)]


class Desk:
    """Runs a signed-in user's commands and reads, putting permission refusals in the trail."""

    def __init__(
        self, office: Office, user: UserPublic, address: str, response: Response | None = None
    ) -> None:
        self.office, self.user, self.address = office, user, address
        self.response = response
        self.position: int | None = None
        """Where in the log the last of this request's commands was recorded (None: nowhere)."""

    async def command(self, call: Callable[[], R], action: str, target: str) -> R:
        """Run a command like `run`; remember where it was recorded and tell the caller."""

        def recording() -> tuple[R, int | None]:  # in the worker thread that ran the command
            return call(), self.office.last_recorded()

        result, position = await self.run(recording, action, target)
        if position is not None:
            self.position = max(position, self.position or 0)
            if self.response is not None:
                self.response.headers[POSITION_HEADER] = str(self.position)
        return result

    async def settled(self, reads: BoardReads) -> None:
        """Wait until the read models show this request's commands (for the page drawn next)."""
        if self.position is not None:
            await reads.caught_up(self.position, CATCH_UP_SECONDS)

    def today(self) -> date:
        """The business date today, by the office's clock."""
        return business_date(self.office.clock())

    async def run(self, call: Callable[[], R], action: str, target: str) -> R:
        """Run a synchronous office call off the event loop; audit a refusal not yet audited."""
        try:
            return await run_in_threadpool(call)
        except Refused as refusal:
            if not refusal.audited:  # the office audits the commands it refuses itself
                await self.refused(action, target, refusal.audit_code)
                refusal.audited = True
            raise

    async def may_read(
        self, *unit_ids: str, on: date | None = None, record: str = "", target: str = ""
    ) -> None:
        """Refuse (and audit) unless one of the units lies in the user's subtree.

        With `record` (the kind of record the units were read from, and `target` its id as the
        user sent it), the refusal is worded and audited as for a record that does not exist:
        "not yours" must not differ from "no such", nor name where another district's member is."""
        day = on or self.today()

        def check() -> None:
            tree = self.office.tree()
            for when in (day, self.today()):  # a unit merged since is still readable as it was
                if any(may(self.user.actor, Action.READ, u, tree, when) for u in unit_ids):
                    return
            if record:
                raise HiddenRecord(record)
            authorise(self.user.actor, Action.READ, unit_ids, tree, day)

        await self.run(check, "read", target if record else ",".join(unit_ids))

    async def refused(self, action: str, target: str, code: str) -> None:
        """Record a permission refusal in the access trail."""
        await run_in_threadpool(
            self.office.record_permission_refusal,
            uuid4(), self.user.actor, self.today(), action, target, code,
        )  # fmt: skip


async def _desk(office: OfficeDep, user: CurrentUser, request: Request, response: Response) -> Desk:
    desk = Desk(office, user, address_of(request), response)
    request.state.desk = desk  # a body refused by validation is audited through it (errors.py)
    return desk


DeskDep = Annotated[Desk, Depends(_desk)]

After = Annotated[
    int | None,
    Query(
        ge=0,
        le=2**63 - 1,
        description="Read your own writes: wait (up to 5 s) until the read models include this"
        " log position, the `X-Liaison-Position` a command answered with",
    ),
]


async def caught_up(
    user: CurrentUser, reads: ReadsDep, response: Response, after: After = None
) -> None:
    """Before a read asked `after` a position: wait for the projector to reach it."""
    if after is not None:
        reached = await reads.caught_up(after, CATCH_UP_SECONDS)
        response.headers[PROJECTED_HEADER] = str(reached)
