"""The inspection form as an inspector uses it: units by name, the recorded time kept, times in
Vietnam's hours."""

from __future__ import annotations

import re
import threading
from datetime import UTC, date, datetime

import httpx
import pytest

from api.i18n import format_moment
from api.reads import Scope
from api.reads_projections import ProjectionReads
from api.web import pages_board
from application.office import LiaisonOffice
from domain import commands as c
from domain.calendar import VIETNAM
from domain.organisation import Unit, UnitKind
from domain.state import LiaisonState
from tests.api.conftest import Auth
from tests.api.test_commands import referred
from tests.api.test_signin import web_sign_in
from tests.integration import province as p

NAMED = Unit(
    id="C9",
    name="Chi bộ khu phố Chín",
    kind=UnitKind.RESIDENCE_CELL,
    parent_id=p.COMMUNE,
    valid_from=date(2000, 1, 1),
)


async def units_offered(client: httpx.AsyncClient, office: LiaisonOffice, path: str) -> str:
    """The page at `path`, as the inspector, once its unit field offers, by name, the way down
    from the province to the commune X and the units under X (not every unit: a merged province
    holds about 29,000), X chosen."""
    office.execute(c.EstablishUnit(**p.by(p.ADMIN, date(2026, 1, 1)), unit=NAMED))
    await web_sign_in(client, "inspector")
    page = await client.get(path)
    assert page.status_code == 200, page.text[:500]
    field = re.search(r'<select id="unit" name="unit"[^>]*>(.*?)</select>', page.text, re.S)
    assert field is not None, "the unit is typed as a code"
    options = re.findall(r'<option value="([^"]+)"( selected)?>([^<]*)</option>', field[1])
    assert [(v, bool(s)) for v, s, _ in options] == [
        (p.PROVINCE, False),
        (p.COMMUNE, True),
        (p.CELL, False),
        ("C9", False),
    ]
    assert options[3][2].endswith("Chi bộ khu phố Chín")
    return page.text


def test_a_recorded_time_is_written_in_vietnams_hours() -> None:
    moment = datetime(2026, 12, 4, 17, 30, tzinfo=UTC)  # already the 5th in Vietnam
    assert format_moment(moment, "vi") == "05/12/2026 00:30"
    assert format_moment(moment.replace(tzinfo=None), "vi") == "04/12/2026 17:30"  # naive: VN


async def test_the_form_offers_units_by_name_and_keeps_the_recorded_time(
    client: httpx.AsyncClient, office: LiaisonOffice
) -> None:
    text = await units_offered(
        client, office, f"/inspect?unit={p.COMMUNE}&on=2026-11-01&recorded=2026-11-02T08:30"
    )
    # The recorded time stays in its field, and the caption says it to the minute.
    assert 'name="recorded" type="datetime-local" step="1" value="2026-11-02T08:30"' in text
    assert "02/11/2026 08:30" in text
    # Each unit of the tree opens its own inspection on the same date, as recorded by then.
    assert 'href="/inspect?unit=C9&amp;on=2026-11-01&amp;recorded=2026-11-02T08%3A30"' in text


async def test_a_later_recorded_time_is_shown_as_now_in_vietnam(
    client: httpx.AsyncClient,
) -> None:
    await web_sign_in(client, "inspector")
    page = await client.get(f"/inspect?unit={p.PROVINCE}&on=2026-11-01&recorded=2099-01-01T00:00")
    assert page.status_code == 200
    field = re.search(r'name="recorded" type="datetime-local" step="1" value="([^"]+)"', page.text)
    assert field is not None
    shown = datetime.fromisoformat(field[1])
    vietnam_now = datetime.now(UTC).astimezone(VIETNAM).replace(tzinfo=None)
    assert abs((vietnam_now - shown).total_seconds()) < 120, (shown, vietnam_now)


async def test_the_trail_filter_offers_the_way_down_and_the_units_under_by_name(
    client: httpx.AsyncClient, office: LiaisonOffice
) -> None:
    await units_offered(client, office, f"/audit?unit={p.COMMUNE}")


async def test_a_long_list_comes_a_page_at_a_time(
    client: httpx.AsyncClient, auth: Auth, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pages_board, "LIST_PAGE", 2)
    for n in (1, 2, 3, 4, 5):
        await referred(client, auth, n)
    await web_sign_in(client, "inspector")
    seen: list[str] = []
    path = f"/list/in_scope?unit={p.PROVINCE}"
    while path:
        page = await client.get(path.replace("&amp;", "&"))
        assert page.status_code == 200, page.text[:500]
        names = re.findall(r'<a href="/members/[^"]+">([^<]+)</a>', page.text)
        assert 1 <= len(names) <= 2
        seen += names
        following = re.search(r'<a href="([^"]+)" rel="next">', page.text)
        path = following[1] if following else ""
    assert seen == [f"Đảng viên {n}" for n in (1, 2, 3, 4, 5)]  # each once, in name order
    last = await client.get(f"/list/in_scope?unit={p.PROVINCE}&page=3")
    assert 'rel="first"' in last.text
    beyond = await client.get(f"/list/in_scope?unit={p.PROVINCE}&page=9")
    assert beyond.status_code == 200
    assert 'rel="first"' in beyond.text
    assert (await client.get(f"/list/in_scope?unit={p.PROVINCE}&page=0")).status_code == 422


async def test_the_states_of_a_worklist_are_parsed_off_the_event_loop(
    client: httpx.AsyncClient, auth: Auth, reads: ProjectionReads, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A province's states take seconds to parse: on the event loop every other request of the
    board would wait for them."""
    for n in (1, 2):
        await referred(client, auth, n)
    parse, threads = LiaisonState.model_validate_json, []

    def watched(data: str | bytes) -> LiaisonState:
        threads.append(threading.current_thread())
        return parse(data)

    monkeypatch.setattr(LiaisonState, "model_validate_json", watched)
    states = await reads.states(Scope(unit_id=p.PROVINCE, year=p.YEAR, on=p.TODAY))
    assert len(states) == 2
    loop_thread = threading.current_thread()
    assert threads
    assert all(t is not loop_thread for t in threads)
