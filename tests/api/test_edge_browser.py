"""The edge in headless Chromium: no page breaks its Content-Security-Policy, the one-time
password is changed through the form, and the language switch works signed out and in."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from api.users import UserStore
from application.office import LiaisonOffice
from domain.roles import Role
from tests.e2e.test_browser import ARGS, CHROMIUM, require_chromium, serving
from tests.integration import province as p

ONE_TIME = "one-time-pass"
NEW = "a much longer one"


@pytest.fixture
def board(pg_env: dict[str, str], pg_url: str) -> Iterator[str]:
    """The board under uvicorn, with a clerk who still has a one-time password."""
    require_chromium()
    office = LiaisonOffice(env=pg_env, clock=p.clock)
    p.build_province(office)
    users = UserStore(pg_url)

    async def accounts() -> None:
        await users.setup()
        await users.add("moi", ONE_TIME, Role.WORKPLACE_CLERK, p.WORKPLACE, must_change=True)
        await users.close()  # the server's own event loop opens its pool

    asyncio.run(accounts())
    with serving(office, users, pg_env, pg_url) as url:
        yield url


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
