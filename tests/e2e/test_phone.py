"""Every board page on a phone (360×740) in headless Chromium, signed in as each role: nothing
scrolls sideways, the navigation folds away, tables become cards, and tap targets are large.

With LIAISON_SCREENSHOTS=1 a screenshot of each page goes to the test's temporary folder (its
path is printed) to be checked by eye; a plain run takes none (they were 20 of its 50 seconds).
"""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

from api.users import UserStore
from application.office import LiaisonOffice
from domain.escalation import Step
from domain.roles import Role
from tests.api.conftest import USERS
from tests.e2e.test_browser import (  # noqa: F401 (the fixture)
    ARGS,
    CHROMIUM,
    PASSWORD,
    board,
    screenshots_asked,
    sign_in,
)
from tests.integration import province as p
from workflows.activities import LiaisonActivities
from workflows.messages import TakeStepInput
from workflows.outbox import PostgresOutbox

WIDTH, HEIGHT = 360, 740
TARGETS = (
    "main a, main button, main select, main input:not([type=hidden]), header button, header summary"
)
LONG_NAME = "Nguyễn Thị Phương Thảo Hoàng Lê Khánh Linh"  # a long name must wrap, not widen

ROLES: dict[str, tuple[Role, str]] = {
    name: (role, unit) for name, (role, unit) in USERS.items() if not name.endswith("2")
}
"""One user of every role in the province's own units (the `board` fixture has no W2, X2…)."""


def _more_of_the_year(pg_env: dict[str, str], pg_url: str) -> None:
    """Users of the remaining roles, a member with a long name, a referral overdue and escalated."""
    office = LiaisonOffice(env=pg_env, clock=p.clock)
    p.received_member(office, 3, name=LONG_NAME)
    waiting = p.received_member(office, 4, name="Lê Văn Dũng", received=False)
    p.escalate(office, waiting.liaison_id, date(2026, 3, 1), (Step.REMINDER, Step.MISSED))
    others = [p.received_member(office, n, received=False) for n in (5, 6)]
    users = UserStore(pg_url)
    outbox = PostgresOutbox(pg_url)
    activities = LiaisonActivities(office, outbox)

    async def accounts() -> None:
        await outbox.create_table()
        for member in others:  # two misses on one day: a digest for X and for W
            [deadline] = office.deadlines(member.liaison_id, date(2026, 2, 10))
            await activities.take_step(
                TakeStepInput(
                    liaison_id=str(member.liaison_id),
                    deadline_json=deadline.model_dump_json(),
                    step=Step.MISSED.value,
                    on="2026-02-10",
                )
            )
        await users.setup()
        for name, (role, unit) in ROLES.items():
            await users.add(name, PASSWORD, role, unit)
        await users.close()

    asyncio.run(accounts())


def test_every_page_fits_a_phone_for_every_role(
    board: str,  # noqa: F811 (the fixture imported above)
    pg_env: dict[str, str],
    pg_url: str,
    tmp_path: Path,
) -> None:
    from playwright.sync_api import Page, expect, sync_playwright

    _more_of_the_year(pg_env, pg_url)
    keep = screenshots_asked()
    too_wide: list[str] = []
    small_targets: list[str] = []
    visited = 0

    def links(page: Page, selector: str) -> list[str]:
        hrefs: list[str] = page.eval_on_selector_all(
            selector, "els => els.map(e => e.getAttribute('href'))"
        )
        return [h for h in hrefs if h and h.startswith("/") and not h.startswith("/static/")]

    def check(page: Page, who: str, path: str) -> None:
        nonlocal visited
        response = page.goto(f"{board}{path}")
        assert response is not None, (who, path)
        assert response.status == 200, (who, path, response.status)
        visited += 1
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > WIDTH:
            too_wide.append(f"{who} {path}: {width} px")
        small = page.evaluate(
            """targets => [...document.querySelectorAll(targets)]
               .filter(e => e.offsetParent !== null)
               .filter(e => getComputedStyle(e).display !== 'inline')  // a link within a sentence
               .filter(e => { const r = e.getBoundingClientRect();
                              return r.height < 44 && e.type !== 'checkbox'
                                     && e.type !== 'radio'; })
               .map(e => e.tagName + ' ' + (e.textContent || e.name || '').trim().slice(0, 30))""",
            TARGETS,
        )
        if small:
            small_targets.append(f"{who} {path}: {small[:3]}")
        if keep:
            name = f"{who}{path}".replace("/", "_").replace("?", "_").replace("&", "_")[:120]
            page.screenshot(path=str(tmp_path / f"{name}.png"), full_page=True)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        page = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT})
        check(page, "signed-out", "/login")
        for who in ROLES:
            sign_in(page, board, who)
            menu = page.locator("header details.menu")
            expect(menu.locator("nav")).to_be_hidden()  # folded on a phone, one tap opens it
            menu.locator("summary").click()
            expect(menu.locator("nav")).to_be_visible()
            if keep:
                page.screenshot(path=str(tmp_path / f"{who}-menu.png"))
            pages = ["/", *links(page, "header nav a"), *links(page, "main a[data-metric]")]
            page.goto(f"{board}/forms/receive")  # above a commune: the units to choose from
            pages += links(page, "main ul.units a")[:1]
            page.goto(f"{board}/list/in_scope")
            member = links(page, "main a[href^='/members/']")[:1]
            for path in member:
                pages += [path, f"/forms/member?member={path.rsplit('/', 1)[1]}"]
                pages.append(f"/audit?member={path.rsplit('/', 1)[1]}")
            unit = ROLES[who][1]
            pages.append(f"/inspect?unit={unit}&on={p.TODAY}&compare_on={p.YEAR - 1}-12-31")
            for path in dict.fromkeys(pages):
                if urlsplit(path).path not in ("/logout", "/lang"):
                    check(page, who, path)
        browser.close()
    print(f"{visited} pages; screenshots in {tmp_path}" if keep else f"{visited} pages")
    assert visited > 60
    assert too_wide == [], "\n".join(too_wide)
    assert small_targets == [], "\n".join(small_targets)
