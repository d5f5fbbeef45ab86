"""The board's pages render for every role, in Vietnamese and English, and refuse other subtrees."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from application.office import LiaisonOffice
from projections import liaisons, lists
from projections.dashboard import Period
from tests.api.conftest import USERS, Auth
from tests.api.test_commands import attending, referred
from tests.api.test_signin import web_sign_in
from tests.integration import province as p

PAGES = [
    "/",
    f"/?unit={p.PROVINCE}",
    f"/figures?unit={p.PROVINCE}",
    "/forms/refer",
    "/forms/receive",
    "/forms/meeting",
    "/forms/assess",
    "/forms/report",
    "/forms/requests",
    "/forms/escalations",
    "/notifications",
    "/audit",
    "/audit?actor=clerk&recorded_from=2026-01-01T00:00&recorded_to=",
    "/inspect",
    f"/inspect?unit={p.PROVINCE}&on=2025-12-31&compare_on=2026-11-01&recorded=",
    f"/list/in_scope?unit={p.PROVINCE}",
]


@pytest.mark.parametrize("username", ["clerk", "commune", "secretary", "supervisor", "inspector"])
async def test_every_page_renders(client: httpx.AsyncClient, auth: Auth, username: str) -> None:
    member_id, _ = await attending(client, auth)
    await web_sign_in(client, username)
    own = USERS[username][1]
    for page in PAGES:
        path = page.replace(f"unit={p.PROVINCE}", f"unit={own}")
        response = await client.get(path)
        assert response.status_code == 200, (path, response.text[:500])
        assert '<html lang="vi">' in response.text
    member = await client.get(f"/members/{member_id}")
    assert member.status_code == 200
    assert "Chi bộ tiếp nhận" in member.text


async def test_the_language_switch(client: httpx.AsyncClient) -> None:
    csrf = await web_sign_in(client, "clerk")
    switched = await client.post(
        "/lang", data={"to": "en", "csrf": csrf}, headers={"referer": "/forms/refer"}
    )
    assert switched.headers["location"] == "/forms/refer"
    page = await client.get("/forms/refer")
    assert '<html lang="en">' in page.text
    assert "Refer a member" in page.text


async def test_other_subtrees_are_refused_on_pages(client: httpx.AsyncClient, auth: Auth) -> None:
    member_id, _ = await attending(client, auth)
    await web_sign_in(client, "clerk2")
    for path, status in (
        (f"/members/{member_id}", 404),  # a record: as if it did not exist
        (f"/?unit={p.WORKPLACE}", 403),
        (f"/figures?unit={p.WORKPLACE}", 403),
        (f"/audit?unit={p.WORKPLACE}", 403),
        (f"/list/overdue?unit={p.CELL}", 403),
    ):
        response = await client.get(path)
        assert response.status_code == status, path
        assert 'role="alert"' in response.text


async def test_the_dashboard_figures_follow_the_read_models(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    await attending(client, auth, 1)
    await attending(client, auth, 2)
    await referred(client, auth, 3)
    figures = await client.get(f"/api/units/{p.PROVINCE}/figures", headers=await auth("inspector"))
    current = figures.json()["current"]
    assert current["counts"]["in_scope"] == 3
    assert current["counts"]["referred"] == 3
    assert current["counts"]["received"] == 2
    assert current["counts"]["awaiting_receipt"] == 1
    assert current["counts"]["not_assessed"] == 2
    assert current["counts"]["escalations_open"] == 0
    assert current["stages"]["attending"] == 2
    assert current["stages"]["referred"] == 1
    # Expected meetings are those due by the date seen (22 November: one six-monthly meeting).
    assert current["meetings_expected"] == 1
    assert figures.json()["previous"]["counts"]["in_scope"] == 0
    rows = await client.get(f"/api/units/{p.CELL}/lists/in_scope", headers=await auth("secretary"))
    assert sorted(r["name"] for r in rows.json()) == ["Đảng viên 1", "Đảng viên 2"]


async def test_a_page_counts_liaison_by_liaison_only_what_it_draws(
    client: httpx.AsyncClient, auth: Auth, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The stage funnel and the overdue units are counted liaison by liaison (seconds for a
    merged province): the statistics page counts the funnel of both years and the overdue units
    of this one, which its charts draw; an inspection, which draws no chart, counts neither."""
    await attending(client, auth, 1)
    counted: list[tuple[str, int]] = []

    def watched(name: str, read: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        async def counting(conn: Any, period: Period, *args: Any) -> Any:
            counted.append((name, period.the_year))
            return await read(conn, period, *args)

        return counting

    monkeypatch.setattr(liaisons, "stages", watched("stages", liaisons.stages))
    monkeypatch.setattr(lists, "breakdown", watched("overdue", lists.breakdown))
    await web_sign_in(client, "inspector")
    inspection = f"/inspect?unit={p.PROVINCE}&on=2026-11-01&compare_on=2025-12-31"
    assert (await client.get(inspection)).status_code == 200
    assert counted == []
    statistics = await client.get(f"/figures?unit={p.PROVINCE}")
    assert statistics.status_code == 200
    year = p.TODAY.year
    assert sorted(counted) == [("overdue", year), ("stages", year - 1), ("stages", year)]
    assert 'data-metric="in_scope">1<' in statistics.text  # what it draws is still counted


async def test_a_refused_form_keeps_its_command_id_and_what_was_typed(
    client: httpx.AsyncClient, office: LiaisonOffice
) -> None:
    """Sending it again after a refusal is safe (same id) and nothing is typed twice."""
    csrf = await web_sign_in(client, "clerk", page="/forms/refer")
    command_id = "5b0a3f7e-2c41-4d7e-9a3b-0c6f1e2d3a4b"
    office.id_namespace()  # the store's first card look-up records it: counted before
    before = p.event_count(office)
    answer = await client.post("/forms/refer", data={
        "csrf": csrf, "command_id": command_id, "command": ["register-member", "refer"],
        "name": "Lê Thị Trẻ", "birth_date": "2015-01-01", "party_card_number": "93000555",
        "residence_commune_id": p.COMMUNE, "comment": "GT số 7",
    })  # fmt: skip
    assert answer.status_code == 409, answer.text[-500:]
    assert 'role="alert"' in answer.text
    assert f'name="command_id" value="{command_id}"' in answer.text
    for typed in ("Lê Thị Trẻ", "2015-01-01", "93000555", "GT số 7"):
        assert f'value="{typed}"' in answer.text
    assert p.event_count(office) == before + 1  # the refusal's audit record, nothing else
