"""Administration on a phone (360×740) in headless Chromium, in Vietnamese: an administrator
opens an account, then merges two communes into a new ward from the board after previewing what
rolls up where; an inspection as of the day before shows the old tree, today's board the new.

With LIAISON_SCREENSHOTS=1 the pages are saved to docs/tour/admin-users-*.png and
admin-units-*.png; otherwise nothing is written outside the test's temporary folder.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

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

DOCS = Path(__file__).resolve().parents[2] / "docs" / "tour"
WIDTH, HEIGHT = 360, 740
WARD = "Đảng ủy phường Hòa Bình"
YESTERDAY = p.TODAY - timedelta(days=1)


def test_an_administrator_merges_two_communes_into_a_ward_from_the_board(
    board: str,  # noqa: F811 (the fixture imported above)
    pg_url: str,
    tmp_path: Path,
) -> None:
    from playwright.sync_api import Page, expect, sync_playwright

    add_accounts(UserStore(pg_url), ("quantri", Role.ADMINISTRATOR, p.PROVINCE))
    keep = screenshots_asked()
    faults: list[str] = []

    def check(page: Page, name: str) -> None:
        """The page fits the phone, shows only people's words, and is saved when asked."""
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > WIDTH:
            faults.append(f"{name}: {width} px wide")
        text = page.locator("main").inner_text()
        faults.extend(f"{name}: {found}" for found in problems(text, "vi"))
        folder = DOCS if keep else tmp_path
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / f"{name}.png"), full_page=True)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        page = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT})
        sign_in(page, board, "quantri")

        page.locator("header details.menu summary").click()
        page.get_by_role("link", name="Tài khoản người dùng").click()
        expect(page.get_by_role("heading", name="Tài khoản người dùng")).to_be_visible()
        check(page, "admin-users-list")
        page.get_by_label("Tên đăng nhập").fill("bithu.khom2")
        page.get_by_label("Vai trò").first.select_option("cell_secretary")
        page.get_by_label("Đơn vị").first.select_option("C2")
        page.get_by_role("button", name="Mở tài khoản này").click()
        expect(page.get_by_role("status")).to_contain_text("Mật khẩu dùng một lần")
        expect(page.locator("li[data-account='bithu.khom2']")).to_be_visible()
        check(page, "admin-users-opened")
        page.locator("li[data-account='bithu'] summary").click()
        check(page, "admin-users-change")

        page.locator("header details.menu summary").click()
        page.get_by_role("link", name="Đơn vị tổ chức").click()
        expect(page.locator(f"li[data-unit='{p.COMMUNE}']")).to_be_visible()
        check(page, "admin-units-tree")
        page.locator(f"input[name='predecessor_ids'][value='{p.COMMUNE}']").check()
        page.locator("input[name='predecessor_ids'][value='X2']").check()
        page.get_by_label("Tên đơn vị mới").fill(WARD)
        page.get_by_label("Mã đơn vị mới").fill("XP")
        page.locator("#m-parent").select_option(p.PROVINCE)
        page.get_by_role("button", name="Xem trước").click()

        preview = page.locator("section[data-preview]")
        # Members 1 and 2, and member 90 whose liaison went on into this year.
        expect(preview.locator(f"li[data-moving='{p.CELL}']")).to_contain_text("3 đảng viên")
        expect(preview.locator("li[data-moving='C2']")).to_contain_text("0 đảng viên")
        expect(preview).to_contain_text(WARD)
        expect(page.locator("li[data-unit='XP']")).to_have_count(0)  # nothing recorded yet
        check(page, "admin-units-preview")
        preview.get_by_role("button", name="Xác nhận hợp nhất").click()
        expect(page.get_by_role("status")).to_be_visible()
        expect(page.locator("li[data-unit='XP']")).to_contain_text(WARD)
        ward_depth = int(page.locator("li[data-unit='XP']").get_attribute("data-depth") or 0)
        cell_depth = int(page.locator(f"li[data-unit='{p.CELL}']").get_attribute("data-depth") or 0)
        assert cell_depth == ward_depth + 1
        expect(page.locator(f"li[data-unit='{p.COMMUNE}']")).to_have_count(0)
        check(page, "admin-units-merged")

        # The inspection as of the day before shows the old tree; today's, the new one.
        page.goto(f"{board}/inspect?unit={p.PROVINCE}&on={YESTERDAY}")
        tree = page.locator("ul.tree")
        expect(tree.locator(f"li[data-unit='{p.COMMUNE}']")).to_be_visible()
        expect(tree.locator("li[data-unit='X2']")).to_be_visible()
        expect(tree.locator("li[data-unit='XP']")).to_have_count(0)
        page.goto(f"{board}/inspect?unit={p.PROVINCE}&on={p.TODAY}")
        expect(tree.locator("li[data-unit='XP']")).to_be_visible()
        expect(tree.locator(f"li[data-unit='{p.COMMUNE}']")).to_have_count(0)
        expect(tree.locator("li[data-unit='C2']")).to_have_count(0)  # a level down: its link
        tree.locator("li[data-unit='XP'] a").click()
        expect(tree.locator("li[data-unit='C2']")).to_be_visible()
        expect(page.locator("#unit option:checked")).to_have_attribute("value", "XP")
        browser.close()
    assert faults == []
