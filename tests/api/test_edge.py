"""The HTTP edge: security headers, request bodies capped before sign-in, the language switch."""

from __future__ import annotations

import hashlib
import re
from base64 import b64encode
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from api.config import MIB
from tests.api.test_signin import web_sign_in

SECURITY = {
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
}
BOARD_POLICY = (
    "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none';"
    " object-src 'none'"
)


def assert_secured(response: httpx.Response, policy: str = BOARD_POLICY) -> None:
    """The answer carries every security header and that Content-Security-Policy."""
    for name, value in SECURITY.items():
        assert response.headers.get(name) == value, (response.request.url, name)
    assert response.headers.get("content-security-policy") == policy, response.request.url


async def test_every_answer_carries_the_security_headers(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("a bug")

    assert_secured(await client.get("/login"))  # a page
    assert_secured(await client.post("/api/auth/token", json={}))  # an API answer (422)
    assert_secured(await client.get("/api/me"))  # a refusal (401)
    assert_secured(await client.get("/api/nothing-here"))  # an error (404)
    assert_secured(await client.get("/static/board.css"))  # a static file
    web_sign_in_csrf = await web_sign_in(client, "clerk")
    assert web_sign_in_csrf
    assert_secured(await client.get("/"))  # the signed-in board
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://board.test") as crashing:
        crashed = await crashing.get("/boom")
    assert crashed.status_code == 500
    assert_secured(crashed)  # even the last-resort answer to a bug


def inline_script_hashes(html: str) -> list[str]:
    """The CSP source of each inline script of a page."""
    scripts = re.findall(r"<script>(.*?)</script>", html, flags=re.DOTALL)
    return [f"'sha256-{b64encode(hashlib.sha256(s.encode()).digest()).decode()}'" for s in scripts]


async def test_the_api_documentation_allows_its_own_scripts_and_nothing_inline_else(
    client: httpx.AsyncClient,
) -> None:
    for path in ("/docs", "/redoc", "/docs/oauth2-redirect"):
        page = await client.get(path)
        assert page.status_code == 200
        policy = page.headers["content-security-policy"]
        script_src = re.search(r"script-src ([^;]*)", policy)
        assert script_src, policy
        assert "'unsafe-inline'" not in script_src.group(1)
        for source in inline_script_hashes(page.text):
            assert source in script_src.group(1)
        assert "frame-ancestors 'none'" in policy
        assert page.headers["x-frame-options"] == "DENY"
    docs = await client.get("/docs")
    assert inline_script_hashes(docs.text)  # Swagger UI starts from one inline script
    assert "https://cdn.jsdelivr.net" in docs.headers["content-security-policy"]


async def test_the_board_pages_have_no_inline_script_or_style(client: httpx.AsyncClient) -> None:
    pages = [await client.get("/login")]
    await web_sign_in(client, "committee")
    for path in ("/", "/password", "/forms/refer", "/forms/meeting", "/import", "/audit"):
        pages.append(await client.get(path))
    for page in pages:
        assert page.status_code == 200, page.request.url
        # Scripts only as files of the board's own (the search box's), never inline.
        scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page.text, flags=re.DOTALL)
        assert page.text.count("<script") == len(scripts)
        assert all(re.search(r'\ssrc="/static/', a) and not body for a, body in scripts), scripts
        assert "<style" not in page.text
        assert not re.search(r"\sstyle=|\son[a-z]+=", page.text), page.request.url


class Body:
    """A request body streamed in 64 KiB chunks, counting how much of it was read."""

    def __init__(self, size: int) -> None:
        self.size, self.read = size, 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        chunk = b" " * 65536
        while self.read < self.size:
            self.read += len(chunk)
            yield chunk


def peak_kib() -> int:
    """The process's peak resident memory since the last `reset_peak` (KiB)."""
    with open("/proc/self/status") as status:
        return int(re.search(r"VmHWM:\s+(\d+)", status.read()).group(1))  # type: ignore[union-attr]


def reset_peak() -> None:
    """Start measuring the process's peak resident memory afresh."""
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")


async def test_a_50_mb_unauthenticated_body_is_refused_unread(client: httpx.AsyncClient) -> None:
    body = Body(50 * 1000 * 1000)
    headers = {"Content-Type": "application/json", "Content-Length": str(body.size)}
    reset_peak()
    before = peak_kib()
    answer = await client.post("/api/commands/register-member", content=body, headers=headers)
    grown = peak_kib() - before
    assert answer.status_code == 413
    assert answer.json()["code"] == "body_too_large"
    assert "quá lớn" in answer.json()["message"]
    assert body.read <= 65536
    assert grown < 5 * 1024, f"the process grew by {grown} KiB"
    assert_secured(answer)


async def test_a_chunked_body_is_counted_and_refused_at_the_cap(
    client: httpx.AsyncClient,
) -> None:
    body = Body(50 * 1000 * 1000)  # no Content-Length: sent chunked
    reset_peak()
    before = peak_kib()
    answer = await client.post(
        "/api/commands/register-member",
        content=body,
        headers={"Content-Type": "application/json", "Accept-Language": "en"},
    )
    grown = peak_kib() - before
    assert answer.status_code == 413
    assert answer.json()["code"] == "body_too_large"
    assert answer.json()["message"] == "The request body is too large (at most 1 MiB)."
    assert body.read <= MIB + 65536
    assert grown < 5 * 1024, f"the process grew by {grown} KiB"
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    sign_in = await client.post("/login", content=Body(2 * MIB), headers=form)
    assert sign_in.status_code == 413


async def test_the_upload_form_alone_takes_larger_bodies(client: httpx.AsyncClient) -> None:
    upload = await client.post(
        "/import", content=b"-" * (3 * MIB), headers={"Content-Type": "multipart/form-data"}
    )
    assert upload.status_code == 303  # through the cap, then to sign-in
    assert upload.headers["location"] == "/login"
    elsewhere = await client.post(
        "/import/1/run", content=b"-" * (3 * MIB), headers={"Content-Type": "multipart/form-data"}
    )
    assert elsewhere.status_code == 413
    too_big = await client.post("/import", headers={"Content-Length": str(130 * MIB)})
    assert too_big.status_code == 413


EVIL = ("//evil.example/x", "/\\evil.example", "https://evil.example/x", "/\t/evil.example", "")


@pytest.mark.parametrize("target", EVIL)
async def test_the_language_switch_goes_back_only_to_a_board_page(
    client: httpx.AsyncClient, target: str
) -> None:
    here = {"Origin": "http://board.test"}
    by_next = await client.post("/lang", data={"to": "en", "next": target}, headers=here)
    assert (by_next.status_code, by_next.headers["location"]) == (303, "/")
    by_referer = await client.post(
        "/lang", data={"to": "en"}, headers={**here, "Referer": f"http://board.test{target}"}
    )
    assert (by_referer.status_code, by_referer.headers["location"]) == (303, "/")
    abroad = await client.post(
        "/lang", data={"to": "en"}, headers={**here, "Referer": "https://evil.example/list"}
    )
    assert abroad.headers["location"] == "/"


async def test_the_language_switch_keeps_a_board_page(client: httpx.AsyncClient) -> None:
    here = {"Origin": "http://board.test"}
    page = "/list/in_scope?unit=X&on=2026-11-22"
    by_next = await client.post("/lang", data={"to": "en", "next": page}, headers=here)
    assert by_next.headers["location"] == page
    assert by_next.cookies["lang"] == "en"
    by_referer = await client.post(
        "/lang", data={"to": "vi"}, headers={**here, "Referer": f"http://board.test{page}"}
    )
    assert by_referer.headers["location"] == page


async def test_the_language_switch_takes_the_csrf_token_when_signed_in(
    client: httpx.AsyncClient,
) -> None:
    csrf = await web_sign_in(client, "clerk")
    home = (await client.get("/")).text
    assert re.search(r'action="/lang">.*name="csrf" value="' + re.escape(csrf), home)
    here = {"Origin": "http://board.test"}
    forged = await client.post("/lang", data={"to": "en"}, headers=here)
    assert forged.status_code == 403
    assert "lang" not in forged.cookies
    switched = await client.post("/lang", data={"to": "en", "csrf": csrf, "next": "/audit"})
    assert (switched.status_code, switched.headers["location"]) == (303, "/audit")
    assert switched.cookies["lang"] == "en"


async def test_a_signed_out_language_switch_must_come_from_the_board(
    client: httpx.AsyncClient,
) -> None:
    for headers in (
        {"Origin": "https://evil.example"},
        {"Referer": "https://evil.example/page"},
        {"Origin": "http://board.test", "Sec-Fetch-Site": "cross-site"},
        {},
    ):
        refused = await client.post("/lang", data={"to": "en"}, headers=headers)
        assert refused.status_code == 403, headers
        assert "lang" not in refused.cookies
    for headers in (
        {"Origin": "http://board.test", "Sec-Fetch-Site": "same-origin"},
        {"Referer": "http://board.test/login"},
    ):
        allowed = await client.post("/lang", data={"to": "en"}, headers=headers)
        assert allowed.status_code == 303, headers
        assert allowed.cookies["lang"] == "en"
