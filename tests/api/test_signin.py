"""Sign-in: sessions and tokens, the rate limit, CSRF, the first administrator, the access trail."""

from __future__ import annotations

import re

import httpx

from api.office import Office
from api.users import UserStore
from domain.roles import Role
from tests.api.conftest import PASSWORD, Auth
from tests.integration import province as p


def topics(office: Office, name: str) -> int:
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


async def test_signing_in_opens_a_session_and_is_recorded(
    client: httpx.AsyncClient, office: Office
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
    client: httpx.AsyncClient, office: Office
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
    short = await client.post("/password", data={"csrf": csrf.group(1), "password": "short"})
    assert short.status_code == 422
    done = await client.post(
        "/password", data={"csrf": csrf.group(1), "password": "a much longer one"}
    )
    assert done.status_code == 303
    assert await store.verify("newadmin", "a much longer one") is not None
    await store.close()
