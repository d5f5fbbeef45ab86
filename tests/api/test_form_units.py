"""The work forms work on one commune, workplace committee or cell at a time (issue 18).

Opened at a province, a work form read and parsed the state of every liaison of the province
(49 s at 300,000 members) and drew them all in one page. It now offers the units beneath to
choose one (`?unit=`), reads no member, and works on the unit chosen, once the user may read it;
the home's "do it" links open the form on the unit that takes the step.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from uuid import UUID, uuid4

import httpx
import pytest

from api.reads import Scope
from api.reads_projections import ProjectionReads
from application.office import LiaisonOffice
from domain.state import LiaisonState
from tests.api.conftest import Auth
from tests.api.test_commands import attending, referred
from tests.api.test_signin import web_sign_in
from tests.integration import province as p

LISTS = ("receive", "meeting", "assess", "report", "requests")
"""The work forms that list the members of their unit."""


@pytest.fixture
def states_read(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, Collection[UUID] | None]]:
    """Every read of the liaisons' states, as (unit, the liaisons asked for or None for all)."""
    asked: list[tuple[str, Collection[UUID] | None]] = []
    read = ProjectionReads.states

    async def states(
        self: ProjectionReads, scope: Scope, among: Collection[UUID] | None = None
    ) -> list[LiaisonState]:
        asked.append((scope.unit_id, among))
        return await (read(self, scope) if among is None else read(self, scope, among))

    monkeypatch.setattr(ProjectionReads, "states", states)
    return asked


def csrf_of(page: httpx.Response) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found, page.text[-800:]
    return found.group(1)


@pytest.mark.parametrize("form", LISTS)
async def test_a_province_form_offers_its_units_and_reads_no_member(
    client: httpx.AsyncClient,
    auth: Auth,
    states_read: list[tuple[str, Collection[UUID] | None]],
    form: str,
) -> None:
    await attending(client, auth, 1)
    await referred(client, auth, 2)
    await web_sign_in(client, "supervisor")
    states_read.clear()
    page = await client.get(f"/forms/{form}")
    assert page.status_code == 200, page.text[-800:]
    assert not states_read  # not one state of the province read
    assert "Chọn đơn vị" in page.text
    for unit in (p.COMMUNE, p.WORKPLACE, "X2", "W2"):  # the units directly beneath
        assert f'href="/forms/{form}?unit={unit}"' in page.text
    assert f'href="/forms/{form}?unit={p.CELL}"' not in page.text  # a cell is a level further
    assert "Đảng viên" not in page.text
    # Communes and wards first, then the workplace committees, each by name.
    drawn = re.findall(r'data-unit="([^"]+)"', page.text)
    assert drawn == [p.COMMUNE, "X2", p.WORKPLACE, "W2"]


async def test_the_supervisor_receives_at_the_commune_chosen(
    client: httpx.AsyncClient,
    auth: Auth,
    office: LiaisonOffice,
    states_read: list[tuple[str, Collection[UUID] | None]],
) -> None:
    _, liaison_id = await referred(client, auth, 1)
    await web_sign_in(client, "supervisor")
    page = await client.get(f"/forms/receive?unit={p.COMMUNE}")
    assert page.status_code == 200
    assert "Đảng viên 1" in page.text
    assert f'action="/forms/receive?unit={p.COMMUNE}"' in page.text
    assert "Về đơn vị của mình" in page.text
    states_read.clear()
    form = {"csrf": csrf_of(page), "command_id": str(uuid4()), "command": "receive-at-commune",
            "row": liaison_id, f"cell_id.{liaison_id}": p.CELL, "scope": "all"}  # fmt: skip
    answer = await client.post(f"/forms/receive?unit={p.COMMUNE}", data=form)
    assert answer.status_code == 200, answer.text[-800:]
    assert "Đảng viên 1: " in answer.text.split('role="status"')[1].split("</p>")[0]
    assert office.state_of(UUID(liaison_id)).commune_received_on == p.TODAY
    # The name was read for the row posted alone; the page drawn again is the commune's.
    assert states_read == [(p.PROVINCE, {UUID(liaison_id)}), (p.COMMUNE, None)]
    assert f'action="/forms/receive?unit={p.COMMUNE}"' in answer.text


async def test_the_supervisor_records_the_meeting_of_the_cell_chosen(
    client: httpx.AsyncClient, auth: Auth, office: LiaisonOffice
) -> None:
    _, liaison_id = await attending(client, auth, 1)
    await web_sign_in(client, "supervisor")
    page = await client.get(f"/forms/meeting?unit={p.CELL}")
    assert "Đảng viên 1" in page.text
    form = {"csrf": csrf_of(page), "command_id": str(uuid4()), "command": "record-meeting",
            "cell_id": p.CELL, "row": liaison_id, f"attendance.{liaison_id}": "present",
            "effective_date": p.TODAY.isoformat()}  # fmt: skip
    answer = await client.post(f"/forms/meeting?unit={p.CELL}", data=form)
    assert answer.status_code == 200, answer.text[-800:]
    assert "Đã ghi biên bản sinh hoạt. Có mặt: 1/1 đảng viên." in answer.text
    [held] = office.state_of(UUID(liaison_id)).meetings
    assert (held.held_on, held.attendance.value) == (p.TODAY, "present")
    # The page of another cell posts that cell's id; the secretary's own page posts none.
    assert f'name="cell_id" value="{p.CELL}"' in page.text
    await web_sign_in(client, "secretary")
    own = await client.get("/forms/meeting")
    assert 'name="cell_id"' not in own.text


@pytest.mark.parametrize(
    ("username", "unit"),
    [
        ("commune2", p.COMMUNE),  # the neighbouring commune
        ("secretary", "X2"),  # another commune than the cell's own
        ("clerk", p.COMMUNE),  # a workplace's clerk, at the commune its member lives in
        ("supervisor", "NO-SUCH-UNIT"),  # refused as any unit outside the subtree
        ("supervisor", "<script>alert(1)</script>"),
    ],
)
async def test_a_unit_not_ones_own_is_refused_and_nothing_posted_to_it_is_done(
    client: httpx.AsyncClient,
    auth: Auth,
    office: LiaisonOffice,
    username: str,
    unit: str,
) -> None:
    _, liaison_id = await referred(client, auth, 1)
    csrf = await web_sign_in(client, username)
    for form in LISTS:
        page = await client.get(f"/forms/{form}", params={"unit": unit})
        assert page.status_code == 403, (form, page.status_code)
        assert "<script>alert" not in page.text
        assert "Đảng viên 1" not in page.text
    # A post that the user's own role could send, addressed to that unit: refused before it runs.
    before = p.event_count(office)
    form_ = {"csrf": csrf, "command_id": str(uuid4()), "command": "receive-at-commune",
             "liaison_id": liaison_id, "cell_id": p.CELL}  # fmt: skip
    answer = await client.post("/forms/receive", params={"unit": unit}, data=form_)
    assert answer.status_code == 403
    assert office.state_of(UUID(liaison_id)).commune_received_on is None
    assert p.event_count(office) - before == 1  # the refusal's audit row alone


async def test_the_administrators_home_reads_no_state(
    client: httpx.AsyncClient,
    auth: Auth,
    states_read: list[tuple[str, Collection[UUID] | None]],
) -> None:
    """The administrator takes no step and supervises none: their home read every state of the
    province to draw nothing."""
    await attending(client, auth, 1)
    await web_sign_in(client, "admin")
    states_read.clear()
    home = await client.get("/")
    assert home.status_code == 200
    assert "Không có việc cần làm: vai trò này không có danh sách công việc." in home.text
    assert not states_read


@pytest.mark.parametrize(("username", "path"), [
    ("committee", "/forms/meeting"),  # a committee member of the commune, on their own unit
    ("supervisor", f"/forms/meeting?unit={p.COMMUNE}"),
])  # fmt: skip
async def test_a_meeting_form_above_a_cell_offers_its_cells(
    client: httpx.AsyncClient, auth: Auth, username: str, path: str
) -> None:
    """A meeting is one residence cell's: above a cell the form offers the cells beneath (it
    listed the commune's members, and recording posted the commune as the cell, refused with a
    message about the member)."""
    await attending(client, auth, 1)
    await web_sign_in(client, username)
    page = await client.get(path)
    assert page.status_code == 200
    assert "Chọn chi bộ" in page.text
    assert f'href="/forms/meeting?unit={p.CELL}"' in page.text
    assert "Đảng viên 1" not in page.text
    assert 'name="command" value="record-meeting"' not in page.text
    cell = await client.get(f"/forms/meeting?unit={p.CELL}")
    assert "Đảng viên 1" in cell.text
    assert 'name="command" value="record-meeting"' in cell.text
