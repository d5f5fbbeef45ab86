"""The header's search box in headless Chromium on a phone: results appear as one types, under
the board's Content-Security-Policy, without sideways scroll; without JavaScript it is a form."""

from __future__ import annotations

from tests.e2e.test_browser import ARGS, CHROMIUM, PASSWORD, board

__all__ = ["board"]  # the seeded province served by uvicorn (tests/e2e/test_browser.py)
PHONE = {"width": 360, "height": 740}


def test_the_search_box_answers_as_one_types_and_works_without_javascript(board: str) -> None:
    from playwright.sync_api import Browser, Page, expect, sync_playwright

    def signed_in(browser: Browser, script: bool) -> Page:
        page = browser.new_page(viewport=PHONE, java_script_enabled=script)
        page.goto(f"{board}/login")
        page.get_by_label("Tên đăng nhập").fill("phuong")
        page.get_by_label("Mật khẩu").fill(PASSWORD)
        page.get_by_role("button", name="Đăng nhập").click()
        expect(page.locator("header .who")).to_contain_text("phuong")
        return page

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        page = signed_in(browser, script=True)
        violations: list[str] = []
        page.on(
            "console",
            lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
        )
        box = page.get_by_role("searchbox").first
        box.press_sequentially("bao tra", delay=40)  # the name's words in another order, half typed
        found = page.locator("#header-search-results").get_by_role("link")
        expect(found).to_have_text(["Trần Văn Bảo (thẻ 00000001)"])
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert wide <= PHONE["width"], f"the page scrolls sideways: {wide} px"
        box.fill("")
        box.press_sequentially("khong ai", delay=20)
        expect(page.locator("#header-search-results")).to_contain_text("Không có đảng viên nào")
        box.fill("")
        box.press_sequentially("cuc", delay=40)
        found.first.click()
        expect(page.get_by_role("heading", name="Phạm Thị Cúc")).to_be_visible()
        assert violations == []

        plain = signed_in(browser, script=False)
        plain.get_by_role("searchbox").first.fill("Cúc Phạm")
        plain.get_by_role("searchbox").first.press("Enter")
        expect(plain.locator("#search-results").get_by_role("link")).to_have_text(
            ["Phạm Thị Cúc (thẻ 00000002)"]
        )
        assert "/search?q=" in plain.url
        browser.close()
