"""A province's supervisor works a commune's referrals on a phone (360 px), in headless Chromium:
the receive form at the province offers the units beneath, one tap opens the commune's, and
"receive all" receives its members (issue 18: the form read every state of the province)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from uuid import UUID

import pytest

from api.users import UserStore
from application.office import LiaisonOffice
from domain.roles import Role
from tests.e2e.test_browser import (
    ARGS,
    CHROMIUM,
    add_accounts,
    build_province,
    require_chromium,
    serving,
    sign_in,
)
from tests.integration import province as p

NAMES = ("Phạm Thị Cúc", "Lê Văn Dũng")


@dataclass(frozen=True)
class Province:
    url: str
    office: LiaisonOffice
    liaisons: list[UUID]


@pytest.fixture
def province(pg_env: dict[str, str], pg_url: str) -> Iterator[Province]:
    """The board over the named province with two referrals awaiting the commune."""
    require_chromium()  # skipped without it, as every browser test, but under CI
    office = LiaisonOffice(env=pg_env, clock=p.clock)
    build_province(office)
    waiting = [
        p.received_member(office, n, name=name, received=False).liaison_id
        for n, name in enumerate(NAMES, start=2)
    ]
    users = UserStore(pg_url)
    add_accounts(users, ("giamsat", Role.SUPERVISOR, p.PROVINCE))
    with serving(office, users, pg_env, pg_url) as url:
        yield Province(url, office, waiting)


def test_a_supervisor_chooses_the_commune_and_receives_its_referrals(province: Province) -> None:
    from playwright.sync_api import expect, sync_playwright

    url = province.url
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        page = browser.new_page(viewport={"width": 360, "height": 740})
        sign_in(page, url, "giamsat")
        page.goto(f"{url}/forms/receive")
        expect(page.get_by_role("heading", name="Chọn đơn vị")).to_be_visible()
        for name in NAMES:
            expect(page.locator("main")).not_to_contain_text(name)  # no member at the province
        page.get_by_role("link", name="Đảng ủy phường Một").click()
        expect(page.locator("main .here")).to_contain_text("Đảng ủy phường Một")
        page.get_by_role("button", name="Tiếp nhận tất cả (2)").click()
        status = page.get_by_role("status")
        for name in NAMES:
            expect(status).to_contain_text(f"{name}: Đã tiếp nhận và phân công chi bộ.")
        assert page.url.endswith(f"/forms/receive?unit={p.COMMUNE}")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        page.get_by_role("link", name="Về đơn vị của mình").click()
        expect(page.get_by_role("heading", name="Chọn đơn vị")).to_be_visible()
        browser.close()
    received = [province.office.state_of(li).commune_received_on for li in province.liaisons]
    assert received == [p.TODAY, p.TODAY]
