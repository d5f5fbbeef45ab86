"""The province's home and statistics asked by many at once are read once or twice, not by each.

Real PostgreSQL and the projector: the board's reads count how often they go to the database
(their `fresh` hook runs before each connection is used) and answer as lone reads do.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from api.reads import Scope
from api.reads_projections import ProjectionReads
from projections.runner import Projector
from tests.api.conftest import Auth, catching_up
from tests.api.test_commands import referred
from tests.integration import province as p

ASKERS = 20


class Counted:
    """The board's reads, catching the projector up and counting each trip to the database."""

    def __init__(self, projector: Projector, url: str) -> None:
        self.trips = 0
        catch_up = catching_up(projector)

        async def fresh() -> int:
            self.trips += 1
            return await catch_up()

        self.reads = ProjectionReads(url, fresh=fresh)


@pytest.fixture
async def counted(projector: Projector, pg_url: str) -> AsyncIterator[Counted]:
    counted = Counted(projector, pg_url)
    yield counted
    await counted.reads.close()


async def test_twenty_supervisors_at_once_cost_at_most_two_reads_of_each_and_see_what_one_sees(
    client: httpx.AsyncClient, auth: Auth, counted: Counted
) -> None:
    await referred(client, auth)
    reads = counted.reads
    scope = Scope(unit_id=p.PROVINCE, year=p.YEAR, on=p.TODAY)
    alone = (
        await reads.figures(scope),
        await reads.overdue(scope, 10, 20),
        await reads.first_escalations(scope, 20),
    )
    assert sum(alone[0].counts.values()) > 0  # the referral is counted

    counted.trips = 0
    at_once = await asyncio.gather(
        *(
            asyncio.gather(
                reads.figures(scope),
                reads.overdue(scope, 10, 20),
                reads.first_escalations(scope, 20),
            )
            for _ in range(ASKERS)
        )
    )
    assert all(tuple(answers) == alone for answers in at_once)
    assert counted.trips <= 2 * 3  # of 60 pages' reads: at most one running and one next of each

    other = Scope(unit_id=p.COMMUNE, year=p.YEAR, on=p.TODAY)
    counted.trips = 0
    await asyncio.gather(reads.figures(scope), reads.figures(other))
    assert counted.trips == 2  # another unit's figures are not the province's
