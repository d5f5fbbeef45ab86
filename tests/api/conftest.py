"""The board on a real PostgreSQL: the tiny province, two more branches, a user for every role."""

from __future__ import annotations

import re
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import date
from typing import Any
from uuid import uuid4

import httpx
import psycopg
import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from api.app import create_app
from api.config import BoardConfig
from api.reads_projections import ProjectionReads
from api.users import UserStore
from application.office import LiaisonOffice
from domain import commands as c
from domain.organisation import Unit, UnitKind
from domain.roles import Actor, Role
from projections.catalog import all_models
from projections.runner import Projector
from tests.conftest import isolated_schema, new_database, with_search_path
from tests.integration import province as p
from tests.kept import Kept
from workers.bootstrap import persistence_env

PASSWORD = "correct horse battery"
FAST = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)

# username: (role, unit). "2" users belong to a second workplace / commune / cell of the province.
USERS: dict[str, tuple[Role, str]] = {
    "clerk": (Role.WORKPLACE_CLERK, p.WORKPLACE),
    "commune": (Role.COMMUNE_CLERK, p.COMMUNE),
    "secretary": (Role.CELL_SECRETARY, p.CELL),
    "committee": (Role.COMMITTEE_MEMBER, p.COMMUNE),
    "supervisor": (Role.SUPERVISOR, p.PROVINCE),
    "inspector": (Role.INSPECTOR, p.PROVINCE),
    "admin": (Role.ADMINISTRATOR, p.PROVINCE),
    "clerk2": (Role.WORKPLACE_CLERK, "W2"),
    "commune2": (Role.COMMUNE_CLERK, "X2"),
    "secretary2": (Role.CELL_SECRETARY, "C2"),
    "committee2": (Role.COMMITTEE_MEMBER, "X2"),
    "inspector2": (Role.INSPECTOR, "X2"),
}


def second_branch(office: LiaisonOffice) -> None:
    """W2, X2 and its cell C2 beside W, X and C1."""
    for unit_id, kind, parent in (
        ("W2", UnitKind.WORKPLACE_COMMITTEE, p.PROVINCE),
        ("X2", UnitKind.COMMUNE_COMMITTEE, p.PROVINCE),
        ("C2", UnitKind.RESIDENCE_CELL, "X2"),
    ):
        unit = Unit(
            id=unit_id, name=unit_id, kind=kind, parent_id=parent, valid_from=date(2000, 1, 1)
        )
        office.execute(c.EstablishUnit(**p.by(p.ADMIN, date(2026, 1, 1)), unit=unit))


async def user_store(url: str, everyone: bool) -> UserStore:
    """The user store at `url`, set up; with `everyone`, a user for every role added to it (all
    with the same password)."""
    store = UserStore(url, hasher=FAST)
    await store.setup()
    for name, (role, unit) in USERS.items() if everyone else ():
        await store.add(name, PASSWORD, role, unit)
    return store


@pytest.fixture(scope="session")
async def province_database(pg_server_url: str) -> AsyncIterator[Kept]:
    """A database of the worker's own holding the tiny province, the second branch, a user for
    every role and every read model caught up, kept as it stands, and put back before each test
    of the board's office (building it for each test was most of the board tests' time)."""
    with new_database(pg_server_url) as url:
        schema_url = with_search_path(url, "province")
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE SCHEMA province")
        env = persistence_env(schema_url)
        office = LiaisonOffice(env=env, clock=p.clock)
        p.build_province(office)
        second_branch(office)
        await (await user_store(schema_url, everyone=True)).close()
        projector = Projector(env, all_models())
        projector.catch_up()
        projector.close()
        office.close()
        yield Kept(schema_url)


def copies_the_province(request: pytest.FixtureRequest) -> bool:
    """Whether the test asks for the board's office, whose schema is the province's put back."""
    return "office" in request.fixturenames


@pytest.fixture
def pg_url(request: pytest.FixtureRequest, pg_server_url: str) -> Iterator[str]:
    """For a test of the board's office, the province's database as it was kept; for any other,
    a fresh schema on the session's PostgreSQL, dropped afterwards."""
    if not copies_the_province(request):
        with isolated_schema(pg_server_url) as url:
            yield url
        return
    province: Kept = request.getfixturevalue("province_database")
    province.restore()
    yield province.url


@pytest.fixture
def office(pg_env: dict[str, str]) -> Iterator[LiaisonOffice]:
    """The office on the province's database: the tiny province and the second branch."""
    office = LiaisonOffice(env=pg_env, clock=p.clock)
    yield office
    office.close()


@pytest.fixture
async def users(request: pytest.FixtureRequest, pg_url: str) -> AsyncIterator[UserStore]:
    """The user store with a user for every role (all with the same password)."""
    # The kept province holds every role's user already; a fresh schema gets them here.
    store = await user_store(pg_url, everyone=not copies_the_province(request))
    yield store
    await store.close()


@pytest.fixture
def projector(office: LiaisonOffice, pg_env: dict[str, str]) -> Iterator[Projector]:
    """Every read model on the test's schema (the board reads them)."""
    projector = Projector(pg_env, all_models())
    yield projector
    projector.close()


def catching_up(projector: Projector) -> Callable[[], Awaitable[int]]:
    """A `fresh` hook for the board's reads: catch the projector up, one caller at a time."""
    lock = threading.Lock()

    def catch_up() -> int:
        with lock:
            return projector.catch_up()

    return lambda: run_in_threadpool(catch_up)


@pytest.fixture
async def reads(projector: Projector, pg_url: str) -> AsyncIterator[ProjectionReads]:
    """The board's reads, catching the projector up before each read (read-your-writes)."""
    reads = ProjectionReads(pg_url, fresh=catching_up(projector))
    yield reads
    await reads.close()


@pytest.fixture
def app(office: LiaisonOffice, users: UserStore, reads: ProjectionReads, pg_url: str) -> FastAPI:
    """The board application."""
    config = BoardConfig(database_url=pg_url, secure_cookies=False)
    return create_app(office, reads, users, config)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to the app in process."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://board.test") as client:
        yield client


Auth = Callable[[str], Awaitable[dict[str, str]]]


@pytest.fixture
def auth(client: httpx.AsyncClient) -> Auth:
    """Bearer headers for a user (one token per user per test)."""
    tokens: dict[str, dict[str, str]] = {}

    async def headers(username: str) -> dict[str, str]:
        if username not in tokens:
            response = await client.post(
                "/api/auth/token", json={"username": username, "password": PASSWORD}
            )
            assert response.status_code == 200, response.text
            tokens[username] = {"Authorization": f"Bearer {response.json()['access_token']}"}
        return tokens[username]

    return headers


async def pages_of(
    client: httpx.AsyncClient, headers: dict[str, str], address: str
) -> list[list[Any]]:
    """Every page of a paged list from its first address, following each answer's `Link`
    header (`rel="next"`), each answered 200."""
    pages: list[list[Any]] = []
    while address:
        answer = await client.get(address, headers=headers)
        assert answer.status_code == 200, answer.text
        pages.append(answer.json())
        link = answer.headers.get("link", "")
        found = re.fullmatch(r'<(/[^>]+)>; rel="next"', link)  # relative to the request
        address = found.group(1) if found else ""
    return pages


def body(day: date = p.TODAY, **fields: Any) -> dict[str, Any]:
    """A command body with a fresh command id."""
    return {"command_id": str(uuid4()), "effective_date": day.isoformat(), **fields}


NEIGHBOUR = "P2"
"""A province beside the tiny one, with a commune and a cell of its own."""
ADMIN_P2 = Actor(id="admin.p2", role=Role.ADMINISTRATOR, unit_id=NEIGHBOUR)


def neighbouring_province(office: LiaisonOffice) -> None:
    """P2 (a root beside P, which P's top-level administrator may open) with X9 and its cell C9,
    entered by P2's own administrator."""
    for unit_id, kind, parent in (
        (NEIGHBOUR, UnitKind.PROVINCIAL_COMMITTEE, None),
        ("X9", UnitKind.COMMUNE_COMMITTEE, NEIGHBOUR),
        ("C9", UnitKind.RESIDENCE_CELL, "X9"),
    ):
        unit = Unit(id=unit_id, name=f"Đơn vị {unit_id}", kind=kind, parent_id=parent,
                    valid_from=date(2000, 1, 1))  # fmt: skip
        by = p.ADMIN if parent is None else ADMIN_P2
        office.execute(c.EstablishUnit(**p.by(by, date(2026, 1, 1)), unit=unit))


@pytest.fixture
async def world(office: LiaisonOffice, users: UserStore, app: FastAPI) -> LiaisonOffice:
    """The office of the board (`app`) with a neighbouring province and its accounts; a
    sub-administrator and a supervisor of commune X2; a retired account; a cell that ended."""
    neighbouring_province(office)
    for name, role, unit in (
        ("admin.p2", Role.ADMINISTRATOR, NEIGHBOUR),
        ("supervisor.p2", Role.SUPERVISOR, NEIGHBOUR),
        ("clerk.p2", Role.COMMUNE_CLERK, "X9"),
        ("admin.x2", Role.ADMINISTRATOR, "X2"),
        ("supervisor.x2", Role.SUPERVISOR, "X2"),
        ("gone", Role.WORKPLACE_CLERK, p.WORKPLACE),
    ):
        await users.add(name, PASSWORD, role, unit)
    ended = Unit(id="C8", name="Chi bộ cũ", kind=UnitKind.RESIDENCE_CELL, parent_id=p.COMMUNE,
                 valid_from=date(2000, 1, 1), valid_until=date(2026, 6, 1))  # fmt: skip
    office.execute(c.EstablishUnit(**p.by(p.ADMIN, date(2026, 1, 1)), unit=ended))
    office.execute(c.RetireAccount(**p.by(p.ADMIN, p.TODAY), username="gone"))
    return office
