"""Read your own writes: a command answers with its log position, a read `after` it waits for it.

The board here reads the projector's tables as they stand (no catch-up hook): the projector runs
only when a test says so, as the real projector process would, later.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from typing import Any
from uuid import uuid4

import httpx
import pytest

from api import deps
from api.reads_projections import ProjectionReads
from application.office import LiaisonOffice
from projections import reads as reads_module
from projections.runner import Projector
from tests.api.conftest import Auth, body
from tests.api.test_commands import post, referred
from tests.api.test_signin import web_sign_in
from tests.integration import province as p


@pytest.fixture
async def reads(projector: Projector, pg_url: str) -> AsyncIterator[ProjectionReads]:
    """The board's reads with no catch-up of their own: only the projector moves the tables."""
    reads = ProjectionReads(pg_url)
    yield reads
    await reads.close()


def head(office: LiaisonOffice) -> int:
    """The highest notification id in the store."""
    found: int = office.recorder.max_notification_id() or 0  # type: ignore[attr-defined]
    return found


async def received_at_commune(
    client: httpx.AsyncClient, headers: dict[str, str], **params: Any
) -> httpx.Response:
    """The commune's dashboard figures."""
    answer = await client.get(f"/api/units/{p.COMMUNE}/figures", headers=headers, params=params)
    assert answer.status_code == 200, answer.text
    return answer


def count(answer: httpx.Response) -> int:
    """Liaisons received by the commune this year, as the dashboard counts them."""
    return int(answer.json()["current"]["counts"]["received_commune"])


async def test_a_read_after_a_command_waits_for_the_projector_and_shows_it(
    client: httpx.AsyncClient, auth: Auth, office: LiaisonOffice, projector: Projector
) -> None:
    _, liaison_id = await referred(client, auth)
    commune = await auth("commune")
    projector.catch_up()
    before = count(await received_at_commune(client, commune))

    command = body(p.COMMUNE_RECEIVED_ON, liaison_id=liaison_id, cell_id=p.CELL)
    answer = await post(client, commune, "receive-at-commune", **command)
    assert answer.status_code == 200, answer.text
    position = int(answer.headers[deps.POSITION_HEADER])
    assert position == head(office)
    assert count(await received_at_commune(client, commune)) == before  # not projected yet

    later = threading.Timer(0.3, projector.catch_up)  # the projector comes round after the read
    later.start()
    try:
        seen = await received_at_commune(client, commune, after=position)
    finally:
        later.join()
    assert int(seen.headers[deps.PROJECTED_HEADER]) >= position
    assert count(seen) == before + 1


async def test_a_read_whose_projector_is_stopped_says_how_far_it_got(
    client: httpx.AsyncClient,
    auth: Auth,
    projector: Projector,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(deps, "CATCH_UP_SECONDS", 0.2)
    _, liaison_id = await referred(client, auth)
    projector.catch_up()
    reached = projector.head()
    commune = await auth("commune")
    command = body(p.COMMUNE_RECEIVED_ON, liaison_id=liaison_id, cell_id=p.CELL)
    position = int((await post(client, commune, "receive-at-commune", **command)).headers[
        deps.POSITION_HEADER
    ])  # fmt: skip

    stale = await received_at_commune(client, commune, after=position)
    assert int(stale.headers[deps.PROJECTED_HEADER]) == reached < position


async def test_a_duplicate_or_refused_command_names_no_position(
    client: httpx.AsyncClient, auth: Auth, office: LiaisonOffice
) -> None:
    _, liaison_id = await referred(client, auth)
    commune = await auth("commune")
    command = body(p.COMMUNE_RECEIVED_ON, liaison_id=liaison_id, cell_id=p.CELL)
    first = await post(client, commune, "receive-at-commune", **command)
    written = head(office)
    again = await post(client, commune, "receive-at-commune", **command)
    refused = await post(
        client, commune, "receive-at-commune", **body(liaison_id=liaison_id, cell_id=p.CELL)
    )
    assert (first.status_code, again.status_code, refused.status_code) == (200, 200, 409)
    assert deps.POSITION_HEADER in first.headers
    assert deps.POSITION_HEADER not in again.headers
    assert deps.POSITION_HEADER not in refused.headers
    assert head(office) == written + 1  # the refusal's audit record, and nothing else


async def test_after_must_be_a_position_and_the_reader_signed_in(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    commune = await auth("commune")
    negative = await client.get(
        f"/api/units/{p.COMMUNE}/figures", headers=commune, params={"after": -1}
    )
    anonymous = await client.get(f"/api/units/{p.COMMUNE}/figures", params={"after": 1})
    assert (negative.status_code, anonymous.status_code) == (422, 401)


async def test_the_receive_form_redrawn_after_a_receipt_no_longer_offers_that_member(
    client: httpx.AsyncClient, auth: Auth, projector: Projector
) -> None:
    _, liaison_id = await referred(client, auth)
    projector.catch_up()
    csrf = await web_sign_in(client, "commune", page="/forms/receive")
    offered = f'name="cell_id.{liaison_id}"'
    assert offered in (await client.get("/forms/receive")).text

    later = threading.Timer(0.3, projector.catch_up)  # the projector comes round after the post
    later.start()
    try:
        form = {"csrf": csrf, "command_id": str(uuid4()), "liaison_id": liaison_id,
                "command": "receive-at-commune"}  # fmt: skip
        page = await client.post("/forms/receive", data={**form, "cell_id": p.CELL})
    finally:
        later.join()
    assert page.status_code == 200, page.text[:500]
    assert offered not in page.text


async def test_many_first_reads_at_once_open_one_pool(
    pg_url: str, projector: Projector, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Twenty clerks' first reads, all at once, share one pool: each used to open its own, and a
    board started under load ran PostgreSQL out of connections (a 500 in the API benchmark)."""
    opened: list[object] = []
    real = reads_module.pool

    async def counted(url: str, size: int = 4) -> object:
        await asyncio.sleep(0.05)  # opening takes a while: every first read is waiting here
        pool = await real(url, size)
        opened.append(pool)
        return pool

    monkeypatch.setattr(reads_module, "pool", counted)
    board = ProjectionReads(pg_url)

    async def read() -> int:
        async with board.connection() as conn:
            return int(await conn.fetchval("SELECT 1"))

    try:
        assert await asyncio.gather(*(read() for _ in range(20))) == [1] * 20
        assert len(opened) == 1
    finally:
        await board.close()
        for pool in opened[1:]:
            await pool.close()  # type: ignore[attr-defined]
