"""Command latency through the HTTP API under 20 concurrent clients, and until the board shows it.

The board (api/ under uvicorn, as `workers/web.py` serves it) and the projector
(`python -m workers.projector`) run as their own processes on a fresh database holding a synthetic
province (members referred yesterday, awaiting receipt). Twenty clients, each a commune clerk
signed in with a bearer token, each receive their commune's referrals one after another:
acknowledged = POST /api/commands/receive-at-commune answered 200; visible = the commune's
dashboard (GET /api/units/{commune}/figures) counts it, asked as a board asks after its own
command: `after` the position the command answered with, so the board answers once the projector
has folded it in (asked again, after 20 ms, should that wait run out).
Raw limits, same run: a trivial endpoint added to the same app and process, asked by each clerk
just before each of its commands, so it is timed under the same load at the same time (the
event loop, the projector and PostgreSQL as busy as for the commands); and a plain one-row
INSERT round trip on the same PostgreSQL, 20 connections, after the load.

`python -m bench.bench_api serve DATABASE_URL PORT` is the board process the benchmark starts.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from uuid import UUID, uuid4

import httpx
import psycopg
import uvicorn
from argon2 import PasswordHasher

from api.app import create_app
from api.config import BoardConfig
from api.deps import POSITION_HEADER
from api.reads_projections import ProjectionReads
from api.users import UserStore
from application.office import LiaisonOffice
from bench import synthetic
from bench.common import Figure, percentile, scratch_database, show
from domain.roles import Role
from projections.catalog import all_models
from projections.cores import collect_seldom
from projections.runner import Projector
from workers.bootstrap import one_process_at_a_time, persistence_env

CLIENTS = 20
PER_CLIENT = 50
"""Commands each client sends at full size (1,000 in all)."""
POLL_SECONDS = 0.02
VISIBLE_TIMEOUT = 30.0
PASSWORD = "bench password"
FAST = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
RECEIVED = "received_commune"
INSERT = "INSERT INTO bench_raw_insert VALUES (%s, %s)"


def serve(db: str, port: int) -> None:
    """The board on that database, as `workers.web.serve` builds it, plus one trivial endpoint."""
    collect_seldom()  # as the web process collects (`workers.web.main`)
    env = persistence_env(db)
    with one_process_at_a_time(env):  # the benchmark builds its projector meanwhile
        office = LiaisonOffice(env=env, clock=lambda: datetime.now(UTC))
    config = BoardConfig(database_url=db, language="en", secure_cookies=False)
    app = create_app(office, ProjectionReads(db), UserStore(db), config)

    @app.get("/bench/raw")
    async def raw() -> dict[str, bool]:
        return {"ok": True}

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


def following(db: str) -> bool:
    """Whether the projector listens for the store's notifications (it has caught up once)."""
    with psycopg.connect(db, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND query LIKE 'LISTEN %%'"
        ).fetchone()
    return bool(row and row[0])


def by_commune(office: LiaisonOffice, liaisons: list[UUID], per_client: int) -> list[list[UUID]]:
    """For each of the first CLIENTS communes, `per_client` of its open liaisons."""
    wanted = {synthetic.commune(c): c for c in range(CLIENTS)}
    groups: list[list[UUID]] = [[] for _ in range(CLIENTS)]
    for liaison_id in liaisons:
        c = wanted.get(office.state_of(liaison_id).residence_commune_id or "")
        if c is not None and len(groups[c]) < per_client:
            groups[c].append(liaison_id)
            if all(len(g) == per_client for g in groups):
                break
    return groups


async def timed(call: Callable[[], Awaitable[object]]) -> float:
    """Milliseconds one call takes."""
    started = time.perf_counter()
    await call()
    return (time.perf_counter() - started) * 1000


async def trivial(http: httpx.AsyncClient, n: int) -> list[float]:
    """Latencies of the trivial endpoint, CLIENTS clients sending n requests each."""

    async def client() -> list[float]:
        out = []
        for _ in range(n):
            ms = await timed(lambda: http.get("/bench/raw"))
            out.append(ms)
        return out

    return [ms for got in await asyncio.gather(*(client() for _ in range(CLIENTS))) for ms in got]


async def inserts(db: str, n: int) -> list[float]:
    """Latencies of a one-row INSERT round trip (autocommit), CLIENTS connections, n each."""
    async with await psycopg.AsyncConnection.connect(db, autocommit=True) as conn:
        await conn.execute("CREATE TABLE bench_raw_insert (id uuid PRIMARY KEY, body text)")

    async def client() -> list[float]:
        out = []
        async with await psycopg.AsyncConnection.connect(db, autocommit=True) as conn:
            for _ in range(n):
                ms = await timed(lambda: conn.execute(INSERT, (uuid4(), "x" * 400)))
                out.append(ms)
        return out

    return [ms for got in await asyncio.gather(*(client() for _ in range(CLIENTS))) for ms in got]


async def clerk(
    http: httpx.AsyncClient, c: int, liaisons: list[UUID], today: str
) -> list[tuple[float, float, float]]:
    """One commune clerk receiving their referrals: for each, the trivial endpoint's ms asked
    just before it, and the command's acknowledged and visible ms."""
    signed = await http.post(
        "/api/auth/token", json={"username": f"clerk{c}", "password": PASSWORD}
    )
    signed.raise_for_status()
    headers = {"Authorization": f"Bearer {signed.json()['access_token']}"}
    figures = f"/api/units/{synthetic.commune(c)}/figures"

    async def count(after: int | None = None) -> int:
        params = {"after": after} if after is not None else None
        answer = await http.get(figures, headers=headers, params=params)
        answer.raise_for_status()
        return int(answer.json()["current"]["counts"][RECEIVED])

    before = await count()
    out = []
    for k, liaison_id in enumerate(liaisons, start=1):
        body = {
            "command_id": str(uuid4()),
            "effective_date": today,
            "liaison_id": str(liaison_id),
            "cell_id": synthetic.cell(c),
        }
        raw = await timed(lambda: http.get("/bench/raw"))
        started = time.perf_counter()
        answer = await http.post("/api/commands/receive-at-commune", json=body, headers=headers)
        acknowledged = time.perf_counter()
        if answer.status_code != 200:
            msg = f"receive-at-commune answered {answer.status_code}: {answer.text[:300]}"
            raise RuntimeError(msg)
        position = int(answer.headers[POSITION_HEADER])
        while await count(position) < before + k:
            if time.perf_counter() - started > VISIBLE_TIMEOUT:
                msg = f"command {k} of clerk{c} not on the dashboard after {VISIBLE_TIMEOUT} s"
                raise TimeoutError(msg)
            await asyncio.sleep(POLL_SECONDS)
        visible = time.perf_counter()
        out.append((raw, (acknowledged - started) * 1000, (visible - started) * 1000))
    return out


async def _load(db: str, port: int, groups: list[list[UUID]]) -> dict[str, list[float]]:
    limits = httpx.Limits(max_connections=2 * CLIENTS, max_keepalive_connections=2 * CLIENTS)
    base = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as http:
        await trivial(http, 2)  # warm the connections and the board
        today = synthetic.today().isoformat()
        results = await asyncio.gather(*(clerk(http, c, g, today) for c, g in enumerate(groups)))
    pairs = [p for got in results for p in got]
    return {
        "raw": [r for r, _, _ in pairs],
        "insert": await inserts(db, max(3, len(groups[0]))),
        "ack": [a for _, a, _ in pairs],
        "visible": [v for _, _, v in pairs],
    }


async def _users(db: str) -> None:
    users = UserStore(db, hasher=FAST)
    await users.setup()
    for c in range(CLIENTS):
        await users.add(f"clerk{c}", PASSWORD, Role.COMMUNE_CLERK, synthetic.commune(c))
    await users.close()


def run(url: str, members: int) -> list[Figure]:
    """A store of max(members, CLIENTS) referred members; CLIENTS clerks receive theirs."""
    per_client = max(1, min(PER_CLIENT, members // CLIENTS))
    members = max(members, CLIENTS * per_client)
    with scratch_database(url, "bench_api") as db:
        office = LiaisonOffice(env=persistence_env(db), clock=lambda: datetime.now(UTC))
        port = synthetic.free_port()
        serving = [sys.executable, "-m", "bench.bench_api", "serve", db, str(port)]
        with synthetic.process(serving) as board:  # starts while the store is written
            communes = max(CLIENTS, members // 500)
            liaisons = synthetic.load(office, members, communes, False)
            groups = by_commune(office, liaisons, per_client)
            office.close()
            with one_process_at_a_time(persistence_env(db)):  # the board may be starting
                projector = Projector(persistence_env(db), all_models())
            projector.catch_up()  # the board starts on a caught-up read side
            projector.close()
            asyncio.run(_users(db))
            env = {"DATABASE_URL": db}
            with synthetic.process([sys.executable, "-m", "workers.projector"], env) as follower:

                def up() -> bool:
                    follower.check("projector")
                    board.check("board")
                    return synthetic.listening(port) and following(db)

                synthetic.wait_for(up, "board and projector")
                try:
                    got = asyncio.run(_load(db, port, groups))
                except httpx.HTTPStatusError as error:  # say why, from the board's own log
                    said = board.log.read_text(errors="replace")[-3000:]
                    msg = f"{error}\nthe board's log ends:\n{said}"
                    raise RuntimeError(msg) from error
                follower.check("projector")
    n = len(got["ack"])
    print(
        f"API: {n:,} receive-at-commune commands by {CLIENTS} clerks ({members:,} members in the"
        f" store); each client waits until the dashboard shows its command before the next",
        flush=True,
    )
    trivial_p50 = ("trivial endpoint p50, same app and clients, between the commands", "raw")
    trivial_p99 = ("trivial endpoint p99", "raw")
    insert_p99 = ("plain one-row INSERT p99, 20 connections", "insert")
    acknowledged, visible = "API command acknowledged", "API command visible on the dashboard"
    return show(
        [
            _ms(got, acknowledged, "ack", 0.5, trivial_p50),
            _ms(got, acknowledged, "ack", 0.99, trivial_p99, ceiling=50),
            _ms(got, acknowledged, "ack", 0.99, insert_p99),
            _ms(got, visible, "visible", 0.5),
            _ms(got, visible, "visible", 0.99, trivial_p99, ceiling=1000),
        ]
    )


def _ms(
    got: dict[str, list[float]],
    name: str,
    key: str,
    share: float,
    raw: tuple[str, str] | None = None,
    ceiling: float | None = None,
) -> Figure:
    """The `share` percentile of the latencies under `key`, beside the raw one named in `raw`."""
    raw_name, raw_value = (raw[0], percentile(got[raw[1]], share)) if raw else ("", 0.0)
    label = f"{name}, p{round(share * 100)}"
    return Figure(label, percentile(got[key], share), "ms", raw_name, raw_value, ceiling=ceiling)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "serve":
        serve(sys.argv[2], int(sys.argv[3]))
    else:
        from bench.common import bench_url

        run(bench_url(), int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
