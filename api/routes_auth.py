"""Bearer tokens for API clients (sign in for one, revoke it); ending a user's sessions."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from api.deps import ConfigDep, CurrentSession, DeskDep, OfficeDep, UsersDep, bearer
from api.errors import ERROR_RESPONSES, BoardError
from api.schemas import TokenCreate, TokenPublic
from api.signin import Gate
from domain.errors import OutOfScope
from domain.roles import Action, authorise

router = APIRouter(prefix="/api/auth", tags=["sign-in"], responses=ERROR_RESPONSES)
users_router = APIRouter(prefix="/api/users", tags=["users"], responses=ERROR_RESPONSES)


@router.post("/token")
async def create_token(
    body: TokenCreate, request: Request, office: OfficeDep, users: UsersDep, config: ConfigDep
) -> TokenPublic:
    """Exchange a user name and password for a bearer token (throttled, recorded; refused while
    the password is a one-time one)."""
    gate = Gate(request, office, users, config)
    user = await gate.sign_in(body.username, body.password, "token", one_time=False)
    token = await users.open_session(user, "bearer", timedelta(days=config.token_days))
    return TokenPublic(access_token=token)


@router.delete("/token", status_code=204)
async def revoke_token(request: Request, session: CurrentSession, users: UsersDep) -> Response:
    """Revoke the bearer token this request carries."""
    credentials = await bearer(request)
    if credentials is not None and session.kind == "bearer":
        await users.close_session(credentials.credentials)
    return Response(status_code=204)


@users_router.post("/{username}/revoke-sessions", status_code=204)
async def revoke_sessions(username: str, desk: DeskDep, users: UsersDep) -> Response:
    """End every session and token of a user (administrators of a subtree holding the user)."""
    target = await users.user(username)

    def allowed() -> bool:
        if target is None:
            return False
        try:
            authorise(
                desk.user.actor,
                Action.MANAGE_ORGANISATION,
                (target.unit_id,),
                desk.office.tree(),
                desk.today(),
            )
        except OutOfScope:
            return False
        return True

    # Unknown, or outside the caller's subtree: the same answer, so names cannot be probed.
    if not await run_in_threadpool(allowed):
        await desk.refused("revoke_sessions", username, "unknown_user")
        raise BoardError(404, "unknown_user", "No such user.")
    await users.end_sessions(username)
    await run_in_threadpool(
        desk.office.trail.account_changed, desk.user.actor, username, "sessions_ended"
    )
    return Response(status_code=204)
