"""The board's heaviest pages for the whole province and its largest commune (target < 1 s),
beside the least work of the same reads in the same run.

- Statistics page (`/figures`): `ProjectionReads.figures` for the year and the year before, as
  the page asks them (`api.reads.with_year_before`, two pooled connections at once): the
  dashboard and the stage funnel of both, the overdue breakdown by unit of the year. Raw limit:
  a `count(*)` over the fact table, as for the inspections (`bench_asof`), which time the
  dashboard alone (as the board's inspection page reads it).
- Worklist states of the largest commune (the home of the clerks and secretaries, and every work
  form: receive, meeting, assess, report, requests, opened at a commune or smaller): the latest
  state of every liaison of the unit, read and parsed (`ProjectionReads.states`). Raw limit: the
  same rows read as text, unparsed (`projections.liaisons.state_rows`). Nothing reads a
  province's (a work form there offers the units beneath; the supervisors' homes read the kept
  steps; the API's list of liaisons reads columns).
- The first page of the province's open liaisons as `GET /api/units/{id}/liaisons` reads it
  (`ProjectionReads.liaisons`), beside the same rows fetched (`projections.liaisons.open_rows`).
- A work form posted at the province: the names of the POSTED liaisons it names, as its answer
  reads them (`ProjectionReads.states(scope, among)`), beside the same rows read unparsed.
- The first page of the list behind the province's members in scope (the statistics page's
  first number), as the board draws it, beside the page's members read by name with their facts
  counted.
- Supervisor's worklist (`/` of a supervisor, committee member or inspector): the overdue steps
  from the steps the facts model keeps, grouped into the page's lines by the database
  (`ProjectionReads.overdue`). Raw limit: a `count(*)` over those steps (the `task` table).

Each is timed three times and the median reported. A figure over its target says how far the
page is from being usable at this size; the home and the forms draw every one of those states.

Then the province's supervisor's home and statistics page under load (issue 18: the board's
province home p99 under 1 s with 20 clients): CLIENTS clients at once, each asking for the page
ROUNDS times one after another through the board's own reads (one `ProjectionReads`, its pool of
connections, as one web process holds it). Raw limit, same run: the least read of that pool (a
`SELECT 1` on a pooled connection) asked by each client just before each page, so it waits for
the same pool and event loop under the same load at the same time. The p99 of each is reported.
Twice: every client asking the same page (the province's supervisors at once: equal reads are
shared, `api.alike`), then each client the page on a date of its own (none can share a read: what
each page costs when twenty different ones are asked at once).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from functools import partial
from typing import Any
from urllib.parse import quote

from api.reads import FIGURE_OF, Metric, Scope, with_year_before
from api.reads_projections import ProjectionReads
from api.routes_queries import PAGE
from api.web.pages_board import LIST_PAGE
from api.web.pages_home import LINES_SHOWN, MEMBERS_SHOWN, item
from bench.bench_asof import _LARGEST_COMMUNE, LIMIT_SECONDS, Seconds, _median
from bench.common import Figure, percentile, projected_province, show
from projections import dashboard, liaisons, lists, reads
from projections.dashboard import Period
from workers.province.demo_tree import PROVINCE

UNTIL = date(2025, 12, 31)
ON = UNTIL
READ_MODELS = ("units", "facts", "timeline", "escalations")
"""The read models the statistics page and the worklist read."""
CLIENTS = 20
ROUNDS = 10
"""Pages each client asks for under load, one after another (200 in all)."""


async def _under_load(
    board: ProjectionReads, page: Callable[[Scope], Awaitable[Any]], scopes: list[Scope]
) -> tuple[list[float], list[float]]:
    """The page's wall times, and those of the pool's least read asked by each client just
    before each page, with CLIENTS clients at once, client i asking for `scopes[i]`'s."""
    pages: list[float] = []
    least: list[float] = []

    async def client(scope: Scope) -> None:
        for _ in range(ROUNDS):
            started = time.perf_counter()
            async with board.connection() as conn:
                await conn.fetchval("SELECT 1")
            least.append(time.perf_counter() - started)
            started = time.perf_counter()
            await page(scope)
            pages.append(time.perf_counter() - started)

    await asyncio.gather(*(client(scope) for scope in scopes))
    return pages, least


async def _statistics(board: ProjectionReads, scope: Scope) -> None:
    """The statistics page's reads: the year and the year before."""
    await with_year_before(board, scope)


async def _supervisor(board: ProjectionReads, scope: Scope) -> None:
    """A supervisor's home: the first open escalations and the overdue steps, drawn."""
    await board.first_escalations(scope, LINES_SHOWN)
    found = await board.overdue(scope, MEMBERS_SHOWN, LINES_SHOWN)
    [item(g, scope.on, lambda _: True) for g in (found.groups if found else [])]


async def _loads(board: ProjectionReads, scope: Scope) -> list[Figure]:
    """The province's supervisor's home and statistics page with CLIENTS clients at once: all
    asking the same page, then each on a date of its own."""
    figures: list[Figure] = []
    own_dates = [
        scope.model_copy(update={"on": scope.on - timedelta(days=i)}) for i in range(CLIENTS)
    ]
    for asked, scopes in (("the same page", [scope] * CLIENTS), ("each its own date", own_dates)):
        for name, page in (("supervisor's home", _supervisor), ("statistics page", _statistics)):
            times, least = await _under_load(board, partial(page, board), scopes)
            figures.append(
                Seconds(
                    f"{name}, province, p99 of {len(times)} with {CLIENTS} clients at once,"
                    f" {asked}",
                    percentile(times, 0.99),
                    "s",
                    "the pool's least read p99, each client just before each page",
                    percentile(least, 0.99),
                    LIMIT_SECONDS,
                )
            )
    return figures


def on_schema(url: str, schema: str) -> str:
    """The URL with the schema as its search path (as the board is configured)."""
    return f"{url}{'&' if '?' in url else '?'}options={quote(f'-csearch_path={schema}')}"


async def _measure(url: str, schema: str) -> list[Figure]:
    conn = await reads.connect(url, schema)
    board = ProjectionReads(on_schema(url, schema))
    try:
        await conn.execute(
            "ANALYZE fact; ANALYZE liaison; ANALYZE timeline; ANALYZE facts_state; ANALYZE task"
        )
        raw = await _median(lambda: conn.fetchval("SELECT count(*) FROM fact"))
        commune = str(await conn.fetchval(_LARGEST_COMMUNE, ON))
        figures: list[Figure] = []
        for label, unit in (("province", PROVINCE), (f"commune {commune}", commune)):
            scope = Scope(unit_id=unit, year=ON.year, on=ON)
            page = await _median(partial(_statistics, board, scope))
            figures.append(
                Seconds(
                    f"statistics page, {label}", page, "s", "count(*) over fact", raw, LIMIT_SECONDS
                )
            )
            period = Period(unit, ON, None, ON.year)
            if unit == PROVINCE:
                figures.append(await _listed(conn, board, scope, period))
                figures.append(await _posted(conn, board, scope, period))
                figures.append(await _behind(conn, board, scope, period))
            else:
                figures.append(await _states(conn, board, scope, period, label))
            found = await board.overdue(scope, MEMBERS_SHOWN, LINES_SHOWN)
            lines = found.lines if found else 0
            table = await _median(lambda: conn.fetchval("SELECT count(*) FROM task"))
            home = await _median(partial(_supervisor, board, scope))
            figures.append(
                Seconds(
                    f"supervisor's worklist, {label} ({lines:,} lines overdue, the first"
                    f" {LINES_SHOWN} drawn)",
                    home,
                    "s",
                    "count(*) over task",
                    table,
                    LIMIT_SECONDS,
                )
            )
            if unit == PROVINCE:
                figures.extend(await _loads(board, scope))
        return figures
    finally:
        await board.close()
        await conn.close()


async def _beside(
    name: str, page: Callable[[], Awaitable[Any]], raw_name: str, raw: Callable[[], Awaitable[Any]]
) -> Figure:
    """A page's read (the median of `RUNS`) beside the same rows read the least costly way."""
    return Seconds(name, await _median(page), "s", raw_name, await _median(raw), LIMIT_SECONDS)


async def _states(
    conn: Any, board: ProjectionReads, scope: Scope, period: Period, label: str
) -> Figure:
    """Every state of the unit, as a work form or a clerk's home reads them, beside the same
    rows read unparsed."""
    rows = await liaisons.state_rows(conn, period)
    return await _beside(
        f"worklist states, {label} ({len(rows):,} liaisons), as a work form reads them",
        lambda: board.states(scope),
        "the same rows read unparsed",
        lambda: liaisons.state_rows(conn, period),
    )


async def _listed(conn: Any, board: ProjectionReads, scope: Scope, period: Period) -> Figure:
    """The first page of the province's open liaisons as the API reads it (`GET
    /api/units/{id}/liaisons`: the first `PAGE` by name, and one more to know there
    are more), beside the same rows fetched, not made into the API's rows."""
    first = PAGE + 1
    total = len(await liaisons.open_rows(conn, period))
    return await _beside(
        f"the first page of the province's {total:,} open liaisons, as the API lists them",
        lambda: board.liaisons(scope, first),
        "the same rows fetched",
        lambda: liaisons.open_rows(conn, period, first),
    )


async def _posted(conn: Any, board: ProjectionReads, scope: Scope, period: Period) -> Figure:
    """A work form posted at the province about POSTED liaisons: their names, as its answer
    reads them, beside the same rows read unparsed."""
    ids = [r["liaison_id"] for r in await conn.fetch(_SOME_LIAISONS, POSTED)]
    return await _beside(
        f"a work form posted at the province: the names of the {len(ids)} liaisons it names",
        lambda: board.states(scope, ids),
        "the same rows read unparsed",
        lambda: liaisons.state_rows(conn, period, ids),
    )


async def _behind(conn: Any, board: ProjectionReads, scope: Scope, period: Period) -> Figure:
    """The first page of the list behind the province's first number, its members in scope (each
    number of the statistics page opens its list), as the board draws it, beside the page's
    members read by name and every fact of theirs counted (the least a page found by walking the
    members reads: `lists.members_behind`)."""
    units = await dashboard.scope(conn, period.unit_id, period.end)
    rows = f"SELECT count(*) FROM ({lists.figure_rows(FIGURE_OF[Metric.IN_SCOPE])}) x"
    total = await conn.fetchval(await dashboard.subtree_sql(conn, rows, units), *period.args(units))
    return await _beside(
        f"the first page of the list behind the province's members in scope ({LIST_PAGE} of"
        f" {total:,}), as the board draws it",
        lambda: board.rows(scope, Metric.IN_SCOPE, None, 1, LIST_PAGE),
        "the page's members by name, their facts counted",
        lambda: conn.fetch(_PAGE_MEMBERS, LIST_PAGE + 1),
    )


_PAGE_MEMBERS = (
    "SELECT m.member_id, m.name, (SELECT count(*) FROM fact f WHERE f.member_id = m.member_id)"
    " FROM member m ORDER BY m.name_folded, m.member_id LIMIT $1"
)
"""The first $1 members by name, each with how many facts name them."""


POSTED = 50
"""Liaisons one post of a work form names (a commune's "receive all", say)."""
_SOME_LIAISONS = "SELECT liaison_id FROM liaison ORDER BY md5(liaison_id::text) LIMIT $1"


def run(url: str, members: int, seed: int = 1) -> list[Figure]:
    """Import a demo province, catch the board's read models up, then time its heaviest pages."""
    with projected_province(url, members, seed, UNTIL, READ_MODELS, "board") as schema:
        return show(asyncio.run(_measure(url, schema)))


if __name__ == "__main__":
    import sys

    from bench.common import run_alone

    run_alone(run, sys.argv)
