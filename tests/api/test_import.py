"""Import from the board: upload, check, import the valid rows; every refusal writes nothing.

Then the surface under attack: zip bombs, too many runs, runaway runs, other subtrees, and the
refusals each of them leaves in the access trail.
"""

from __future__ import annotations

import asyncio
import csv
import dataclasses
import json
import re
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from api.app import create_app
from api.config import BoardConfig
from api.imports import Importer, ImportJob, ImportJobs, ImportLimits, ImportOrder, ImportOutcome
from api.reads_projections import ProjectionReads
from api.users import UserStore
from application.office import LiaisonOffice
from domain.errors import UnknownMember
from domain.roles import Actor, Role
from projections.catalog import all_models
from projections.runner import Projector
from tests.api.conftest import FAST, PASSWORD
from tests.api.importers import Hungry, Stalling, StallsAfterFirstChunk
from tests.api.test_signin import web_sign_in
from tests.scale.conftest import TODAY, stored_count
from tests.unit.test_reader_limits import SHEET, lie_about, zip_bomb
from workers.province import demo
from workers.province.board_import import BoardImports, write_templates
from workers.province.bulk import BulkWriter
from workers.province.demo_tree import PROVINCE, write_tree
from workers.province.importer import Source, import_records
from workers.province.records import Fact, MemberRecord
from workers.province.writer import write_csv

BOARD_USERS = {
    "supervisor": (Role.SUPERVISOR, PROVINCE),
    "other": (Role.SUPERVISOR, PROVINCE),
    "third": (Role.SUPERVISOR, PROVINCE),
    "inspector": (Role.INSPECTOR, PROVINCE),
    "clerk1": (Role.WORKPLACE_CLERK, "DEMO-W0001"),
    "clerk2": (Role.WORKPLACE_CLERK, "DEMO-W0002"),
}
Port = Callable[[dict[str, str], Path], tuple[Importer, ImportLimits | None]]
"""What a test puts behind the import port (by indirect parametrisation of `imports`)."""


@pytest.fixture
def province() -> demo.Province:
    """A 30-member demo province (seed 7), history to the end of 2025."""
    return demo.generate(30, seed=7, until=datetime(2025, 12, 31).date())


@pytest.fixture
def demo_office(pg_env: dict[str, str], province: demo.Province) -> Iterator[LiaisonOffice]:
    """An office holding only the demo province's organisation tree, its clock on TODAY."""
    office = LiaisonOffice(env=pg_env, clock=lambda: datetime(2026, 1, 10, 9, tzinfo=UTC))
    write_tree(office, province.tree, BulkWriter(office))
    yield office
    office.close()


@pytest.fixture
def imports(
    request: pytest.FixtureRequest,
    demo_office: LiaisonOffice,
    pg_env: dict[str, str],
    tmp_path: Path,
) -> Iterator[ImportJobs]:
    """The province importer behind the board's import port, as `liaison up` wires it."""
    port: Port | None = getattr(request, "param", None)
    importer, limits = port(pg_env, tmp_path) if port else (BoardImports(pg_env, TODAY), None)
    jobs = ImportJobs(importer, templates=write_templates(tmp_path / "tpl"), limits=limits)
    yield jobs
    jobs.close()


@pytest.fixture
async def import_app(
    demo_office: LiaisonOffice, imports: ImportJobs, pg_url: str
) -> AsyncIterator[FastAPI]:
    """The board with its users and the import port."""
    users = UserStore(pg_url, hasher=FAST)
    await users.setup()
    for name, (role, unit) in BOARD_USERS.items():
        await users.add(name, PASSWORD, role, unit)
    reads = ProjectionReads(pg_url)
    yield create_app(
        demo_office, reads, users, BoardConfig(database_url=pg_url, secure_cookies=False), imports
    )
    await reads.close()
    await users.close()


def browser(app: FastAPI) -> httpx.AsyncClient:
    """A client of its own (its own cookies) on the board."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://board.test")


@pytest.fixture
async def board(import_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A browser on the board."""
    async with browser(import_app) as client:
        yield client


async def sign_in(client: httpx.AsyncClient, username: str) -> str:
    """Sign in through the form; the import page's CSRF token."""
    return await web_sign_in(client, username, page="/import")


def stored(office: LiaisonOffice) -> int:
    """How many events the store holds, but for the bulk path's receipts (one for each save)."""
    return stored_count(office)


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
    board: httpx.AsyncClient, demo_office: LiaisonOffice, province: demo.Province, tmp_path: Path
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
    board: httpx.AsyncClient, demo_office: LiaisonOffice, province: demo.Province, tmp_path: Path
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
    board: httpx.AsyncClient, demo_office: LiaisonOffice, tmp_path: Path
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
        "a bidi override in the name": {"members": ("members\u202egpj.csv", b"a\n1\n")},
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
    # Offered under the name of each language, Vietnamese first.
    assert page.text.index("<h3>Tiếng Việt</h3>") < page.text.index("<h3>English</h3>")
    assert page.text.index("members.vi.csv") < page.text.index("<h3>English</h3>")
    template = await board.get("/import/templates/members.vi.csv")
    assert template.status_code == 200
    assert "Họ và tên" in template.content.decode("utf-8-sig")
    # The sample province's units, which every installation records at its first start.
    assert ",MAU-SO-TC," in template.content.decode("utf-8-sig")
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


MB = 1024  # kB, as /proc counts


def _kilobytes(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise AssertionError(field)


@contextmanager
def peak_growth() -> Iterator[list[int]]:
    """The growth of this process's peak memory (kB) over the block: the board is in process."""
    Path("/proc/self/clear_refs").write_text("5")  # the peak starts again from now
    base = _kilobytes("VmRSS")
    growth: list[int] = []
    yield growth
    growth.append(_kilobytes("VmHWM") - base)


def refusals(office: LiaisonOffice) -> list[dict[str, Any]]:
    """The permission refusals in the access trail, oldest first."""
    records = office.recorder.select_notifications(start=None, limit=1_000_000)
    return [json.loads(n.state) for n in records if n.topic.endswith(":PermissionRefused")]


def _stalling(seconds: float = 120, per_user: int = 2, running: int = 4) -> Any:
    def port(env: dict[str, str], folder: Path) -> tuple[Stalling, ImportLimits]:
        pids = folder / "pids"
        pids.mkdir(exist_ok=True)
        return Stalling(pids), ImportLimits(per_user, running, seconds)

    return port


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"  # a zombie is dead, whoever has yet to reap it


async def _dry_run(board: httpx.AsyncClient, csrf: str, workbook: bytes) -> httpx.Response:
    """Upload `workbook` as the members sheet for a dry run."""
    return await board.post(
        "/import",
        data={"csrf": csrf, "dry_run": "1"},
        files={"members": ("members.xlsx", workbook)},
    )


async def test_a_zip_bomb_is_refused_at_once_and_costs_the_board_nothing(
    board: httpx.AsyncClient, demo_office: LiaisonOffice, tmp_path: Path
) -> None:
    csrf = await sign_in(board, "supervisor")
    content = zip_bomb(tmp_path / "members.xlsx").read_bytes()  # 1.2 MB, 300 MB of XML
    before = stored(demo_office)
    with peak_growth() as growth:
        started = time.monotonic()
        response = await _dry_run(board, csrf, content)
        elapsed = time.monotonic() - started
    assert response.status_code == 422, response.text[:500]
    assert elapsed < 2.0
    assert growth[0] < 50 * MB, f"the board grew by {growth[0] / MB:.0f} MB"
    assert 'role="alert"' in response.text
    for words in (SHEET, "giãn nở", "100:1"):
        assert words in response.text
    board.cookies.set("lang", "en")
    english = await board.post(
        "/import", data={"csrf": csrf}, files={"members": ("members.xlsx", content)}
    )
    assert english.status_code == 422
    assert "beyond the 100:1 of a real spreadsheet" in english.text
    assert stored(demo_office) == before


async def test_a_workbook_that_lies_about_its_size_is_refused_by_the_run_not_the_board(
    board: httpx.AsyncClient, demo_office: LiaisonOffice, tmp_path: Path
) -> None:
    csrf = await sign_in(board, "supervisor")
    liar = lie_about(zip_bomb(tmp_path / "members.xlsx"), SHEET, 900_000)
    before = stored(demo_office)
    with peak_growth() as growth:
        started = time.monotonic()
        response = await _dry_run(board, csrf, liar.read_bytes())
        assert response.status_code == 303
        report = await finished(board, response.headers["location"])
        elapsed = time.monotonic() - started
    assert "chứa nhiều hơn 900.000 byte như nó khai" in report
    assert elapsed < 15.0  # a child started, read 1 MB too many, and said why
    assert growth[0] < 50 * MB, f"the board grew by {growth[0] / MB:.0f} MB"
    assert stored(demo_office) == before


@pytest.mark.parametrize("imports", [_stalling()], indirect=True)
async def test_imports_are_limited_per_user_and_in_all(
    import_app: FastAPI, imports: ImportJobs, demo_office: LiaisonOffice
) -> None:
    upload = {"members": ("members.csv", b"name\nAn\n")}
    clients = {name: browser(import_app) for name in ("supervisor", "other", "third")}
    try:
        tokens = {name: await sign_in(client, name) for name, client in clients.items()}
        before = stored(demo_office)

        async def start(name: str) -> httpx.Response:
            data = {"csrf": tokens[name], "dry_run": "1"}
            return await clients[name].post("/import", data=data, files=upload)

        running = [await start("supervisor"), await start("supervisor")]
        assert [r.status_code for r in running] == [303, 303]
        third = await start("supervisor")
        assert third.status_code == 429
        assert "Bạn đang có 2 lượt nhập đang chạy, mức tối đa cùng lúc" in third.text
        running += [await start("other"), await start("other")]
        assert [r.status_code for r in running] == [303] * 4
        full = await start("third")
        assert full.status_code == 429
        assert "Hệ thống đang chạy 4 lượt nhập, mức tối đa cùng lúc" in full.text
        page = await clients["supervisor"].get(running[0].headers["location"])
        assert page.status_code == 200
        assert "<progress" in page.text
        imports.close()  # as the web process does when it ends
        stopped = await clients["supervisor"].get(running[0].headers["location"])
        assert "máy chủ tắt" in stopped.text
        assert (await start("third")).status_code == 303  # room again
    finally:
        for client in clients.values():
            await client.aclose()
    assert stored(demo_office) == before


@pytest.mark.parametrize("imports", [_stalling(seconds=3)], indirect=True)
async def test_a_run_past_its_time_limit_is_stopped_with_its_workers(
    board: httpx.AsyncClient, tmp_path: Path
) -> None:
    csrf = await sign_in(board, "supervisor")
    response = await board.post(
        "/import", data={"csrf": csrf}, files={"members": ("members.csv", b"name\nAn\n")}
    )
    started = time.monotonic()
    location = response.headers["location"]
    while "<progress" in (page := (await board.get(location)).text) and "3/10" not in page:
        await asyncio.sleep(0.1)  # the child's own progress reaches the page
    report = await finished(board, location)
    assert time.monotonic() - started < 10
    assert "Việc nhập bị dừng vì quá thời gian cho phép (3 giây)" in report
    assert 'id="stopped"' in report
    (pids,) = (tmp_path / "pids").iterdir()
    child, worker = (int(p) for p in pids.read_text().split())
    for _ in range(50):
        if not (_alive(child) or _alive(worker)):
            break
        await asyncio.sleep(0.1)
    assert not _alive(child), "the run's process outlived its time limit"
    assert not _alive(worker), "the run's own worker outlived its time limit"


def _hungry(env: dict[str, str], folder: Path) -> tuple[Hungry, ImportLimits]:
    return Hungry(gigabytes=6), ImportLimits(memory_bytes=3 * 2**30)


@pytest.mark.parametrize("imports", [_hungry], indirect=True)
async def test_a_run_over_its_memory_limit_is_stopped(board: httpx.AsyncClient) -> None:
    csrf = await sign_in(board, "supervisor")
    response = await board.post(
        "/import", data={"csrf": csrf}, files={"members": ("members.csv", b"name\nAn\n")}
    )
    report = await finished(board, response.headers["location"])
    assert "Việc nhập bị dừng vì vượt giới hạn bộ nhớ (3,0 GB)" in report


class _FinishesWhileDrawn(str):
    """A file name whose drawing ends the run: the moment the page races with the run's end."""

    job: ImportJob

    def __html__(self) -> str:
        self.job.outcome = ImportOutcome(3, 3, 30, 1, (), 0.5, True)
        return str(self)


async def test_the_job_page_never_fails_as_the_run_ends(
    board: httpx.AsyncClient, imports: ImportJobs, tmp_path: Path
) -> None:
    await sign_in(board, "supervisor")
    name = _FinishesWhileDrawn("members.csv")
    job = ImportJob("f" * 32, "supervisor", name, None, True, tmp_path)
    name.job = job
    imports._jobs[job.job_id] = job  # as `start` keeps it, without a child to race with
    page = await board.get(f"/import/{job.job_id}")
    assert page.status_code == 200
    assert "<progress" in page.text  # drawn as it stood when the page was asked for
    again = await board.get(f"/import/{job.job_id}")
    assert again.status_code == 200
    assert 'id="summary"' in again.text


async def test_roles_that_do_not_import_are_refused_and_recorded_once(
    board: httpx.AsyncClient, demo_office: LiaisonOffice
) -> None:
    csrf = await web_sign_in(board, "inspector", page="/password")
    before = stored(demo_office)
    assert (await board.get("/import")).status_code == 403
    posted = await board.post(
        "/import", data={"csrf": csrf}, files={"members": ("members.csv", b"name\nAn\n")}
    )
    assert posted.status_code == 403
    records = refusals(demo_office)
    assert [(r["action"], r["code"], r["actor"]["id"]) for r in records] == [
        ("import", "out_of_scope", "inspector")
    ] * 2
    assert stored(demo_office) == before + 2  # the two access records, nothing else


async def test_another_users_job_is_answered_as_none_and_recorded(
    import_app: FastAPI, demo_office: LiaisonOffice, province: demo.Province, tmp_path: Path
) -> None:
    async with browser(import_app) as owner, browser(import_app) as other:
        csrf = await sign_in(owner, "supervisor")
        upload = files(tmp_path / "up", province.records[:3])
        location = (await owner.post("/import", data={"csrf": csrf}, files=upload)).headers[
            "location"
        ]
        job_id = location.rsplit("/", 1)[1]
        await finished(owner, location)
        other_csrf = await sign_in(other, "other")
        before = len(refusals(demo_office))
        unknown = await other.get(f"/import/{'0' * 32}")
        theirs = await other.get(location)
        assert unknown.status_code == theirs.status_code == 404
        assert _main(unknown.text) == _main(theirs.text)
        run = await other.post(f"{location}/run", data={"csrf": other_csrf})
        assert run.status_code == 404
        assert _main(run.text) == _main(unknown.text)
        records = refusals(demo_office)[before:]
        assert [(r["actor"]["id"], r["action"], r["code"]) for r in records] == [
            ("other", "import", "out_of_scope")
        ] * 2
        for record in records:
            assert record["target"] == f"import job {job_id}"  # neither its owner nor its file


def _main(page: str) -> str:
    return page.split("<main", 1)[-1]


def _registered_and_referred(record: MemberRecord, workplace: str) -> MemberRecord:
    """The record as a workplace clerk may import it: registration and referral, nothing after."""
    after_referral: dict[str, Any] = dict.fromkeys(
        ("commune_received_on", "cell_received_on", "exemption", "exemption_reason", "exempt_on")
    )
    return dataclasses.replace(record, workplace_unit_id=workplace, facts=[], **after_referral)


def _referred(province: demo.Province) -> list[MemberRecord]:
    return [r for r in province.records if r.referred_on and r.exemption is None]


async def test_rows_outside_the_subtree_are_refused_recorded_once_and_name_nothing_else(
    board: httpx.AsyncClient, demo_office: LiaisonOffice, province: demo.Province, tmp_path: Path
) -> None:
    referred = _referred(province)
    mine = [_registered_and_referred(r, "DEMO-W0001") for r in referred[:3]]
    theirs = [_registered_and_referred(r, "DEMO-W0002") for r in referred[3:5]]
    rows = [mine[0], theirs[0], mine[1], theirs[1], mine[2]]  # members rows 2 to 6
    upload = files(tmp_path / "up", rows)
    in_file = set(re.findall(r"DEMO-[A-Z0-9-]+", upload["members"][1].decode("utf-8-sig")))
    csrf = await sign_in(board, "clerk1")
    before = stored(demo_office)
    check = await board.post("/import", data={"csrf": csrf, "dry_run": "1"}, files=upload)
    report = await finished(board, check.headers["location"])
    assert "3/5 đảng viên hợp lệ" in report
    assert report.count("nằm ngoài phạm vi vai trò và đơn vị của bạn") == 2
    assert set(re.findall(r"DEMO-[A-Z0-9-]+", report)) <= in_file | {"DEMO-W0001"}
    (record,) = refusals(demo_office)
    assert record["actor"]["id"] == "clerk1"
    assert record["code"] == "out_of_scope"
    assert record["target"] == "members.csv: 2 rows: members 3, 5"
    assert stored(demo_office) == before + 1  # a check writes nothing but that record
    run = await board.post(f"/import/{check.headers['location'].rsplit('/', 1)[1]}/run",
                           data={"csrf": csrf})  # fmt: skip
    assert "3/5 đảng viên hợp lệ" in await finished(board, run.headers["location"])
    assert len(refusals(demo_office)) == 2  # one more run, one more record
    for member in theirs:
        with pytest.raises(UnknownMember):
            demo_office.member_by_card(member.party_card_number)


async def test_an_import_cannot_write_to_a_member_another_subtree_holds(
    import_app: FastAPI, demo_office: LiaisonOffice, province: demo.Province, tmp_path: Path
) -> None:
    theirs = _registered_and_referred(_referred(province)[0], "DEMO-W0002")
    async with browser(import_app) as b, browser(import_app) as a:
        csrf_b = await sign_in(b, "clerk2")
        imported = await b.post(
            "/import", data={"csrf": csrf_b}, files=files(tmp_path / "b", [theirs])
        )
        assert "1/1 đảng viên hợp lệ" in await finished(b, imported.headers["location"])
        # The same card claimed for A's workplace, with a step more than B's import: its liaison
        # closed by A. The steps' ids are derived from the card, so they line up with B's.
        claim = dataclasses.replace(
            theirs,
            workplace_unit_id="DEMO-W0001",
            facts=[Fact(2, "close", date(2025, 12, 1), reason="retired")],
        )
        csrf_a = await sign_in(a, "clerk1")
        held = stored(demo_office)
        attempt = await a.post(
            "/import", data={"csrf": csrf_a}, files=files(tmp_path / "a", [claim])
        )
        report = await finished(a, attempt.headers["location"])
    assert "0/1 đảng viên hợp lệ" in report
    assert "nằm ngoài phạm vi vai trò và đơn vị của bạn" in report
    assert stored(demo_office) == held + 1  # only the access record
    (record,) = refusals(demo_office)
    assert record["actor"]["id"] == "clerk1"
    assert record["target"] == "members.csv: 1 rows: members 2"
    member = demo_office.member_by_card(theirs.party_card_number)
    assert member.workplace_unit_id == "DEMO-W0002"


def _stalls_after_first_chunk(env: dict[str, str], folder: Path) -> Any:
    return StallsAfterFirstChunk(env, TODAY), ImportLimits(seconds=4)


@pytest.mark.parametrize("imports", [_stalls_after_first_chunk], indirect=True)
async def test_a_real_run_stopped_midway_keeps_whole_batches_and_a_rerun_completes_it(
    board: httpx.AsyncClient,
    demo_office: LiaisonOffice,
    province: demo.Province,
    pg_env: dict[str, str],
    tmp_path: Path,
) -> None:
    members, history = tmp_path / "members.csv", tmp_path / "history.csv"
    write_csv(province.records, members, history, "vi")
    supervisor = Actor(id="supervisor", role=Role.SUPERVISOR, unit_id=PROVINCE)
    whole = BoardImports(pg_env, TODAY)
    checked = whole(ImportOrder(members, history, supervisor, True), lambda *_: None)
    csrf = await sign_in(board, "supervisor")
    before = stored(demo_office)
    upload = {
        "members": ("members.csv", members.read_bytes()),
        "history": ("history.csv", history.read_bytes()),
    }
    response = await board.post("/import", data={"csrf": csrf}, files=upload)
    report = await finished(board, response.headers["location"])
    assert "quá thời gian cho phép" in report
    assert "Các lô đã ghi trọn vẹn được giữ" in report
    kept = stored(demo_office)
    assert before < kept < before + checked.events  # some batches, not the run
    rerun = whole(ImportOrder(members, history, supervisor, False), lambda *_: None)
    assert rerun.problems == ()
    # + the import's receipt, the store's namespace (recorded at its first write), and the run's
    # start (written by the stopped run, before its first member) and completion (by the rerun;
    # neither is counted among the members' events)
    assert stored(demo_office) == before + checked.events + 4
    assert rerun.events == before + checked.events + 3 - kept


class Killed(Exception):
    """The import's process dying half way (as a kill -9 would leave the store)."""


async def test_an_interrupted_import_shows_on_the_board_until_run_again(
    board: httpx.AsyncClient, demo_office: LiaisonOffice, province: demo.Province,
    pg_env: dict[str, str],
) -> None:  # fmt: skip
    """Cut short after its members were written and before its cells' meetings and its end, an
    import is shown on the import page as not finished; the same file imported again writes only
    what was missing and completes it, and the page no longer shows it."""
    actor = Actor(id="supervisor", role=Role.SUPERVISOR, unit_id=PROVINCE)
    source = Source("so-theo-doi.xlsx", "d" * 64)

    def die(done: int, events: int) -> None:
        raise Killed

    def projected() -> None:
        projector = Projector(pg_env, all_models())
        projector.catch_up()
        projector.close()

    with pytest.raises(Killed):
        import_records(demo_office, province.records, source, actor, TODAY, progress=die)
    projected()
    cut_short = stored(demo_office)
    await sign_in(board, "supervisor")
    page = (await board.get("/import")).text
    assert 'id="unfinished"' in page
    assert "Việc nhập tệp so-theo-doi.xlsx (30 đảng viên) bắt đầu lúc" in page
    await sign_in(board, "clerk1")  # a workplace's clerk was not the one importing it
    assert 'id="unfinished"' not in (await board.get("/import")).text

    again = import_records(demo_office, province.records, source, actor, TODAY)
    assert again.valid == 30
    assert again.events == 210  # the cells' meetings and books it never reached, nothing else
    projected()
    assert stored(demo_office) > cut_short + 210  # and the import's receipt and its completion
    await sign_in(board, "supervisor")
    assert 'id="unfinished"' not in (await board.get("/import")).text
    completed = stored(demo_office)
    assert import_records(demo_office, province.records, source, actor, TODAY).events == 0
    assert stored(demo_office) == completed
