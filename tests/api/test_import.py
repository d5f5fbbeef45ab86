"""Import from the board: upload, check, import the valid rows; every refusal writes nothing."""

from __future__ import annotations

import asyncio
import csv
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from api.app import create_app
from api.config import BoardConfig
from api.imports import ImportJobs
from api.office import Office
from api.reads_projections import ProjectionReads
from api.users import UserStore
from domain.errors import UnknownMember
from domain.roles import Role
from tests.api.conftest import FAST, PASSWORD
from tests.api.test_signin import web_sign_in
from tests.scale.conftest import TODAY
from workers.province import demo
from workers.province.board_import import BoardImporter, write_templates
from workers.province.bulk import BulkWriter
from workers.province.demo_tree import PROVINCE, write_tree
from workers.province.records import MemberRecord
from workers.province.writer import write_csv

BOARD_USERS = {
    "supervisor": (Role.SUPERVISOR, PROVINCE),
    "other": (Role.SUPERVISOR, PROVINCE),
    "inspector": (Role.INSPECTOR, PROVINCE),
}


@pytest.fixture
def province() -> demo.Province:
    """A 30-member demo province (seed 7), history to the end of 2025."""
    return demo.generate(30, seed=7, until=datetime(2025, 12, 31).date())


@pytest.fixture
def demo_office(pg_env: dict[str, str], province: demo.Province) -> Office:
    """An office holding only the demo province's organisation tree, its clock on TODAY."""
    office = Office(env=pg_env, clock=lambda: datetime(2026, 1, 10, 9, tzinfo=UTC))
    write_tree(office, province.tree, BulkWriter(office))
    return office


@pytest.fixture
async def board(
    demo_office: Office, pg_url: str, tmp_path: Path
) -> AsyncIterator[httpx.AsyncClient]:
    """The board with the province importer behind its import port, as `liaison up` wires it."""
    users = UserStore(pg_url, hasher=FAST)
    await users.setup()
    for name, (role, unit) in BOARD_USERS.items():
        await users.add(name, PASSWORD, role, unit)
    imports = ImportJobs(
        BoardImporter(demo_office, lambda: TODAY), templates=write_templates(tmp_path / "tpl")
    )
    reads = ProjectionReads(pg_url)
    app = create_app(
        demo_office, reads, users, BoardConfig(database_url=pg_url, secure_cookies=False), imports
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://board.test") as client:
        yield client
    await reads.close()
    await users.close()


async def sign_in(client: httpx.AsyncClient, username: str) -> str:
    """Sign in through the form; the import page's CSRF token."""
    return await web_sign_in(client, username, page="/import")


def stored(office: Office) -> int:
    """How many events the store holds."""
    return int(office.recorder.max_notification_id() or 0)


def files(folder: Path, records: list[MemberRecord]) -> dict[str, tuple[str, bytes]]:
    """The members and history CSV files of these records, as a form uploads them."""
    folder.mkdir(parents=True, exist_ok=True)
    members, history = folder / "members.csv", folder / "history.csv"
    write_csv(records, members, history, "vi")
    return {
        "members": ("members.csv", members.read_bytes()),
        "history": ("history.csv", history.read_bytes()),
    }


async def finished(client: httpx.AsyncClient, location: str) -> str:
    """The job page once the run has ended (the page refreshes itself until then)."""
    for _ in range(600):
        page = await client.get(location)
        assert page.status_code == 200, page.text
        if 'http-equiv="refresh"' not in page.text:
            return page.text
        assert "<progress" in page.text
        await asyncio.sleep(0.1)
    raise AssertionError(f"{location} did not finish")


async def test_a_checked_file_is_imported_once(
    board: httpx.AsyncClient, demo_office: Office, province: demo.Province, tmp_path: Path
) -> None:
    csrf = await sign_in(board, "supervisor")
    before = stored(demo_office)
    upload = files(tmp_path / "up", province.records)
    check = await board.post("/import", data={"csrf": csrf, "dry_run": "1"}, files=upload)
    assert check.status_code == 303
    report = await finished(board, check.headers["location"])
    assert f"{len(province.records)}/{len(province.records)} đảng viên hợp lệ" in report
    assert "sẽ ghi" in report
    assert stored(demo_office) == before  # the check wrote nothing
    job_id = check.headers["location"].rsplit("/", 1)[1]
    run = await board.post(f"/import/{job_id}/run", data={"csrf": csrf})
    assert run.status_code == 303
    done = await finished(board, run.headers["location"])
    assert "đã ghi" in done
    written = stored(demo_office)
    assert written > before + len(province.records)
    member = demo_office.member_by_card(province.records[0].party_card_number)
    assert member.name == province.records[0].name
    again = await board.post("/import", data={"csrf": csrf}, files=upload)
    assert "đã ghi 0 sự kiện" in await finished(board, again.headers["location"])
    assert stored(demo_office) == written  # the same file again records nothing


async def test_bad_rows_are_listed_and_their_members_left_out(
    board: httpx.AsyncClient, demo_office: Office, province: demo.Province, tmp_path: Path
) -> None:
    csrf = await sign_in(board, "supervisor")
    upload = files(tmp_path / "up", province.records[:5])
    members = tmp_path / "up" / "members.csv"
    with members.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    workplace = rows[0].index(next(h for h in rows[0] if "công tác" in h.lower()))
    rows[2][workplace] = "NO-SUCH-UNIT"
    with members.open("w", encoding="utf-8-sig", newline="") as f:
        csv.writer(f).writerows(rows)
    upload["members"] = ("members.csv", members.read_bytes())
    response = await board.post("/import", data={"csrf": csrf}, files=upload)
    report = await finished(board, response.headers["location"])
    assert "4/5 đảng viên hợp lệ" in report
    assert 'id="problems"' in report
    assert "NO-SUCH-UNIT" in report
    refused_card = rows[2][rows[0].index(next(h for h in rows[0] if "thẻ" in h.lower()))]
    with pytest.raises(UnknownMember):
        demo_office.member_by_card(refused_card)
    kept = demo_office.member_by_card(province.records[0].party_card_number)
    assert kept.name == province.records[0].name


async def test_uploads_that_cannot_be_imported_are_refused_and_write_nothing(
    board: httpx.AsyncClient, demo_office: Office, tmp_path: Path
) -> None:
    csrf = await sign_in(board, "supervisor")
    before = stored(demo_office)
    cases = {
        "wrong type": {"members": ("members.txt", b"name\nAn\n")},
        "no file": {},
        "empty": {"members": ("members.csv", b"")},
        "same file twice": {
            "members": ("members.csv", b"a\n1\n"),
            "history": ("members.csv", b"a\n1\n"),
        },
    }
    for case, upload in cases.items():
        data = {"csrf": csrf, "dry_run": "1"}
        response = await board.post("/import", data=data, files=upload or None)
        assert response.status_code == 422, (case, response.text[:300])
        assert 'role="alert"' in response.text, case
    english = await board.post(
        "/import",
        data={"csrf": csrf},
        files={"members": ("members.pdf", b"%PDF")},
        headers={"Accept-Language": "en"},
    )
    assert english.status_code == 422
    forged = await board.post(
        "/import", data={"csrf": "forged"}, files={"members": ("m.csv", b"a\n")}
    )
    assert forged.status_code == 403
    broken = await board.post(
        "/import", data={"csrf": csrf}, files={"members": ("members.csv", b"\xff\xfe\x00garbage")}
    )
    report = await finished(board, broken.headers["location"])
    assert 'id="problems"' in report
    assert stored(demo_office) == before


async def test_only_importing_roles_see_it_and_each_user_only_their_jobs(
    board: httpx.AsyncClient, province: demo.Province, tmp_path: Path
) -> None:
    csrf = await sign_in(board, "supervisor")
    upload = files(tmp_path / "up", province.records[:3])
    real = await board.post("/import", data={"csrf": csrf}, files=upload)
    location = real.headers["location"]
    await finished(board, location)
    job_id = location.rsplit("/", 1)[1]
    not_checked = await board.post(f"/import/{job_id}/run", data={"csrf": csrf})
    assert not_checked.status_code == 409  # only a finished check is imported for real
    assert (await board.get("/import/no-such-job")).status_code == 404
    await board.post("/logout", data={"csrf": csrf})
    await sign_in(board, "other")
    assert (await board.get(location)).status_code == 404  # someone else's job
    await board.post("/logout", data={"csrf": csrf})
    response = await board.post("/login", data={"username": "inspector", "password": PASSWORD})
    assert response.status_code == 303
    assert (await board.get("/import")).status_code == 403


async def test_the_templates_can_be_downloaded(board: httpx.AsyncClient) -> None:
    await sign_in(board, "supervisor")
    page = await board.get("/import")
    assert "/import/templates/members.vi.csv" in page.text
    assert "/import/templates/liaison-import.en.xlsx" in page.text
    template = await board.get("/import/templates/members.vi.csv")
    assert template.status_code == 200
    assert "Họ và tên" in template.content.decode("utf-8-sig")
    assert (await board.get("/import/templates/..%2Fsecret.csv")).status_code == 404
    assert (await board.get("/import/templates/other.csv")).status_code == 404


async def test_a_board_whose_read_models_are_not_built_says_so(board: httpx.AsyncClient) -> None:
    await sign_in(board, "supervisor")  # this board's store has no read models at all
    home = await board.get("/")
    assert home.status_code == 503
    assert 'role="alert"' in home.text
    assert "chưa được dựng" in home.text
    token = await board.post(
        "/api/auth/token", json={"username": "supervisor", "password": PASSWORD}
    )
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    figures = await board.get(f"/api/units/{PROVINCE}/figures", headers=headers)
    assert figures.status_code == 503
    assert figures.json()["code"] == "not_built"
