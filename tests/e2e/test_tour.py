"""One new member's whole year through every role, in headless Chromium, twice: on a phone
(360×740) in Vietnamese and on a desktop (1366×900) in English.

The workplace clerk refers the member; the commune receives and names the cell; the cell
secretary receives, records a meeting ("all present") and assesses; the commune confirms and
reports back; the workplace clerk sees the result arrive; the supervisor and the inspector find
the member among those reported back. Each role's home lists the step before it is taken and
not after. No page visited scrolls sideways, and no Vietnamese page shows a code, an enum value,
a uuid or an English word.

With LIAISON_SCREENSHOTS=1 each role's home is saved to docs/tour/home-<role>-<phone|desktop>.png
(the README shows them); otherwise nothing is written outside the test's temporary folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from api.users import UserStore
from domain.roles import Role
from tests.api.test_rendering import problems
from tests.e2e.test_browser import (  # noqa: F401 (the fixture)
    ARGS,
    CHROMIUM,
    add_accounts,
    board,
    screenshots_asked,
    sign_in,
)
from tests.integration import province as p

if TYPE_CHECKING:
    from playwright.sync_api import Page

NAME = "Hoàng Thị Mai"
ASSESSED = "Trần Văn Bảo"  # received in the spring, due for this year's assessment
DOCS = Path(__file__).resolve().parents[2] / "docs" / "tour"
ROLES = {  # the board fixture's users, and a supervisor
    "vanphong": "workplace",
    "phuong": "commune",
    "bithu": "cell",
    "giamsat": "supervisor",
    "kiemtra": "inspector",
}


class Walk:
    """A browser tab that checks every page it lands on."""

    def __init__(self, page: Page, url: str, language: str, device: str, width: int) -> None:
        self.page, self.board, self.language = page, url, language
        self.device, self.width = device, width
        self.faults: list[str] = []

    def as_(self, username: str) -> None:
        sign_in(self.page, self.board, username)  # signs in in Vietnamese, the default
        if self.language == "en":
            self.page.locator("header form.lang button").click()
            self.page.wait_for_load_state()
        assert self.page.locator("html").get_attribute("lang") == self.language
        self.check()

    def go(self, path: str) -> None:
        response = self.page.goto(f"{self.board}{path}")
        assert response is not None, path
        assert response.status == 200, (path, response.status)
        self.check()

    def check(self) -> None:
        """The page now shown: no sideways scroll; on a Vietnamese page, nothing not Vietnamese."""
        path = self.page.url.removeprefix(self.board)
        wide = self.page.evaluate("document.documentElement.scrollWidth")
        if wide > self.width:
            self.faults.append(f"{path}: {wide} px wide")
        if self.language == "vi":
            text = self.page.locator("body").inner_text()
            self.faults += [f"{path}: {found}" for found in problems(text, "vi")]

    def submit(self, form: str, button: str = "button.primary", name: str = NAME) -> None:
        """Send the form; the message names whom it recorded."""
        self.page.locator(form).locator(button).click()
        self.page.wait_for_load_state()
        self.check()
        from playwright.sync_api import expect

        expect(self.page.locator("[role=alert]")).to_have_count(0)
        expect(self.page.locator("[role=status]")).to_contain_text(name)

    def on_home(self, step: str, name: str = NAME) -> int:
        """How many of the home's `step` lines name the member."""
        self.go("/")
        return self.page.locator(f"li[data-step='{step}'] a", has_text=name).count()

    def overdue(self, step: str) -> int:
        """How many of the home's `step` lines are overdue."""
        self.go("/")
        return self.page.locator(f"li[data-step='{step}'][data-days^='-']").count()

    def home(self, role: str) -> None:
        """The role's home, saved for the README when asked."""
        self.go("/")
        if screenshots_asked():
            DOCS.mkdir(parents=True, exist_ok=True)
            path = DOCS / f"home-{role}-{self.device}.png"
            self.page.screenshot(path=str(path), full_page=self.device == "phone")


@pytest.mark.parametrize(
    ("language", "device", "width", "height"),
    [("vi", "phone", 360, 740), ("en", "desktop", 1366, 900)],
    ids=["phone-vi", "desktop-en"],
)
def test_a_members_year_through_every_role(
    board: str,  # noqa: F811 (the fixture imported above)
    pg_url: str,
    language: str,
    device: str,
    width: int,
    height: int,
) -> None:
    from playwright.sync_api import expect, sync_playwright

    add_accounts(UserStore(pg_url), ("giamsat", Role.SUPERVISOR, p.PROVINCE))
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        walk = Walk(
            browser.new_page(viewport={"width": width, "height": height}),
            board, language, device, width,
        )  # fmt: skip
        page = walk.page

        # The supervisor and the inspector see the cell's meetings overdue across the province.
        for who in ("giamsat", "kiemtra"):
            walk.as_(who)
            walk.home(ROLES[who])
            assert walk.overdue("record_meeting") == 2

        # The workplace clerk refers a new member on the refer form.
        walk.as_("vanphong")
        walk.home(ROLES["vanphong"])
        walk.go("/forms/refer")
        page.locator("#name").fill(NAME)
        page.locator("#birth_date").fill("1985-07-09")
        page.locator("#party_card_number").fill(p.party_card(77))
        page.locator("#residence_commune_id").select_option(p.COMMUNE)
        walk.submit("form[action='/forms/refer']")
        assert walk.on_home("receive_at_commune") == 1  # awaiting receipt, days waited

        # The commune receives the referral and names the cell.
        walk.as_("phuong")
        walk.home(ROLES["phuong"])
        assert walk.on_home("receive_at_commune") == 1
        link = page.locator("li[data-step='receive_at_commune'] a", has_text=NAME)
        member = (link.get_attribute("href") or "").rsplit("/", 1)[-1]
        walk.go("/forms/receive")
        form = "form:has(input[value='receive-at-commune'])"
        row = page.locator(f"{form} li", has_text=NAME)
        row.locator("input[name='pick']").check()
        row.locator("select").select_option(p.CELL)
        walk.submit(form, "button[value='picked']")
        assert walk.on_home("receive_at_commune") == 0

        # The cell secretary receives, records a meeting with everyone present, assesses.
        walk.as_("bithu")
        walk.home(ROLES["bithu"])
        assert walk.on_home("receive_at_cell") == 1
        walk.go("/forms/receive")
        form = "form:has(input[value='receive-at-cell'])"
        page.locator(f"{form} li", has_text=NAME).locator("input[name='pick']").check()
        walk.submit(form, "button[value='picked']")
        assert walk.on_home("receive_at_cell") == 0
        assert walk.on_home("record_meeting") == 1  # her first meeting is due
        assert walk.overdue("record_meeting") == 2  # the others' meetings are overdue
        assert walk.on_home("assess", ASSESSED) == 1  # due for those received in the spring,
        assert walk.on_home("assess") == 0  # not for her, received this month
        walk.go("/forms/meeting")
        page.locator("input[name='others_present']").check()
        walk.submit("form[action='/forms/meeting']", name="")
        assert walk.overdue("record_meeting") == 0  # everyone's next meeting is months away
        walk.go("/forms/assess")
        page.locator("#front").fill("Trần Thị Bình")
        page.locator(f"li[data-member='{ASSESSED}'] select").select_option("fulfilled_well")
        walk.submit("form[action='/forms/assess']", name=ASSESSED)
        assert walk.on_home("assess", ASSESSED) == 0

        # The commune confirms the assessment and reports back.
        walk.as_("phuong")
        for step in ("confirm_assessment", "report_back"):
            assert walk.on_home(step, ASSESSED) == 1
            walk.go("/forms/report")
            form = f"form:has(input[value='{step.replace('_', '-')}'])"
            page.locator(f"{form} li[data-member='{ASSESSED}'] input[name='pick']").check()
            walk.submit(form, "button[value='picked']", ASSESSED)
            assert walk.on_home(step, ASSESSED) == 0

        # The workplace clerk sees the result arrive, on its home and on the member's page.
        walk.as_("vanphong")
        walk.home(ROLES["vanphong"])
        result = page.locator("main section.work li a", has_text=ASSESSED)
        expect(result).to_have_count(1)
        assessed = result.get_attribute("href") or ""
        walk.go(f"/members/{member}")  # her timeline: referred, received twice, a meeting
        expect(page.locator("h1")).to_contain_text(NAME)

        # The supervisor and the inspector: nothing overdue now, the result among those reported.
        for who in ("giamsat", "kiemtra"):
            walk.as_(who)
            assert walk.overdue("record_meeting") == 0  # the meeting was held
            walk.go(f"/list/reported?unit={p.PROVINCE}")
            expect(page.locator(f"main a[href='{assessed}']")).not_to_have_count(0)
            walk.go(assessed)
        browser.close()
    assert walk.faults == [], "\n".join(walk.faults)
