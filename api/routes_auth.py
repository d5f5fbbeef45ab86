"""Bearer tokens for API clients: sign in for one, revoke it."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request, Response

from api.deps import ConfigDep, CurrentSession, OfficeDep, UsersDep, bearer
from api.errors import ERROR_RESPONSES
from api.schemas import TokenCreate, TokenPublic
from api.signin import sign_in

router = APIRouter(prefix="/api/auth", tags=["sign-in"], responses=ERROR_RESPONSES)


@router.post("/token")
async def create_token(
    body: TokenCreate, request: Request, office: OfficeDep, users: UsersDep, config: ConfigDep
) -> TokenPublic:
    """Exchange a user name and password for a bearer token (rate-limited, recorded)."""
    user = await sign_in(request, office, users, config, body.username, body.password, "token")
    token = await users.open_session(user, "bearer", timedelta(days=config.token_days))
    return TokenPublic(access_token=token)


@router.delete("/token", status_code=204)
async def revoke_token(request: Request, session: CurrentSession, users: UsersDep) -> Response:
    """Revoke the bearer token this request carries."""
    credentials = await bearer(request)
    if credentials is not None and session.kind == "bearer":
        await users.close_session(credentials.credentials)
    return Response(status_code=204)
