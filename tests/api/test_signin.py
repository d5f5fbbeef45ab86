"""Sign-in: sessions and tokens, the throttle, CSRF, the first administrator, the access trail."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import psycopg
from fastapi import FastAPI

from api.app import create_app
from api.config import BoardConfig
from api.reads_projections import ProjectionReads
from api.users import UserStore
from application.office import LiaisonOffice
from domain.roles import Role
from tests.api.conftest import PASSWORD, Auth
from tests.integration import province as p


def topics(office: LiaisonOffice, name: str) -> int:
    """How many events of that class the store holds."""
    records = office.recorder.select_notifications(start=None, limit=100_000)
    return sum(1 for n in records if n.topic.endswith(f":{name}"))


async def web_sign_in(
    client: httpx.AsyncClient, username: str, password: str = PASSWORD, page: str = "/"
) -> str:
    """Sign in through the form; return the CSRF token of the page (the home page by default)."""
    response = await client.post("/login", data={"username": username, "password": password})
    assert response.status_code == 303, response.text
    home = await client.get(page)
    match = re.search(r'name="csrf" value="([^"]+)"', home.text)
    assert match, home.text
    return match.group(1)


async def signed_in_page(client: httpx.AsyncClient, username: str, path: str) -> httpx.Response:
    """Sign in through the form as `username` and open the page at `path`, which must answer 200."""
    await web_sign_in(client, username)
    page = await client.get(path)
    assert page.status_code == 200, page.text[-800:]
    return page


async def test_signing_in_opens_a_session_and_is_recorded(
    client: httpx.AsyncClient, office: LiaisonOffice
) -> None:
    response = await client.post("/login", data={"username": "clerk", "password": PASSWORD})
    assert response.status_code == 303
    cookie = response.headers["set-cookie"]
    assert "liaison_session=" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert (await client.get("/api/me")).json()["role"] == "workplace_clerk"
    assert topics(office, "SignedIn") == 1


async def test_wrong_passwords_are_refused_recorded_and_rate_limited(
    client: httpx.AsyncClient, office: LiaisonOffice
) -> None:
    for _ in range(5):
        wrong = await client.post("/login", data={"username": "clerk", "password": "nope"})
        assert wrong.status_code == 401
        assert "Sai tên đăng nhập" in wrong.text
    limited = await client.post("/login", data={"username": "clerk", "password": PASSWORD})
    assert limited.status_code == 429
    token = await client.post("/api/auth/token", json={"username": "clerk", "password": PASSWORD})
    assert token.status_code == 429
    assert token.json()["code"] == "too_many_attempts"
    assert topics(office, "SignInFailed") == 7
    assert topics(office, "SignedIn") == 0


async def test_requests_without_a_session_are_refused(client: httpx.AsyncClient) -> None:
    api = await client.get("/api/me")
    assert api.status_code == 401
    assert api.json()["code"] == "not_signed_in"
    page = await client.get("/")
    assert page.status_code == 303
    assert page.headers["location"] == "/login"
    bad = await client.get("/api/me", headers={"Authorization": "Bearer forged"})
    assert bad.status_code == 401


async def test_forms_and_cookie_api_calls_need_the_csrf_token(client: httpx.AsyncClient) -> None:
    csrf = await web_sign_in(client, "secretary")
    forged = await client.post("/forms/meeting", data={"csrf": "forged"})
    assert forged.status_code == 403
    no_header = await client.post("/api/commands/receive-at-cell", json={})
    assert no_header.status_code == 403
    assert no_header.json()["code"] == "csrf"
    with_header = await client.post(
        "/api/commands/receive-at-cell", json={}, headers={"X-CSRF-Token": csrf}
    )
    assert with_header.status_code == 422  # through the CSRF check, refused for the empty body
    out = await client.post("/logout", data={"csrf": csrf})
    assert out.status_code == 303
    assert (await client.get("/api/me")).status_code == 401


async def test_tokens_can_be_revoked(client: httpx.AsyncClient, auth: Auth) -> None:
    headers = await auth("inspector")
    assert (await client.get("/api/me", headers=headers)).status_code == 200
    assert (await client.delete("/api/auth/token", headers=headers)).status_code == 204
    assert (await client.get("/api/me", headers=headers)).status_code == 401


async def test_the_first_administrator_must_change_the_one_time_password(
    client: httpx.AsyncClient, pg_url: str
) -> None:
    empty = UserStore(pg_url + "&application_name=first")
    assert await empty.first_administrator(p.PROVINCE) is None  # users already exist here
    await empty.close()
    store = UserStore(pg_url)
    await store.add("newadmin", "one-time-pass", Role.ADMINISTRATOR, p.PROVINCE, must_change=True)
    first = await client.post("/login", data={"username": "newadmin", "password": "one-time-pass"})
    assert first.headers["location"] == "/password"
    form = await client.get("/password")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert csrf
    short = await client.post(
        "/password", data={"csrf": csrf.group(1), "current": "one-time-pass", "password": "short"}
    )
    assert short.status_code == 422
    done = await client.post(
        "/password",
        data={"csrf": csrf.group(1), "current": "one-time-pass", "password": "a much longer one"},
    )
    assert done.status_code == 303
    assert await store.verify("newadmin", "a much longer one") is not None
    await store.close()


@asynccontextmanager
async def from_address(app: FastAPI, address: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client whose requests come from that address."""
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://board.test") as client:
        yield client


async def test_failures_on_other_names_or_from_other_addresses_never_lock_a_user_out(
    app: FastAPI, office: LiaisonOffice
) -> None:
    async with from_address(app, "10.0.0.1") as sprayer, from_address(app, "10.0.0.2") as guesser:
        for n in range(5):
            made_up = {"username": f"nobody{n}", "password": "guess"}
            assert (await sprayer.post("/login", data=made_up)).status_code == 401
        for _ in range(5):
            wrong = {"username": "clerk", "password": "guess"}
            assert (await guesser.post("/login", data=wrong)).status_code == 401
        right = {"username": "clerk", "password": PASSWORD}
        assert (await sprayer.post("/login", data=right)).status_code == 303
        token = await sprayer.post("/api/auth/token", json=right)
        assert token.status_code == 200, token.text
        assert (await guesser.post("/login", data=right)).status_code == 429  # that pair waits
    async with from_address(app, "10.0.0.3") as elsewhere:
        assert (await elsewhere.post("/login", data=right)).status_code == 303
    assert topics(office, "SignInFailed") == 11  # ten wrong passwords, one wait
    assert topics(office, "SignedIn") == 3


@asynccontextmanager
async def throttled_board(
    office: LiaisonOffice, users: UserStore, reads: ProjectionReads, pg_url: str
) -> AsyncIterator[httpx.AsyncClient]:
    """The board allowing two free failures, then waits of 30 s doubling up to 100 s."""
    config = BoardConfig(
        database_url=pg_url,
        secure_cookies=False,
        login_max_failures=2,
        login_delay_seconds=30,
        login_max_delay_seconds=100,
    )
    async with from_address(create_app(office, reads, users, config), "10.0.0.9") as client:
        yield client


def age_failures(pg_url: str, seconds: int) -> None:
    """Move every recorded sign-in failure that many seconds into the past."""
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(
            "UPDATE board_login_failure SET at = at - make_interval(secs => %s)", (seconds,)
        )


async def test_each_failure_beyond_the_free_ones_doubles_the_wait_up_to_a_cap(
    office: LiaisonOffice, users: UserStore, reads: ProjectionReads, pg_url: str
) -> None:
    wrong = {"username": "clerk", "password": "guess"}
    right = {"username": "clerk", "password": PASSWORD}
    async with throttled_board(office, users, reads, pg_url) as client:
        for _ in range(2):
            assert (await client.post("/login", data=wrong)).status_code == 401
        waits = []
        for _ in range(4):
            refused = await client.post("/api/auth/token", json=right)
            assert refused.status_code == 429
            assert refused.json()["code"] == "too_many_attempts"
            waits.append(int(refused.headers["retry-after"]))
            page = await client.post("/login", data=right)
            assert page.status_code == 429
            assert int(page.headers["retry-after"]) == waits[-1]
            age_failures(pg_url, waits[-1] - 5)
            assert (await client.post("/login", data=right)).status_code == 429  # not yet
            age_failures(pg_url, 6)
            assert (await client.post("/login", data=wrong)).status_code == 401  # tried, failed
        assert waits == [30, 60, 100, 100]
        age_failures(pg_url, 101)
        assert (await client.post("/login", data=right)).status_code == 303
        assert (await client.post("/login", data=wrong)).status_code == 401  # failures forgiven
        assert (await client.post("/login", data=wrong)).status_code == 401


async def test_concurrent_guesses_cannot_slip_past_the_wait(
    office: LiaisonOffice, users: UserStore, reads: ProjectionReads, pg_url: str
) -> None:
    wrong = {"username": "clerk", "password": "guess"}
    async with throttled_board(office, users, reads, pg_url) as client:
        answers = await asyncio.gather(*(client.post("/login", data=wrong) for _ in range(12)))
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [401, 401] + [429] * 10


async def test_a_user_name_with_control_characters_is_a_wrong_password_not_an_error(
    client: httpx.AsyncClient, office: LiaisonOffice
) -> None:
    form = await client.post("/login", data={"username": "cl\x00erk", "password": PASSWORD})
    assert form.status_code == 401
    token = await client.post(
        "/api/auth/token", json={"username": "cl\u0000erk", "password": PASSWORD}
    )
    assert token.status_code == 401
    assert token.json()["code"] == "bad_credentials"
    assert topics(office, "SignInFailed") == 2
