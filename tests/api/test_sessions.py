"""Sessions: the one-time password enforced everywhere, the password change, ending sessions."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator

import httpx
import psycopg
import pytest
from fastapi import FastAPI
from typer.testing import CliRunner

from api.users import UserStore
from application.office import LiaisonOffice
from domain.access import AccountChanged
from domain.roles import Role
from tests.api.conftest import PASSWORD, Auth, body
from tests.api.test_signin import topics, web_sign_in
from tests.integration import province as p
from workers import cli_support, cli_users

ONE_TIME = "one-time-pass"
NEW = "a much longer one"


def events(office: LiaisonOffice) -> int:
    """How many events the store holds."""
    return len(office.recorder.select_notifications(start=None, limit=100_000))


def csrf_of(html: str) -> str:
    """The CSRF token on a page."""
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, html
    return match.group(1)


def registration(n: int) -> dict[str, object]:
    """A register-member body."""
    return body(
        p.REGISTERED_ON,
        name=f"Đảng viên {n}",
        birth_date="1980-01-01",
        party_card_number=p.party_card(n),
        workplace_unit_id=p.WORKPLACE,
    )


async def test_the_one_time_password_is_enforced_on_every_page_and_call_until_changed(
    client: httpx.AsyncClient, users: UserStore, office: LiaisonOffice
) -> None:
    await users.add("newclerk", ONE_TIME, Role.WORKPLACE_CLERK, p.WORKPLACE, must_change=True)
    first = await client.post("/login", data={"username": "newclerk", "password": ONE_TIME})
    assert first.headers["location"] == "/password"
    csrf = csrf_of((await client.get("/password")).text)
    before = events(office)

    home = await client.get("/")
    assert (home.status_code, home.headers["location"]) == (303, "/password")
    form = await client.post("/forms/refer", data={"csrf": csrf, "party_card_number": "1"})
    assert (form.status_code, form.headers["location"]) == (303, "/password")
    token = await client.post(
        "/api/auth/token", json={"username": "newclerk", "password": ONE_TIME}
    )
    assert token.status_code == 403
    assert token.json()["code"] == "password_change_required"
    command = await client.post(
        "/api/commands/register-member", json=registration(501), headers={"X-CSRF-Token": csrf}
    )
    assert command.status_code == 403
    assert command.json()["code"] == "password_change_required"
    assert (await client.get("/api/me")).json()["code"] == "password_change_required"
    assert events(office) == before + 1  # the refused token's SignInFailed, nothing else
    assert (await users.user("newclerk")) is not None
    assert (await users.user("newclerk")).must_change  # type: ignore[union-attr]

    done = await client.post("/password", data={"csrf": csrf, "current": ONE_TIME, "password": NEW})
    assert (done.status_code, done.headers["location"]) == (303, "/")
    assert (await client.get("/")).status_code == 200
    command = await client.post(
        "/api/commands/register-member", json=registration(502), headers={"X-CSRF-Token": csrf}
    )
    assert command.status_code == 200, command.text
    token = await client.post("/api/auth/token", json={"username": "newclerk", "password": NEW})
    assert token.status_code == 200


async def test_a_bearer_token_is_refused_while_its_user_must_change_the_password(
    client: httpx.AsyncClient, auth: Auth, pg_url: str
) -> None:
    headers = await auth("clerk")
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("UPDATE board_user SET must_change = true WHERE username = 'clerk'")
    command = await client.post(
        "/api/commands/register-member", json=registration(503), headers=headers
    )
    assert command.status_code == 403
    assert command.json()["code"] == "password_change_required"


async def test_a_password_change_needs_the_current_password_and_ends_every_other_session(
    app: FastAPI, client: httpx.AsyncClient, auth: Auth, users: UserStore, office: LiaisonOffice
) -> None:
    token = await auth("clerk")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://board.test") as other:
        await web_sign_in(other, "clerk")
        csrf = await web_sign_in(client, "clerk", page="/password")
        assert "Mật khẩu hiện tại" in (await client.get("/password")).text

        wrong = await client.post(
            "/password", data={"csrf": csrf, "current": "not it", "password": NEW}
        )
        assert wrong.status_code == 403
        assert "Mật khẩu hiện tại không đúng." in wrong.text
        missing = await client.post("/password", data={"csrf": csrf, "password": NEW})
        assert missing.status_code == 403
        assert await users.verify("clerk", PASSWORD) is not None  # unchanged
        assert (await other.get("/api/me")).status_code == 200

        done = await client.post(
            "/password", data={"csrf": csrf, "current": PASSWORD, "password": NEW}
        )
        assert done.status_code == 303
        assert await users.verify("clerk", NEW) is not None
        assert (await client.get("/api/me")).status_code == 200  # this session stays
        assert (await other.get("/api/me")).status_code == 401  # the other browser's ended
        assert (await client.get("/api/me", headers=token)).status_code == 401  # and the token
    # The trail says who changed whose password (once: the refused attempts changed nothing).
    [change] = account_changes(office)
    assert (change.actor.id, change.username, change.change) == (
        "clerk",
        "clerk",
        "password_changed",
    )


def account_changes(office: LiaisonOffice) -> list[AccountChanged]:
    """The account changes the store holds, oldest first."""
    found = office.recorder.select_notifications(start=None, limit=100_000)
    return [
        office.mapper.to_domain_event(n)  # type: ignore[misc]
        for n in found
        if n.topic.endswith(":AccountChanged")
    ]


async def test_signing_in_again_ends_the_previous_session_of_that_browser(
    client: httpx.AsyncClient,
) -> None:
    first = await client.post("/login", data={"username": "clerk", "password": PASSWORD})
    old = first.cookies["liaison_session"]
    second = await client.post("/login", data={"username": "inspector", "password": PASSWORD})
    new = second.cookies["liaison_session"]
    assert new != old
    assert (await client.get("/api/me")).json()["username"] == "inspector"
    client.cookies.clear()
    replayed = await client.get("/api/me", cookies={"liaison_session": old})
    assert replayed.status_code == 401
    assert (await client.get("/api/me", cookies={"liaison_session": new})).status_code == 200


async def test_an_administrator_ends_the_sessions_of_a_user_in_their_subtree_only(
    app: FastAPI, client: httpx.AsyncClient, auth: Auth, users: UserStore, office: LiaisonOffice
) -> None:
    await users.add("admin2", PASSWORD, Role.ADMINISTRATOR, "X2")
    clerk = await auth("clerk")
    await web_sign_in(client, "clerk")

    refusals = topics(office, "PermissionRefused")
    outside = await client.post("/api/users/clerk/revoke-sessions", headers=await auth("admin2"))
    unknown = await client.post("/api/users/nobody/revoke-sessions", headers=await auth("admin2"))
    not_admin = await client.post(
        "/api/users/clerk/revoke-sessions", headers=await auth("supervisor")
    )
    for refused in (outside, unknown, not_admin):
        assert refused.status_code == 404
        assert refused.json() == unknown.json()
    assert topics(office, "PermissionRefused") == refusals + 3
    assert (await client.get("/api/me", headers=clerk)).status_code == 200
    assert (await client.get("/api/me")).status_code == 200

    assert account_changes(office) == []
    ended = await client.post("/api/users/clerk/revoke-sessions", headers=await auth("admin"))
    assert ended.status_code == 204
    [change] = account_changes(office)
    assert (change.actor.id, change.username, change.change) == ("admin", "clerk", "sessions_ended")
    assert (await client.get("/api/me", headers=clerk)).status_code == 401
    assert (await client.get("/api/me")).status_code == 401
    assert (await client.get("/api/me", headers=await auth("admin"))).status_code == 200


@pytest.fixture
def cli(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    """The `liaison` CLI on the test's schema."""
    monkeypatch.setenv("DATABASE_URL", pg_url)
    cli_support.settings.cache_clear()
    yield CliRunner()
    cli_support.settings.cache_clear()


async def test_liaison_users_revoke_ends_every_session_and_token(
    client: httpx.AsyncClient, auth: Auth, cli: CliRunner
) -> None:
    token = await auth("clerk")
    await web_sign_in(client, "clerk")
    done = await asyncio.to_thread(cli.invoke, cli_users.app, ["users", "revoke", "clerk"])
    assert done.exit_code == 0, done.output
    assert "2" in done.output
    assert (await client.get("/api/me", headers=token)).status_code == 401
    assert (await client.get("/api/me")).status_code == 401
    unknown = await asyncio.to_thread(cli.invoke, cli_users.app, ["users", "revoke", "nobody"])
    assert unknown.exit_code == 1
