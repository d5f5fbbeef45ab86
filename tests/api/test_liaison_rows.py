"""`GET /api/units/{id}/liaisons` reads its rows from the facts model's columns (issue 18): it
parsed every state of the unit (7.9 s for a province of 50,000 members, some 49 s at 300,000).
The rows are still those the states give."""

from __future__ import annotations

import json
from base64 import urlsafe_b64encode
from datetime import date
from typing import Any

import httpx
import pytest

from api.reads import Scope
from api.reads_projections import ProjectionReads
from application.office import LiaisonOffice
from domain.state import Stage
from projections import liaisons
from tests.api.conftest import Auth, pages_of
from tests.api.test_commands import referred
from tests.api.test_rendering import record_the_year
from tests.integration import province as p


async def test_the_open_liaisons_are_those_the_states_give(
    client: httpx.AsyncClient, auth: Auth, office: LiaisonOffice, reads: ProjectionReads,
    pg_url: str,
) -> None:  # fmt: skip
    members = await record_the_year(client, auth, office, pg_url)
    supervisor = await auth("supervisor")
    stages: set[Any] = set()
    for unit in (p.PROVINCE, p.WORKPLACE, "W2", p.COMMUNE, p.CELL, "X2"):
        for on in (p.TODAY, date(2026, 3, 1), p.REFERRED_ON):
            answer = await client.get(
                f"/api/units/{unit}/liaisons", params={"on": on.isoformat()}, headers=supervisor
            )
            assert answer.status_code == 200, answer.text
            states = await reads.states(Scope(unit_id=unit, year=on.year, on=on))
            expected = sorted(
                (
                    {
                        "member_id": str(s.member_id), "name": s.member_name,
                        "liaison_id": str(s.liaison_id), "workplace_unit_id": s.workplace_unit_id,
                        "unit_id": None, "residence_commune_id": s.residence_commune_id,
                        "cell_id": s.cell_id, "stage": s.stage.value, "detail": None,
                    }
                    for s in states
                    if s.stage is not Stage.CLOSED
                ),
                key=lambda r: (r["name"], r["liaison_id"]),
            )  # fmt: skip
            assert answer.json() == expected, (unit, on)
            stages |= {r["stage"] for r in expected}
    # Every stage but the closed one was listed somewhere; the closed liaison nowhere.
    assert stages == {s.value for s in Stage} - {Stage.CLOSED.value}
    province = await client.get(f"/api/units/{p.PROVINCE}/liaisons", headers=supervisor)
    assert members["closed"] not in {r["member_id"] for r in province.json()}
    assert len(province.json()) == len(members) - 1


async def test_the_list_comes_a_page_at_a_time_and_its_cursor_reveals_nothing(
    client: httpx.AsyncClient, auth: Auth, office: LiaisonOffice
) -> None:
    """A province's open liaisons are hundreds of thousands: the API answers a page at a time,
    the `Link` header giving the next; a cursor carries its own row, so one made up to sit
    beside another subtree's member learns nothing of them; a malformed one is refused."""
    for n in range(1, 6):
        await referred(client, auth, n)
    supervisor = await auth("supervisor")
    whole = (await client.get(f"/api/units/{p.PROVINCE}/liaisons", headers=supervisor)).json()
    assert len(whole) == 5
    pages = await pages_of(client, supervisor, f"/api/units/{p.PROVINCE}/liaisons?limit=2")
    assert [len(page) for page in pages] == [2, 2, 1]
    assert [row for page in pages for row in page] == whole
    # The neighbouring commune's clerk, with a cursor naming the province's second row: their
    # own rows after it (none: their commune has no liaison), nothing of the province's.
    cursor = urlsafe_b64encode(json.dumps([whole[1]["name"], whole[1]["liaison_id"]]).encode())
    neighbour = await client.get(
        "/api/units/X2/liaisons", params={"cursor": cursor.decode()}, headers=await auth("commune2")
    )
    assert neighbour.status_code == 200
    assert neighbour.json() == []
    before = p.event_count(office)
    for bad in ("not-a-cursor", urlsafe_b64encode(b'["a"]').decode(), "W10=", "e30="):
        refused = await client.get(
            f"/api/units/{p.PROVINCE}/liaisons", params={"cursor": bad}, headers=supervisor
        )
        assert refused.status_code == 422, (bad, refused.text)
        assert refused.json()["code"] == "malformed"
    assert p.event_count(office) == before + 4  # each refusal's audit row
    too_many = await client.get(
        f"/api/units/{p.PROVINCE}/liaisons", params={"limit": 10_001}, headers=supervisor
    )
    assert too_many.status_code == 422


async def test_the_list_behind_a_figure_comes_a_page_at_a_time(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    """The members behind a province's figure run to hundreds of thousands: the API answers
    them a page at a time, the `Link` header giving the next, as the board's list pages do."""
    for n in range(1, 6):
        await referred(client, auth, n)
    inspector = await auth("inspector")
    path = f"/api/units/{p.PROVINCE}/lists/in_scope"
    whole = (await client.get(path, headers=inspector)).json()
    assert len(whole) == 5
    pages = await pages_of(client, inspector, f"{path}?limit=2")
    assert [len(page) for page in pages] == [2, 2, 1]
    assert [row for page in pages for row in page] == whole
    beyond = await client.get(path, params={"page": 4, "limit": 2}, headers=inspector)
    assert (beyond.status_code, beyond.json(), "link" in beyond.headers) == (200, [], False)


async def test_a_page_walked_by_name_is_the_page_found_through_the_units(
    client: httpx.AsyncClient, auth: Auth, office: LiaisonOffice, pg_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """A subtree holding most of the tree (a province) is paged by walking its members in name
    order, each one's liaisons tested against the subtree; any other by finding its liaisons
    through their units and sorting them. Either way, for every unit, date and page: the same
    rows, in the same order."""
    await record_the_year(client, auth, office, pg_url)
    supervisor = await auth("supervisor")
    answers: dict[float, list[Any]] = {}
    for walk_from in (0.0, 1.0):  # every subtree walked; none
        monkeypatch.setattr(liaisons, "WALK_FROM", walk_from)
        got = answers.setdefault(walk_from, [])
        for unit in (p.PROVINCE, p.WORKPLACE, "W2", p.COMMUNE, p.CELL, "X2"):
            for on in (p.TODAY, date(2026, 3, 1), p.REFERRED_ON):
                path = f"/api/units/{unit}/liaisons?on={on.isoformat()}&limit=2"
                got.append((unit, on, await pages_of(client, supervisor, path)))
    assert answers[0.0] == answers[1.0]
    assert sum(len(page) for *_, pages in answers[0.0] for page in pages) > 20
    assert max(len(pages) for *_, pages in answers[0.0]) > 2  # a cursor followed
