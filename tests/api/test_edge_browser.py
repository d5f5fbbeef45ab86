"""The edge in headless Chromium: no page breaks its Content-Security-Policy, the one-time
password is changed through the form, and the language switch works signed out and in."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn

from api.app import create_app
from api.config import BoardConfig
from api.reads_projections import ProjectionReads
from api.users import UserStore
from application.office import LiaisonOffice
from domain.roles import Role
from projections.catalog import all_models
from projections.runner import Projector
from tests.api.conftest import catching_up
from tests.e2e.test_browser import ARGS, CHROMIUM, _free_port, _require_chromium
from tests.integration import province as p

ONE_TIME = "one-time-pass"
NEW = "a much longer one"


@pytest.fixture
def board(pg_env: dict[str, str], pg_url: str) -> Iterator[str]:
    """The board under uvicorn, with a clerk who still has a one-time password."""
    _require_chromium()
    office = LiaisonOffice(env=pg_env, clock=p.clock)
    p.build_province(office)
    users = UserStore(pg_url)

    async def accounts() -> None:
        await users.setup()
        await users.add("moi", ONE_TIME, Role.WORKPLACE_CLERK, p.WORKPLACE, must_change=True)
        await users.close()  # the server's own event loop opens its pool

    asyncio.run(accounts())
    projector = Projector(pg_env, all_models())
    config = BoardConfig(database_url=pg_url, secure_cookies=False)
    app = create_app(office, ProjectionReads(pg_url, catching_up(projector)), users, config)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
    projector.close()
    office.close()


def test_the_one_time_password_and_the_language_switch_under_the_policy(board: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        page = browser.new_page()
        violations: list[str] = []
        page.on(
            "console",
            lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
        )

        page.goto(f"{board}/login")
        page.get_by_role("button", name="English").click()  # signed out: Origin names the board
        expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
        assert page.url == f"{board}/login"
        page.get_by_label("User name").fill("moi")
        page.get_by_label("Password").fill(ONE_TIME)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", name="Change password")).to_be_visible()
        page.goto(f"{board}/forms/refer")
        expect(page.get_by_role("heading", name="Change password")).to_be_visible()

        page.get_by_label("Current password").fill("not the one")
        page.get_by_label("New password").fill(NEW)
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_role("alert")).to_have_text("The current password is wrong.")
        page.get_by_label("Current password").fill(ONE_TIME)
        page.get_by_label("New password").fill(NEW)
        page.get_by_role("button", name="Save").click()
        expect(page.locator("header .who")).to_contain_text("moi")

        page.goto(f"{board}/forms/refer")
        page.get_by_role("button", name="Tiếng Việt").click()  # signed in: the CSRF token
        expect(page.get_by_role("heading", name="Giới thiệu sinh hoạt")).to_be_visible()
        assert page.url == f"{board}/forms/refer"

        page.goto(f"{board}/docs")
        page.wait_for_load_state("load")
        browser.close()
    assert violations == []
