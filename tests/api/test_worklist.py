"""Each role's first screen is its work, most urgent first; escalations and the trail name members.

The board runs on a real PostgreSQL with its read models; "today" is 22 November 2026 (the tests'
clock), so a referral of 1 September (receipt due 1 October) is 52 days overdue."""

from __future__ import annotations

import re
from datetime import date
from typing import Any
from uuid import UUID

import httpx
import pytest

from api.reads_projections import ProjectionReads
from api.web import pages_home
from application.office import LiaisonOffice
from domain import commands as c
from domain.organisation import Unit, UnitKind
from projections import liaisons
from tests.api.conftest import Auth, body
from tests.api.test_commands import attending, post
from tests.api.test_rendering import Visible
from tests.api.test_signin import web_sign_in
from tests.integration import province as p

NAMES = {
    1: "Nguyễn Văn An",
    2: "Trần Thị Bích",
    3: "Lê Văn Cường",
    5: "Phạm Thị Dung",
}


async def referred_on(
    client: httpx.AsyncClient, auth: Auth, n: int, day: date, name: str
) -> tuple[str, str]:
    """Member `n` registered and referred to commune X on `day`; (member id, liaison id)."""
    clerk = await auth("clerk")
    registered = await post(
        client, clerk, "register-member",
        **body(p.REGISTERED_ON, name=name, birth_date="1980-01-01",
               party_card_number=p.party_card(n), workplace_unit_id=p.WORKPLACE),
    )  # fmt: skip
    assert registered.status_code == 200, registered.text
    member_id = registered.json()["member_id"]
    referral = {"residence_commune_id": p.COMMUNE}
    done = await post(client, clerk, "refer", **body(day, member_id=member_id, referral=referral))
    assert done.status_code == 200, done.text
    return member_id, done.json()["liaison_id"]


def section(html: str, title: str) -> str:
    """The part of the page under one heading of the worklist (up to the next section)."""
    start = html.index(f">{title}")
    end = html.find("<section", start)
    return html[start : end if end >= 0 else len(html)]


async def home_of(client: httpx.AsyncClient, username: str) -> str:
    """The first screen of a user, signed in through the form."""
    await web_sign_in(client, username)
    return (await client.get("/")).text


def names_in_order(part: str) -> list[str]:
    """The members linked in a part of the page, in order."""
    return re.findall(r'<a href="/members/[^"]+"[^>]*>([^<]+)</a>', part)


def days_in_order(part: str) -> list[int]:
    """The days left (negative: overdue) of each line in a part of the page, in order."""
    return [int(d) for d in re.findall(r'data-days="(-?\d+)"', part)]


@pytest.fixture
async def year(client: httpx.AsyncClient, auth: Auth, office: LiaisonOffice) -> dict[str, str]:
    """Referrals 28 days before due, 22 and 52 days overdue; one member at each later step."""
    ids: dict[str, str] = {}
    ids["fresh"], _ = await referred_on(client, auth, 1, date(2026, 11, 20), NAMES[1])
    ids["late"], _ = await referred_on(client, auth, 2, date(2026, 10, 1), NAMES[2])
    ids["later"], later = await referred_on(client, auth, 3, date(2026, 9, 1), NAMES[3])
    p.escalate(office, UUID(later), date(2026, 11, 10))
    ids["at_commune"], at_commune = await referred_on(client, auth, 5, p.REFERRED_ON, NAMES[5])
    office.execute(
        c.ReceiveAtCommune(
            **p.by(p.COMMUNE_CLERK, p.COMMUNE_RECEIVED_ON), liaison_id=at_commune, cell_id=p.CELL
        )
    )
    ids["attending"], attending_liaison = await attending(client, auth, 4)
    ids["assessed"], assessed = await attending(client, auth, 6)
    ids["confirmed"], confirmed = await attending(client, auth, 7)
    ids["reported"], reported = await attending(client, auth, 8)
    secretary, commune = await auth("secretary"), await auth("commune")
    for liaison in (assessed, confirmed, reported):
        done = await post(
            client, secretary, "assess",
            **body(liaison_id=liaison, year=p.YEAR, grade="fulfilled_well",
                   front_committee_representative="Trần Thị Bình"),
        )  # fmt: skip
        assert done.status_code == 200, done.text
    for verb, liaison in (
        ("confirm-assessment", confirmed),
        ("confirm-assessment", reported),
        ("report-back", reported),
    ):
        done = await post(client, commune, verb, **body(liaison_id=liaison, year=p.YEAR))
        assert done.status_code == 200, done.text
    asked = await post(
        client, await auth("clerk"), "request-assessment",
        **body(liaison_id=attending_liaison, purpose="admission"),
    )  # fmt: skip
    assert asked.status_code == 200, asked.text
    return ids


async def test_the_commune_receives_the_most_overdue_referral_first(
    client: httpx.AsyncClient, year: dict[str, str]
) -> None:
    home = await home_of(client, "commune")
    receive = section(home, "Giới thiệu sinh hoạt cần tiếp nhận")
    assert names_in_order(receive) == [NAMES[3], NAMES[2], NAMES[1]]
    assert days_in_order(receive) == [-52, -22, 28]
    text = Visible.text(receive, "vi")
    assert "quá hạn 52 ngày" in text
    assert "còn 28 ngày" in text
    assert "Hạn 01/10/2026" in text
    assert f'href="/forms/receive?unit={p.COMMUNE}"' in receive
    confirm = section(home, "Nhận xét, đánh giá cần xác nhận")
    assert names_in_order(confirm) == ["Đảng viên 6"]
    assert f'href="/forms/report?year=2026&amp;unit={p.COMMUNE}"' in confirm
    report = section(home, "Kết quả cần thông báo về nơi công tác")
    assert names_in_order(report) == ["Đảng viên 7"]  # assessed today: due in ten days
    assert days_in_order(report) == [10]
    assert "Đảng viên 8" not in home  # reported back: nothing left to do
    assert 'href="/figures?unit=X"' in home  # the statistics, one tap away


async def test_the_cell_secretary_receives_meets_and_assesses(
    client: httpx.AsyncClient, year: dict[str, str]
) -> None:
    home = await home_of(client, "secretary")
    assert names_in_order(section(home, "Đảng viên cần tiếp nhận")) == [NAMES[5]]
    meetings = section(home, "Sinh hoạt đến hạn")
    # Received on 25 January, never met: the meeting was due six months later.
    assert days_in_order(meetings) == [(date(2026, 7, 25) - p.TODAY).days]
    assert set(names_in_order(meetings)) == {f"Đảng viên {n}" for n in (4, 6, 7, 8)}
    assessments = section(home, "Nhận xét, đánh giá đến hạn")
    assert names_in_order(assessments) == ["Đảng viên 4"]
    assert "còn 23 ngày" in Visible.text(assessments, "vi")
    assert f'href="/forms/assess?year=2026&amp;unit={p.CELL}"' in assessments
    requests = section(home, "Đề nghị nhận xét cần trả lời")
    assert names_in_order(requests) == ["Đảng viên 4"]
    assert days_in_order(requests) == [15]
    assert NAMES[3] not in home  # still at the commune: not the cell's to receive


async def test_the_workplace_sees_what_it_waits_for_and_what_came_back(
    client: httpx.AsyncClient, year: dict[str, str]
) -> None:
    home = await home_of(client, "clerk")
    waiting = section(home, "Giới thiệu đang chờ nơi cư trú tiếp nhận")
    assert names_in_order(waiting) == [NAMES[5], NAMES[3], NAMES[2], NAMES[1]]  # longest first
    text = Visible.text(waiting, "vi")
    assert "đã chờ 316 ngày" in text
    assert "đã chờ 2 ngày" in text
    assert 'href="/forms/receive' not in waiting  # not the workplace's step to take
    requests = section(home, "Đề nghị đang chờ trả lời")
    assert names_in_order(requests) == ["Đảng viên 4"]
    arrived = section(home, "Kết quả đã nhận về")
    assert names_in_order(arrived) == ["Đảng viên 8"]
    assert "Thực hiện tốt" in Visible.text(arrived, "vi")
    assert "Không có đảng viên nào chờ giới thiệu lại." in home  # an empty section says so


async def test_supervisors_see_open_escalations_by_unit_with_names(
    client: httpx.AsyncClient, year: dict[str, str]
) -> None:
    for username in ("supervisor", "committee", "inspector"):
        home = await home_of(client, username)
        escalations = section(home, "Cảnh báo đang mở")
        assert names_in_order(escalations) == [NAMES[3]], username
        assert f'href="/members/{year["later"]}"' in escalations
        overdue = section(home, "Quá hạn")
        assert days_in_order(overdue) == sorted(days_in_order(overdue))  # most overdue first
        assert all(d < 0 for d in days_in_order(overdue))
        assert NAMES[3] in names_in_order(overdue)
        await client.post("/logout", data={"csrf": re.findall(r'name="csrf" value="([^"]+)"',
                                                              home)[0]})  # fmt: skip


async def test_supervisors_overdue_is_read_from_the_kept_steps_as_the_states_give_it(
    client: httpx.AsyncClient, year: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A province's supervisor reads the overdue steps the read models keep, not the state of
    every liaison (seconds at a province); the lines are those the states give."""
    worked_out = {}
    for username in ("supervisor", "inspector"):
        worked_out[username] = section(await home_of(client, username), "Quá hạn")
    for username in ("supervisor", "inspector"):
        with monkeypatch.context() as patch:

            async def unread(*_: object) -> None:
                raise AssertionError("a supervisor's home read every liaison's state")

            patch.setattr(ProjectionReads, "states", unread)
            kept = section(await home_of(client, username), "Quá hạn")
        assert kept == worked_out[username], username
        assert NAMES[3] in names_in_order(kept)


async def test_a_supervisor_s_line_opens_the_form_on_the_unit_that_takes_the_step(
    client: httpx.AsyncClient, year: dict[str, str]
) -> None:
    """At the province a work form offers the units beneath to choose one: a line's link opens
    it on the unit that takes the step, with the members the line names."""
    overdue = section(await home_of(client, "supervisor"), "Quá hạn")
    links = re.findall(r'<a class="go" href="([^"]+)"', overdue)
    assert f"/forms/receive?unit={p.COMMUNE}" in links, links
    receive = await client.get(f"/forms/receive?unit={p.COMMUNE}")
    assert NAMES[2] in receive.text
    assert NAMES[3] in receive.text
    province = await client.get("/forms/receive")
    assert NAMES[2] not in province.text
    assert "Chọn đơn vị" in province.text


async def test_a_supervisor_s_home_reads_only_the_lines_it_draws_and_counts_them_all(
    client: httpx.AsyncClient, year: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A province's home draws its first lines (fifty of thousands) and says how many more there
    are: it reads only those from the kept steps, with the count of all, and shows what working
    every step out from the states shows."""
    monkeypatch.setattr(pages_home, "LINES_SHOWN", 1)
    read, reads_kept = [], ProjectionReads.overdue

    async def recorded(*args: Any) -> Any:
        read.append(found := await reads_kept(*args))
        return found

    monkeypatch.setattr(ProjectionReads, "overdue", recorded)
    kept = section(await home_of(client, "supervisor"), "Quá hạn")
    monkeypatch.setattr(liaisons, "SMALL_SUBTREE", 0)  # the statement finds the subtree itself
    kept_large = section(await home_of(client, "supervisor"), "Quá hạn")

    async def not_kept(*_: object) -> None:
        return None  # as while the read models do not keep the steps: worked out from the states

    monkeypatch.setattr(ProjectionReads, "overdue", not_kept)
    worked_out = section(await home_of(client, "supervisor"), "Quá hạn")
    lines = int(re.findall(r"Quá hạn \((\d+)\)", worked_out)[0])
    assert lines >= 3
    assert kept == kept_large == worked_out
    assert len(days_in_order(kept)) == 1  # the one line drawn, the most overdue
    assert {(len(r.groups), r.lines) for r in read} == {(1, lines)}  # the one line read
    assert f"Còn {lines - 1} dòng ít khẩn cấp hơn không hiện ở đây." in kept


async def test_a_supervisor_s_home_draws_the_first_open_escalations_and_counts_them_all(
    client: httpx.AsyncClient, auth: Auth, year: dict[str, str], office: LiaisonOffice,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """After a storm a province has thousands open: the home draws the earliest due, says how
    many more there are (a unit's own number only while all are drawn) and links to the
    escalations page, of the unit that missed each deadline and of the whole scope."""
    _, liaison = await referred_on(client, auth, 9, date(2026, 9, 5), "Đỗ Văn Em")
    p.escalate(office, UUID(liaison), date(2026, 11, 11))
    whole = section(await home_of(client, "supervisor"), "Cảnh báo đang mở")
    assert names_in_order(whole) == [NAMES[3], "Đỗ Văn Em"]  # due 1 October, then 5 October
    assert "Cảnh báo đang mở (2)" in whole
    assert "không hiện ở đây" not in whole
    monkeypatch.setattr(pages_home, "LINES_SHOWN", 1)
    first = section(await home_of(client, "supervisor"), "Cảnh báo đang mở")
    assert names_in_order(first) == [NAMES[3]]
    assert "Cảnh báo đang mở (2)" in first
    assert "Còn 1 cảnh báo đang mở không hiện ở đây." in first
    assert f'href="/forms/escalations?unit={p.PROVINCE}"' in first  # the page of the same unit
    assert f'href="/forms/escalations?unit={p.COMMUNE}"' in first  # the unit that missed it


async def test_a_change_ahead_is_not_read_from_the_kept_steps(
    client: httpx.AsyncClient, year: dict[str, str], office: LiaisonOffice,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """Steps kept under the policy a commune will have after a change of the tree recorded
    ahead (a merger from 1 January) may not be today's: the worklist works today's out from the
    states instead."""
    before = section(await home_of(client, "supervisor"), "Quá hạn")
    merged = Unit(id="XM", name="Xã Mới", kind=UnitKind.COMMUNE_COMMITTEE, parent_id=p.PROVINCE,
                  valid_from=date(2027, 1, 1))  # fmt: skip
    office.execute(c.EstablishUnit(**p.by(p.ADMIN, p.TODAY), unit=merged))
    assert not office.settled_on(p.TODAY)
    assert office.settled_on(date(2027, 1, 1))
    monkeypatch.setattr(ProjectionReads, "overdue", None)  # not asked
    assert section(await home_of(client, "supervisor"), "Quá hạn") == before


async def test_escalations_name_the_member_and_link_to_them(
    client: httpx.AsyncClient, year: dict[str, str]
) -> None:
    await web_sign_in(client, "supervisor")
    page = (await client.get("/forms/escalations")).text
    text = Visible.text(page, "vi")
    assert NAMES[3] in text
    assert f'href="/members/{year["later"]}"' in page
    assert "Tiếp nhận" in text
    assert "Hạn 01/10/2026" in text


async def test_an_empty_worklist_says_so(client: httpx.AsyncClient) -> None:
    home = await home_of(client, "secretary")
    for empty in (
        "Không có đảng viên nào chờ tiếp nhận.",
        "Chưa có buổi sinh hoạt nào đến hạn.",
        "Không có nhận xét, đánh giá nào đến hạn.",
    ):
        assert empty in home
    await web_sign_in(client, "admin")
    assert "Không có việc cần làm" in (await client.get("/")).text


async def test_the_audit_trail_names_members_filters_and_hides_sign_ins(
    client: httpx.AsyncClient, auth: Auth, year: dict[str, str]
) -> None:
    await web_sign_in(client, "clerk")
    await web_sign_in(client, "clerk")  # sign-ins to hide
    trail = (await client.get("/audit")).text
    text = Visible.text(trail, "vi")
    assert "Đăng nhập" not in text.split("Hiện cả các lần đăng nhập")[1]
    assert NAMES[3] in text
    assert "Giới thiệu về nơi cư trú" in text
    assert f'href="/members/{year["later"]}"' in trail
    with_sign_ins = Visible.text((await client.get("/audit?sign_ins=1")).text, "vi")
    assert "\nĐăng nhập\n" in with_sign_ins
    referrals = (await client.get("/audit?kind=Referred")).text
    kinds = set(re.findall(r'data-event="\d+">\s*<div><strong>([^<]+)', referrals))
    assert kinds == {"Giới thiệu về nơi cư trú"}
    one = (await client.get(f"/audit?member={year['later']}")).text
    assert set(names_in_order(one.split("</h1>")[1])) == {NAMES[3]}
    future = (await client.get("/audit?recorded_from=2100-01-01")).text
    assert "Không có sự kiện nào khớp với bộ lọc." in future
    api = await client.get(
        f"/api/units/{p.WORKPLACE}/audit?kind=Referred", headers=await auth("clerk")
    )
    assert {r["event"] for r in api.json()["rows"]} == {"Referred"}
    today = api.json()["rows"][-1]["recorded_at"][:10]  # the store's clock, not the business date
    until_today = (await client.get(f"/audit?recorded_to={today}&kind=Referred")).text
    assert NAMES[3] in until_today  # a bare date reaches the end of that day
    other = (await client.get("/audit?unit=W2")).status_code
    assert other == 403
