"""Escalations inbox and resolving, the workflows' notices, the audit trail and the seal."""

from __future__ import annotations

import re
from base64 import urlsafe_b64encode
from datetime import date
from typing import Any
from uuid import UUID, uuid4

import httpx
import psycopg
import pytest

from api import reads_projections
from api.i18n import format_date
from api.reads import Scope
from api.reads_projections import ProjectionReads
from api.web import pages_inbox
from application.office import LiaisonOffice
from domain.escalation import Step
from tests.api.conftest import Auth, body, pages_of
from tests.api.test_commands import post, referred
from tests.api.test_signin import signed_in_page, web_sign_in
from tests.integration import province as p
from workflows.outbox import Notification, PostgresOutbox

LATE = date(2026, 3, 1)  # the receipt at X was due on 9 February


async def escalated(
    client: httpx.AsyncClient, auth: Auth, office: LiaisonOffice
) -> tuple[str, str]:
    """A referral X never received, escalated to P by the workflow; (member id, escalation id)."""
    member_id, liaison_id = await referred(client, auth)
    p.escalate(office, UUID(liaison_id), LATE)
    rows = await client.get(
        f"/api/units/{p.PROVINCE}/escalations", headers=await auth("supervisor")
    )
    assert rows.status_code == 200, rows.text
    (row,) = rows.json()
    return member_id, row["escalation_id"]


async def test_the_inbox_lists_the_open_escalation_and_its_figure(
    client: httpx.AsyncClient, auth: Auth, office: LiaisonOffice
) -> None:
    member_id, _ = await escalated(client, auth, office)
    committee = await auth("committee")
    (row,) = (await client.get(f"/api/units/{p.COMMUNE}/escalations", headers=committee)).json()
    assert row["steps"] == ["ReminderSent", "DeadlineMissed", "Escalated"]
    assert (row["unit_id"], row["superior_unit_id"]) == (p.COMMUNE, p.PROVINCE)
    assert row["member_id"] == member_id
    other = await client.get("/api/units/X2/escalations", headers=await auth("committee2"))
    assert other.json() == []
    figures = await client.get(f"/api/units/{p.PROVINCE}/figures", headers=committee)
    assert figures.status_code == 403  # the committee member's subtree is X, not P
    inspector = await auth("inspector")
    figures = await client.get(f"/api/units/{p.PROVINCE}/figures", headers=inspector)
    assert figures.json()["current"]["counts"]["escalations_open"] == 1
    earlier = await client.get(f"/api/units/{p.PROVINCE}/figures?on=2026-02-28", headers=inspector)
    assert earlier.json()["current"]["counts"]["escalations_open"] == 0
    listed = await client.get(f"/api/units/{p.PROVINCE}/lists/escalations_open", headers=inspector)
    assert [(r["member_id"], r["detail"]) for r in listed.json()] == [(member_id, "receipt")]


@pytest.mark.parametrize("username", ["supervisor", "committee"])
async def test_a_superior_board_resolves_an_escalation_with_a_comment(
    client: httpx.AsyncClient, auth: Auth, office: LiaisonOffice, username: str
) -> None:
    _, escalation_id = await escalated(client, auth, office)
    headers = await auth(username)
    fields = body(escalation_id=escalation_id, comment="Đã nhắc xã tiếp nhận")
    resolved = await post(client, headers, "resolve-escalation", **fields)
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["escalation_id"] == escalation_id
    again = await post(client, headers, "resolve-escalation", **fields)  # a retry records once
    assert again.status_code == 200
    assert (await client.get(f"/api/units/{p.COMMUNE}/escalations", headers=headers)).json() == []
    twice = await post(
        client, headers, "resolve-escalation", **body(escalation_id=escalation_id, comment="x")
    )
    assert (twice.status_code, twice.json()["code"]) == (409, "wrong_state")


@pytest.mark.parametrize(
    ("username", "status", "code"),
    [
        ("secretary", 403, "out_of_scope"),
        ("commune", 403, "out_of_scope"),
        ("inspector", 403, "out_of_scope"),
        ("committee2", 404, "unknown_member"),  # another subtree: as if there were none
    ],
)
async def test_others_may_not_resolve(
    client: httpx.AsyncClient,
    auth: Auth,
    office: LiaisonOffice,
    username: str,
    status: int,
    code: str,
) -> None:
    _, escalation_id = await escalated(client, auth, office)
    headers = await auth(username)  # signing in is itself recorded
    before = p.event_count(office)
    response = await post(
        client, headers, "resolve-escalation",
        **body(escalation_id=escalation_id, comment="xong"),
    )  # fmt: skip
    assert (response.status_code, response.json()["code"]) == (status, code), response.text
    assert p.event_count(office) == before + 1  # only the refusal's access record
    supervisor = await auth("supervisor")
    assert (
        len((await client.get(f"/api/units/{p.PROVINCE}/escalations", headers=supervisor)).json())
        == 1
    )


async def test_resolving_needs_a_comment_and_a_known_escalation(
    client: httpx.AsyncClient, auth: Auth, office: LiaisonOffice
) -> None:
    _, escalation_id = await escalated(client, auth, office)
    supervisor = await auth("supervisor")
    blank = await post(
        client, supervisor, "resolve-escalation", **body(escalation_id=escalation_id)
    )
    assert (blank.status_code, blank.json()["field"]) == (422, "comment")
    unknown = await post(
        client, supervisor, "resolve-escalation",
        **body(escalation_id="00000000-0000-4000-8000-000000000000", comment="x"),
    )  # fmt: skip
    assert unknown.status_code == 404


async def test_the_inbox_button_resolves(
    client: httpx.AsyncClient, auth: Auth, office: LiaisonOffice
) -> None:
    _, escalation_id = await escalated(client, auth, office)
    csrf = await web_sign_in(client, "committee")
    inbox = await client.get("/escalations", follow_redirects=True)
    assert f'data-escalation="{escalation_id}"' in inbox.text
    assert 'action="/forms/escalations"' in inbox.text
    form = {"csrf": csrf, "command_id": "0d7e1c64-6d8e-4a55-9a86-1f6a39b0e2c1",
            "command": "resolve-escalation", "escalation_id": escalation_id,
            "comment": "Xã đã tiếp nhận"}  # fmt: skip
    done = await client.post("/forms/escalations", data=form)
    assert done.status_code == 200, done.text
    assert f'data-escalation="{escalation_id}"' not in done.text
    await web_sign_in(client, "secretary")
    assert 'action="/forms/escalations"' not in (await client.get("/forms/escalations")).text


def _outbox(pg_url: str, rows: list[dict[str, Any]]) -> None:
    """The workflows' outbox table as workflows/outbox.py creates it, with these notices."""
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE liaison_notifications (id uuid PRIMARY KEY, liaison_id uuid NOT NULL,"
            " step text NOT NULL, deadline_kind text NOT NULL, subject text NOT NULL,"
            " unit_id text NOT NULL, due_on date NOT NULL, effective_date date NOT NULL,"
            " title text NOT NULL, body text NOT NULL, created_at timestamptz NOT NULL"
            " DEFAULT now(), sent_at timestamptz, attempts integer NOT NULL DEFAULT 0,"
            " last_error text)"
        )
        for row in rows:
            conn.execute(
                "INSERT INTO liaison_notifications (id, liaison_id, step, deadline_kind, subject,"
                " unit_id, due_on, effective_date, title, body) VALUES (%(id)s, %(liaison_id)s,"
                " %(step)s, 'receipt', 's', %(unit_id)s, '2026-02-09', '2026-03-01',"
                " %(title)s, 'body')",
                row,
            )


async def test_notifications_come_from_the_outbox(
    client: httpx.AsyncClient, auth: Auth, pg_url: str
) -> None:
    committee = await auth("committee")
    empty = await client.get(f"/api/units/{p.COMMUNE}/notifications", headers=committee)
    assert (empty.status_code, empty.json()) == (200, [])  # no workflows have run: no table
    liaison = "5b0c3f9e-0d5a-4b8e-8f7c-3d2a1b0c9e8f"
    _outbox(pg_url, [
        {"id": "11111111-1111-4111-8111-111111111111", "liaison_id": liaison, "step": "reminder",
         "unit_id": p.COMMUNE, "title": "Nhắc hạn tiếp nhận"},
        {"id": "22222222-2222-4222-8222-222222222222", "liaison_id": liaison, "step": "reminder",
         "unit_id": "X2", "title": "Nơi khác"},
    ])  # fmt: skip
    found = await client.get(f"/api/units/{p.COMMUNE}/notifications", headers=committee)
    assert [n["title"] for n in found.json()] == ["Nhắc hạn tiếp nhận"]
    await web_sign_in(client, "committee")
    page = await client.get("/notifications")
    assert "Nhắc hạn tiếp nhận" in page.text
    assert "Nơi khác" not in page.text
    refused = await client.get(
        f"/api/units/{p.COMMUNE}/notifications", headers=await auth("commune2")
    )
    assert refused.status_code == 403


async def test_the_audit_trail_by_unit_and_member(client: httpx.AsyncClient, auth: Auth) -> None:
    member_id, _ = await referred(client, auth)
    clerk = await auth("clerk")
    trail = await client.get(f"/api/members/{member_id}/audit", headers=clerk)
    assert trail.status_code == 200, trail.text
    rows = trail.json()["rows"]
    assert [r["event"] for r in rows] == ["MemberRegistered", "LiaisonOpened", "Referred"]
    assert {r["actor_id"] for r in rows} == {"clerk"}
    unit = await client.get(f"/api/units/{p.WORKPLACE}/audit", headers=clerk)
    assert {"MemberRegistered", "Referred"} <= {r["event"] for r in unit.json()["rows"]}
    outsider = await auth("clerk2")
    assert (
        await client.get(f"/api/members/{member_id}/audit", headers=outsider)
    ).status_code == 404  # another subtree's member: as if there were none
    assert (
        await client.get(f"/api/units/{p.WORKPLACE}/audit", headers=outsider)
    ).status_code == 403
    page = await signed_in_page(client, "clerk", f"/audit?member={member_id}")
    shown = re.sub(r'<select id="kind".*?</select>', "", page.text, flags=re.S)  # codes as values
    assert "Giới thiệu về nơi cư trú" in shown  # the event by its label, not its class name
    assert "Referred" not in shown


async def test_the_seal_on_the_inspection_page(client: httpx.AsyncClient, auth: Auth) -> None:
    await referred(client, auth)
    status = await client.get("/api/seal?verify=true", headers=await auth("inspector"))
    assert status.status_code == 200, status.text
    seal = status.json()
    assert seal["verified"] is True
    assert seal["position"] == seal["store_head"] == seal["checked"] > 0
    await web_sign_in(client, "inspector")
    page = await client.get(f"/inspect?unit={p.PROVINCE}&on=2026-11-01&verify=true")
    assert 'data-seal="ok"' in page.text


async def test_a_notice_is_read_in_its_readers_language(
    client: httpx.AsyncClient, auth: Auth, office: LiaisonOffice, pg_url: str
) -> None:
    """Stored as message ids and parameters, a notice reads in each reader's language."""
    _, liaison = await referred(client, auth)
    liaison_id = UUID(liaison)
    state = office.state_of(liaison_id)
    [deadline] = office.deadlines(liaison_id, p.TODAY)
    outbox = PostgresOutbox(pg_url)
    await outbox.create_table()
    notice = Notification.of_step(
        uuid4(), state, deadline, Step.REMINDER, p.COMMUNE, p.TODAY, "Phường Một"
    )
    assert await outbox.write(notice)
    assert [n.params for n in await outbox.all()] == [notice.params]
    doer = f"Phường Một ({deadline.unit_id})"
    english = await client.get(
        f"/api/units/{p.COMMUNE}/notifications",
        headers={**await auth("committee"), "Accept-Language": "en"},
    )
    [row] = english.json()
    assert f"due {format_date(deadline.due_on, 'en')}, to be done by {doer}." in row["body"]
    assert state.member_name in row["title"]
    await web_sign_in(client, "committee")
    page = await client.get("/notifications")
    assert f"hạn {deadline.due_on:%d/%m/%Y}, đơn vị thực hiện {doer}." in page.text
    for text in (row["title"], row["body"], page.text):
        assert liaison not in text


async def test_the_escalations_page_draws_the_first_and_offers_the_units_beneath(
    client: httpx.AsyncClient, auth: Auth, office: LiaisonOffice, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A province's open escalations may be tens of thousands: the page draws those due
    earliest, counts the rest and offers the units beneath to narrow it to one."""
    for n in (1, 2):
        _, liaison_id = await referred(client, auth, n)
        p.escalate(office, UUID(liaison_id), LATE)
    monkeypatch.setattr(pages_inbox, "ESCALATIONS_SHOWN", 1, raising=False)

    async def every(*_: object) -> None:
        raise AssertionError("the page read every open escalation")

    monkeypatch.setattr(ProjectionReads, "escalations", every)
    await web_sign_in(client, "supervisor")
    page = await client.get("/forms/escalations")
    assert page.status_code == 200, page.text[-800:]
    assert page.text.count('class="card" data-escalation=') == 1
    assert "Cảnh báo (2)" in page.text
    assert "Còn 1 cảnh báo đang mở, đến hạn muộn hơn, không hiện ở đây." in page.text
    for unit in (p.COMMUNE, p.WORKPLACE, "X2", "W2"):
        assert f'href="/forms/escalations?unit={unit}"' in page.text
    commune = await client.get(f"/forms/escalations?unit={p.COMMUNE}")
    assert commune.text.count('class="card" data-escalation=') == 1
    assert f'action="/forms/escalations?unit={p.COMMUNE}"' in commune.text
    assert f'href="/forms/escalations?unit={p.CELL}"' in commune.text  # its cell, beneath
    await web_sign_in(client, "commune2")
    before = p.event_count(office)
    refused = await client.get(f"/forms/escalations?unit={p.COMMUNE}")
    assert refused.status_code == 403
    assert "data-escalation" not in refused.text
    assert p.event_count(office) == before + 1  # its audit row


async def test_a_large_subtree_s_escalations_are_those_a_small_one_s_statement_finds(
    client: httpx.AsyncClient, auth: Auth, office: LiaisonOffice, reads: ProjectionReads,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """Above `SMALL_SUBTREE` units the statement gathers the subtree's units once instead of
    looking each up (a province's thousands): the rows, their order and the count are the same."""
    for n in (1, 2, 3):
        _, liaison_id = await referred(client, auth, n)
        p.escalate(office, UUID(liaison_id), LATE)
    found = {}
    for small_subtree in (reads_projections.SMALL_SUBTREE, 0):
        monkeypatch.setattr(reads_projections, "SMALL_SUBTREE", small_subtree)
        for unit in (p.PROVINCE, p.COMMUNE, p.CELL, "X2"):
            scope = Scope(unit_id=unit, year=p.YEAR, on=p.TODAY)
            found[small_subtree, unit] = (
                await reads.first_escalations(scope, 2),
                await reads.escalations(scope),
            )
    for unit in (p.PROVINCE, p.COMMUNE, p.CELL, "X2"):
        assert found[0, unit] == found[reads_projections.SMALL_SUBTREE, unit], unit
    first, every = found[0, p.PROVINCE]
    assert (len(first.rows), first.total, len(every)) == (2, 3, 3)
    assert first.rows == every[:2]
    assert found[0, "X2"][0].total == 0


async def test_the_api_answers_open_escalations_a_page_at_a_time(
    client: httpx.AsyncClient, auth: Auth, office: LiaisonOffice
) -> None:
    """After a storm a province has tens of thousands open: the API answers a page at a time,
    the earliest due first, the `Link` header giving the next page; a malformed cursor is
    refused with its audit row."""
    for n in (1, 2, 3):
        _, liaison_id = await referred(client, auth, n)
        p.escalate(office, UUID(liaison_id), LATE)
    supervisor = await auth("supervisor")
    path = f"/api/units/{p.PROVINCE}/escalations"
    whole = (await client.get(path, headers=supervisor)).json()
    assert len(whole) == 3
    assert "link" not in (await client.get(path, headers=supervisor)).headers
    pages = await pages_of(client, supervisor, f"{path}?limit=2")
    assert [len(page) for page in pages] == [2, 1]
    assert [row for page in pages for row in page] == whole
    before = p.event_count(office)
    deep = urlsafe_b64encode(b"[" * 1400).decode()  # nested past what JSON decoding recurses to
    for bad in ("x", "WyIyMDI2LTk5LTk5IiwgIngiXQ==", "bnVsbA==", deep):  # ["2026-99-99", "x"], null
        refused = await client.get(path, params={"cursor": bad}, headers=supervisor)
        assert (refused.status_code, refused.json()["code"]) == (422, "malformed"), bad
    assert p.event_count(office) == before + 4
