"""The board in headless Chromium (Debian's package, driven by Playwright; no browser download).

A cell secretary records a meeting and the year's assessments, the commune confirms and reports
back, the workplace clerk sees the results, and an inspector views the board as of last year.
With LIAISON_SCREENSHOTS=1 the dashboard screenshot for the README is saved to docs/dashboard.png.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import uvicorn

from api.app import create_app
from api.config import BoardConfig
from api.reads_projections import ProjectionReads
from api.users import UserStore
from application.office import LiaisonOffice
from domain import commands as c
from domain.meeting import AttendanceEntry
from domain.roles import Role
from domain.state import Attendance
from projections.catalog import all_models
from projections.runner import Projector
from tests.api.conftest import catching_up
from tests.api.test_rendering import build_province
from tests.integration import province as p

if TYPE_CHECKING:
    from playwright.sync_api import Page

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "correct horse battery"
SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "dashboard.png"
LAST_YEAR = p.YEAR - 1


def screenshots_asked() -> bool:
    """Whether this run saves screenshots to be looked at (LIAISON_SCREENSHOTS=1); a plain run
    takes none and leaves docs/ alone."""
    return os.environ.get("LIAISON_SCREENSHOTS") == "1"


def require_chromium() -> None:
    if Path(CHROMIUM).exists() and shutil.which("chromium"):
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{CHROMIUM} is required under CI (apt-get install chromium)", pytrace=False)
    pytest.skip(f"{CHROMIUM} is not installed")


def last_year_cycle(office: LiaisonOffice) -> None:
    """Member 90 went through last year's whole cycle; this year's cycle opened in January."""
    on = lambda month, day: date(LAST_YEAR, month, day)  # noqa: E731
    member_id = office.execute(
        c.RegisterMember(
            **p.by(p.CLERK, on(1, 5)),
            name="Nguyễn Văn An",
            birth_date=date(1980, 3, 14),
            party_card_number=p.party_card(90),
            workplace_unit_id=p.WORKPLACE,
        )
    ).member_id
    liaison_id = office.execute(
        c.Refer(
            **p.by(p.CLERK, on(1, 10)),
            member_id=member_id,
            referral=c.Referral(residence_commune_id=p.COMMUNE),
        )
    ).liaison_id
    office.execute(
        c.ReceiveAtCommune(
            **p.by(p.COMMUNE_CLERK, on(1, 20)), liaison_id=liaison_id, cell_id=p.CELL
        )
    )
    office.execute(c.ReceiveAtCell(**p.by(p.SECRETARY, on(1, 25)), liaison_id=liaison_id))
    office.execute(
        c.RecordMeeting(
            **p.by(p.SECRETARY, on(3, 2)),
            cell_id=p.CELL,
            attendance=(AttendanceEntry(liaison_id=liaison_id, attendance=Attendance.PRESENT),),
        )
    )
    p.assess_and_confirm(office, liaison_id, LAST_YEAR, on(11, 10), on(11, 14))
    office.execute(
        c.ReportBack(**p.by(p.COMMUNE_CLERK, on(11, 20)), liaison_id=liaison_id, year=LAST_YEAR)
    )
    office.execute(
        c.OpenCycle(**p.by(p.ADMIN, date(p.YEAR, 1, 1)), liaison_id=liaison_id, year=p.YEAR)
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def add_accounts(users: UserStore, *accounts: tuple[str, Role, str]) -> None:
    """Open board accounts (name, role, unit), each with PASSWORD."""

    async def add() -> None:
        await users.setup()
        for name, role, unit in accounts:
            await users.add(name, PASSWORD, role, unit)
        await users.close()  # the server's own event loop opens its pool

    asyncio.run(add())


@pytest.fixture
def board(pg_env: dict[str, str], pg_url: str) -> Iterator[str]:
    """The board served by uvicorn on a free local port, over the seeded province."""
    require_chromium()
    office = LiaisonOffice(env=pg_env, clock=p.clock)
    build_province(office)  # named, as a person reads them (not by their codes)
    last_year_cycle(office)
    p.received_member(office, 1, name="Trần Văn Bảo")
    p.received_member(office, 2, name="Phạm Thị Cúc")
    users = UserStore(pg_url)
    add_accounts(
        users,
        ("bithu", Role.CELL_SECRETARY, p.CELL),
        ("phuong", Role.COMMUNE_CLERK, p.COMMUNE),
        ("vanphong", Role.WORKPLACE_CLERK, p.WORKPLACE),
        ("kiemtra", Role.INSPECTOR, p.PROVINCE),
    )
    with serving(office, users, pg_env, pg_url) as url:
        yield url


@contextmanager
def serving(
    office: LiaisonOffice, users: UserStore, pg_env: dict[str, str], pg_url: str
) -> Iterator[str]:
    """The board over the office under uvicorn on a free local port: its URL; then all closed."""
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
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        projector.close()
        office.close()


def sign_in(page: Page, board: str, username: str) -> None:
    """Sign in on the board's form (in Vietnamese, its default language) as that user."""
    from playwright.sync_api import expect

    page.context.clear_cookies()
    page.goto(f"{board}/login")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.locator("header .who")).to_contain_text(username)


def test_a_year_on_the_board(board: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1200, "height": 900})

        sign_in(page, board, "bithu")
        page.get_by_role("link", name="Ghi biên bản sinh hoạt").click()
        expect(page.get_by_role("heading", name="Ghi biên bản sinh hoạt")).to_be_visible()
        # Nothing marked: refused, naming everyone (it once recorded them all as present).
        page.get_by_role("button", name="Ghi nhận").click()
        expect(page.get_by_role("alert")).to_contain_text("Danh sách điểm danh còn thiếu")
        # All present, except one absent without reason.
        page.get_by_label("Tất cả có mặt, trừ những người được đánh dấu dưới đây").check()
        page.locator("select[name^='attendance.']").first.select_option("absent_without_reason")
        page.get_by_role("button", name="Ghi nhận").click()
        expect(page.get_by_role("status")).to_contain_text("Đã ghi biên bản sinh hoạt")

        page.get_by_role("link", name="Nhận xét, đánh giá").click()
        page.get_by_label("Đại diện Ban công tác Mặt trận").fill("Trần Thị Bình")
        for select in page.locator("select[name^='grade.']").all():
            select.select_option("fulfilled_well")
        page.get_by_role("button", name="Ghi nhận").click()
        expect(page.get_by_role("status").locator("li")).to_have_count(3)  # one line each

        sign_in(page, board, "phuong")
        page.get_by_role("link", name="Thông báo kết quả").click()
        page.locator("li[data-member='Trần Văn Bảo'] input[name='pick']").check()
        page.get_by_role("button", name="Xác nhận những người đã chọn").click()
        expect(page.get_by_role("status")).to_contain_text("Trần Văn Bảo")
        page.get_by_role("button", name="Xác nhận tất cả (2)").click()
        expect(page.get_by_role("status").locator("li")).to_have_count(2)
        page.get_by_role("button", name="Thông báo kết quả tất cả (3)").click()
        expect(page.get_by_role("status").locator("li")).to_have_count(3)
        expect(page.get_by_role("button", name="Thông báo kết quả tất cả")).to_have_count(0)

        sign_in(page, board, "vanphong")
        page.get_by_role("link", name="Thông báo kết quả").click()
        row = page.locator("li[data-member='Trần Văn Bảo'] .reported")
        expect(row).to_have_text(p.TODAY.strftime("%d/%m/%Y"))  # as people write dates
        page.get_by_role("link", name="Tổng quan").click()
        expect(page.locator("a[data-metric='reported']")).to_have_text("3")
        expect(page.locator("a[data-previous='reported']")).to_have_text("1")

        sign_in(page, board, "kiemtra")
        page.goto(f"{board}/inspect")
        page.get_by_label("Tính đến ngày").fill(f"{LAST_YEAR}-12-31")
        page.get_by_label("So sánh với ngày").fill(p.TODAY.isoformat())
        page.get_by_role("button", name="Xem").click()
        expect(page.locator("a[data-metric='in_scope']")).to_have_text("1")
        expect(page.locator("a[data-metric='assessed']")).to_have_text("1")
        expect(page.locator("td[data-metric='meetings']")).to_have_text("1 / 2")
        with page.expect_download() as download:
            page.get_by_role("link", name="Tải hồ sơ chứng cứ (JSON)").click()
        assert download.value.suggested_filename.endswith(f"{LAST_YEAR}-12-31.json")
        assert page.get_by_role("link", name="Ghi biên bản sinh hoạt").count() == 0

        page.goto(f"{board}/figures")
        expect(page.locator("a[data-metric='in_scope']")).to_have_text("3")
        expect(page.locator("a[data-metric='assessed']")).to_have_text("3")
        if screenshots_asked():
            page.screenshot(path=str(SCREENSHOT), full_page=True)
        browser.close()
