"""The trail and its proof through the API: evidence the CLI checks, audit pages, the seal."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import psycopg
import pytest
from psycopg import sql

from application.office import LiaisonOffice
from projections import evidence
from tests.api.conftest import Auth
from tests.api.test_commands import attending, referred
from tests.api.test_permissions import refusals
from tests.api.test_signin import signed_in_page, web_sign_in
from tests.integration import province as p


def tamper(pg_url: str, position: int) -> None:
    """Edit one stored event's bytes in place, as someone with database access might."""
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(
            "UPDATE liaisonoffice_events SET state = convert_to(replace("
            "convert_from(state, 'UTF8'), '1980-01-01', '1980-01-02'), 'UTF8')"
            " WHERE notification_id = %s",
            (position,),
        )


def registered_position(pg_url: str, *, newest: bool = False) -> int:
    """The notification id of the first (or the newest) member's registration."""
    pick = sql.SQL("max" if newest else "min")
    with psycopg.connect(pg_url) as conn:
        row = conn.execute(
            sql.SQL(
                "SELECT {}(notification_id) FROM liaisonoffice_events"
                " WHERE topic LIKE '%MemberRegistered'"
            ).format(pick)
        ).fetchone()
    assert row is not None
    return int(row[0])


async def test_the_evidence_download_is_the_file_the_cli_checks(
    client: httpx.AsyncClient, auth: Auth, pg_url: str, tmp_path: Path
) -> None:
    await attending(client, auth)
    inspector = await auth("inspector")
    api = await client.get(
        f"/api/units/{p.PROVINCE}/evidence", params={"on": "2026-11-01"}, headers=inspector
    )
    assert api.status_code == 200, api.text
    page = await signed_in_page(
        client, "inspector", f"/inspect/evidence?unit={p.PROVINCE}&on=2026-11-01"
    )
    assert "attachment" in page.headers["content-disposition"]
    for name, data in (("api.json", api.json()), ("page.json", page.json())):
        assert data["format"] == evidence.FORMAT
        assert data["seal"]["position"] > 0
        file = tmp_path / name
        file.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        assert await evidence.check(pg_url, json.loads(file.read_text(encoding="utf-8"))) == []
    tamper(pg_url, registered_position(pg_url))
    problems = await evidence.check(pg_url, json.loads((tmp_path / "api.json").read_text()))
    assert problems
    assert "seal broken" in problems[0]
    assert "changed after it was sealed" in problems[0]


async def test_the_audit_trail_pages_and_filters(client: httpx.AsyncClient, auth: Auth) -> None:
    for n in range(1, 4):
        await attending(client, auth, n)
    clerk = await auth("clerk")
    path = f"/api/units/{p.PROVINCE}/audit"
    everything = (await client.get(path, headers=await auth("supervisor"))).json()
    assert everything["next_after"] is None
    ids = [r["notification_id"] for r in everything["rows"]]
    seen: list[int] = []
    after = None
    while True:
        params = {"limit": 4, **({"after": after} if after is not None else {})}
        found = await client.get(path, params=params, headers=await auth("supervisor"))
        assert found.status_code == 200, found.text
        page = found.json()
        assert len(page["rows"]) <= 4
        seen += [r["notification_id"] for r in page["rows"]]
        after = page["next_after"]
        if after is None:
            break
    assert seen == ids
    assert len(ids) > 8
    mine = await client.get(path.replace(p.PROVINCE, p.WORKPLACE), params={"actor": "secretary"},
                            headers=clerk)  # fmt: skip
    assert {r["actor_id"] for r in mine.json()["rows"]} == {"secretary"}
    last = everything["rows"][-1]["recorded_at"]
    late = await client.get(path, params={"recorded_from": last}, headers=clerk)
    assert late.status_code == 403  # the clerk's subtree is W, not P
    late = await client.get(
        path.replace(p.PROVINCE, p.WORKPLACE), params={"recorded_from": last}, headers=clerk
    )
    assert all(r["recorded_at"] >= last for r in late.json()["rows"])
    early = await client.get(
        path.replace(p.PROVINCE, p.WORKPLACE), params={"recorded_to": last}, headers=clerk
    )
    assert all(r["recorded_at"] <= last for r in early.json()["rows"])
    assert (await client.get(path, params={"limit": 0}, headers=clerk)).status_code == 422


async def test_the_audit_page_links_its_pages(client: httpx.AsyncClient, auth: Auth) -> None:
    for n in range(1, 40):
        await referred(client, auth, n)  # three events each: more than one page of 100
    first = await signed_in_page(client, "clerk", "/audit?actor=clerk")
    assert 'rel="next"' in first.text
    assert 'rel="first"' not in first.text
    next_link = first.text.split('rel="next"')[0].rsplit('href="', 1)[1].split('"')[0]
    second = await client.get(next_link.replace("&amp;", "&"))
    assert second.status_code == 200
    assert 'rel="first"' in second.text
    assert 'rel="next"' not in second.text
    assert "actor=clerk" in next_link


@pytest.mark.parametrize(
    ("username", "status"),
    [("inspector", 200), ("supervisor", 200), ("admin", 200), ("inspector2", 200),
     ("clerk", 403), ("commune", 403), ("secretary", 403), ("committee", 403)],
)  # fmt: skip
async def test_only_inspectors_supervisors_and_administrators_verify_the_seal(
    client: httpx.AsyncClient, auth: Auth, office: LiaisonOffice, username: str, status: int
) -> None:
    await referred(client, auth)
    headers = await auth(username)
    head = await client.get("/api/seal", headers=headers)
    assert head.status_code == 200
    assert head.json()["verified"] is None
    response = await client.get("/api/seal?verify=true", headers=headers)
    assert response.status_code == status, response.text
    if status == 403:
        assert response.json()["code"] == "out_of_scope"
        assert refusals(office) == 1
        await web_sign_in(client, username)
        page = await client.get("/inspect?verify=true")
        assert page.status_code == 403
        assert "Kiểm tra niêm phong" not in (await client.get("/inspect")).text
    else:
        assert response.json()["verified"] is True
        assert refusals(office) == 0


async def test_the_seal_is_verified_incrementally(
    client: httpx.AsyncClient, auth: Auth, pg_url: str
) -> None:
    await referred(client, auth, 1)
    inspector = await auth("inspector")
    first = (await client.get("/api/seal?verify=true", headers=inspector)).json()
    assert first["verified"] is True
    assert first["recomputed"] == first["checked"] == first["position"] > 0
    again = (await client.get("/api/seal?verify=true", headers=inspector)).json()
    assert (again["verified"], again["recomputed"], again["checked"]) == (True, 0, first["checked"])
    await referred(client, auth, 2)
    later = (await client.get("/api/seal?verify=true", headers=inspector)).json()
    added = later["position"] - first["position"]
    assert added > 0
    assert (later["verified"], later["recomputed"]) == (True, added)
    assert later["checked"] == first["checked"] + added
    await referred(client, auth, 3)
    newest = registered_position(pg_url, newest=True)
    await client.get("/api/seal", headers=inspector)  # the projector seals the new events
    tamper(pg_url, newest)
    broken = (await client.get("/api/seal?verify=true", headers=inspector)).json()
    assert (broken["verified"], broken["broken_at"], broken["problem"]) == (
        False, newest, "altered",
    )  # fmt: skip
