"""While a bulk catch-up builds the read models, the board shows how far it has got instead of
reading tables without their indexes (a province's figures took 25 s at 8,000 members, and
counted what half the log said)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Literal

import httpx
import pytest

from api.reads_projections import ProjectionReads
from application.office import LiaisonOffice
from projections.catalog import all_models
from projections.runner import Projector
from tests.api.conftest import PASSWORD
from tests.api.test_signin import web_sign_in
from tests.integration import province as p
from tests.integration.held_build import BATCH, held_build


@pytest.fixture
async def reads(pg_url: str) -> AsyncIterator[ProjectionReads]:
    """The board's reads without catching up first (the test's projectors do), looking at
    every read whether a build is under way."""
    reads = ProjectionReads(pg_url)
    reads.BUILT_SECONDS = 0.0
    yield reads
    await reads.close()


@pytest.mark.parametrize("at", ["first batch", "totals"])
async def test_the_board_shows_a_bulk_build_s_progress_not_half_built_figures(
    client: httpx.AsyncClient,
    office: LiaisonOffice,
    pg_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    at: Literal["first batch", "totals"],
) -> None:
    built = Projector(pg_env, all_models())
    await asyncio.to_thread(built.catch_up)
    await web_sign_in(client, "supervisor")
    assert (await client.get("/")).status_code == 200
    token = await client.post(
        "/api/auth/token", json={"username": "supervisor", "password": PASSWORD}
    )
    bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
    await asyncio.to_thread(built.catch_up)  # the sign-ins: every model at the log's head
    built.close()
    figures = f"/api/units/{p.PROVINCE}/figures"

    with held_build(pg_env, monkeypatch, at) as total:
        # Its first batch read: how far of the log; every event read: its totals still to come.
        percent = BATCH * 100 // total if at == "first batch" else 99
        said = (
            f"{percent}% ({BATCH}/{total} sự kiện)"
            if at == "first batch"
            else f"đã đọc xong {total} sự kiện của nhật ký; đang tính các tổng số"
        )
        for address in ("/", f"/figures?unit={p.PROVINCE}", f"/list/in_scope?unit={p.PROVINCE}"):
            page = await client.get(address)
            assert page.status_code == 503, (address, page.text[:300])
            assert "<h1>Số liệu đang được dựng</h1>" in page.text
            assert said in page.text, page.text
            assert f'<progress id="progress" max="100" value="{percent}">' in page.text
            assert '<meta http-equiv="refresh" content="10">' in page.text
        answer = await client.get(figures, headers=bearer)
        assert answer.status_code == 503
        assert answer.json()["code"] == "building"
        assert answer.headers["retry-after"] == "10"
        english = await client.get(figures, headers={**bearer, "Accept-Language": "en"})
        assert (
            f"{percent}% ({BATCH} of {total} events)"
            if at == "first batch"
            else f"read {total} events of the log; their totals are being worked out"
        ) in english.json()["message"]

    # Built: the indexes made again at its end, the board reads the figures.
    assert (await client.get("/")).status_code == 200
    assert (await client.get(figures, headers=bearer)).status_code == 200
