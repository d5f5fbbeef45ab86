"""Dependencies as `Annotated` aliases: office, reads, users, the signed-in user, the desk."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Query, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from api.config import BoardConfig
from api.errors import BoardError
from api.i18n import language_of
from api.one_time import require_changed
from api.reads import BoardReads
from api.users import Session, UserPublic, UserStore
from application.desk import Desk as CoreDesk
from application.office import LiaisonOffice
from application.outcome import Outcome
from domain import commands as cmd
from domain.errors import Language

SESSION_COOKIE = "liaison_session"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
POSITION_HEADER = "X-Liaison-Position"
"""On a command's answer: where in the event log it was recorded (a read's `after` takes it)."""
PROJECTED_HEADER = "X-Liaison-Projected"
"""On a read asked `after` a position: the position the read models had reached."""
CATCH_UP_SECONDS = 5.0
"""The longest a read asked `after` a position waits for the projector before answering."""
R = TypeVar("R")


def _built_with(name: str) -> Callable[[Request], Any]:
    """A dependency on what the app was built with, `app.state.<name>`; its alias gives the type."""

    def dependency(request: Request) -> Any:
        return getattr(request.app.state, name)

    return dependency


OfficeDep = Annotated[LiaisonOffice, Depends(_built_with("office"))]
ReadsDep = Annotated[BoardReads, Depends(_built_with("reads"))]
UsersDep = Annotated[UserStore, Depends(_built_with("users"))]
ConfigDep = Annotated[BoardConfig, Depends(_built_with("config"))]
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
    """The signed-in user's desk (`application.desk.Desk`), its synchronous work run off the event
    loop in one place (`call`), and where in the log this request's commands were recorded."""

    def __init__(
        self,
        office: LiaisonOffice,
        user: UserPublic,
        address: str,
        response: Response | None = None,
    ) -> None:
        self.office, self.user, self.address = office, user, address
        self.core = CoreDesk(office, user.actor)
        self.response = response
        self.position: int | None = None
        """Where in the log the last of this request's commands was recorded (None: nowhere)."""

    async def call(self, work: Callable[..., R], *args: Any) -> R:
        """Run synchronous application work in the thread pool: never on the event loop."""
        return await run_in_threadpool(work, *args)

    async def execute(self, model: type[cmd.Command], fields: dict[str, Any]) -> Outcome:
        """Build the user's command from what they sent and carry it out; note where it went."""

        def build_and_execute() -> tuple[Outcome, int | None]:  # in one worker thread
            outcome = self.core.execute(self.core.command(model, fields))
            return outcome, self.office.last_recorded()

        outcome, position = await self.call(build_and_execute)
        self._recorded(position)
        return outcome

    async def command(self, call: Callable[[], R], action: str, target: str) -> R:
        """Run a command like `run`; remember where it was recorded and tell the caller."""

        def recording() -> tuple[R, int | None]:  # in the worker thread that ran the command
            return call(), self.office.last_recorded()

        result, position = await self.run(recording, action, target)
        self._recorded(position)
        return result

    def _recorded(self, position: int | None) -> None:
        if position is not None:
            self.position = max(position, self.position or 0)
            if self.response is not None:
                self.response.headers[POSITION_HEADER] = str(self.position)

    async def settled(self, reads: BoardReads) -> None:
        """Wait until the read models show this request's commands (for the page drawn next)."""
        if self.position is not None:
            await reads.caught_up(self.position, CATCH_UP_SECONDS)

    def today(self) -> date:
        """The business date today, by the office's clock."""
        return self.office.today()

    async def run(self, call: Callable[[], R], action: str, target: str) -> R:
        """Run a synchronous office call off the event loop; audit a refusal not yet audited."""
        return await self.call(self.core.run, call, action, target)

    async def may_read(
        self, *unit_ids: str, on: date | None = None, record: str = "", target: str = ""
    ) -> None:
        """Refuse (and audit) unless one of the units lies in the user's subtree (see the core)."""
        await self.call(lambda: self.core.may_read(*unit_ids, on=on, record=record, target=target))

    async def refused(self, action: str, target: str, code: str) -> None:
        """Record a refusal in the access trail."""
        await self.call(self.office.trail.refused, self.user.actor, action, target, code)


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
