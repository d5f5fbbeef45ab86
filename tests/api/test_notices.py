"""Notices reach everyone concerned, on real PostgreSQL: the workplace committee hears when the
member it referred is received, assessed and reported back, and when a deadline on its referral
is missed or escalated; a unit's notices of one day read as one digest; a late step says so."""

from __future__ import annotations

import re
from datetime import date
from uuid import UUID

import httpx

from api.i18n import format_date, label
from application.office import LiaisonOffice
from domain import commands as c
from domain.escalation import Step
from tests.api.test_signin import web_sign_in
from tests.integration import province as p
from workflows.activities import LiaisonActivities
from workflows.messages import TakeStepInput
from workflows.outbox import PostgresOutbox

MISSED_ON = date(2026, 2, 10)  # the day after the receipt at X fell due (30 days from 10 Jan)
LATE_ON = date(2026, 3, 1)  # the reminder was to go out on 6 February


def _a_year_of(office: LiaisonOffice) -> p.Enrolled:
    """Member 1 received, assessed, confirmed and reported back this year."""
    done = p.received_member(office, 1, name="Trần Văn Bảo")
    office.execute(
        c.Assess(
            **p.by(p.SECRETARY, date(2026, 11, 10)),
            liaison_id=done.liaison_id,
            year=p.YEAR,
            grade="fulfilled_well",
            front_committee_representative="Trần Thị Bình",
        )
    )
    office.execute(
        c.ConfirmAssessment(
            **p.by(p.COMMUNE_CLERK, date(2026, 11, 14)), liaison_id=done.liaison_id, year=p.YEAR
        )
    )
    office.execute(
        c.ReportBack(
            **p.by(p.COMMUNE_CLERK, date(2026, 11, 20)), liaison_id=done.liaison_id, year=p.YEAR
        )
    )
    return done


async def _step(activities: LiaisonActivities, office: LiaisonOffice, liaison: UUID,
                step: Step, on: date) -> None:  # fmt: skip
    """The workflow's activity taking a rung of the receipt deadline, as a worker would."""
    [deadline] = office.deadlines(liaison, on)
    done = await activities.take_step(
        TakeStepInput(
            liaison_id=str(liaison),
            deadline_json=deadline.model_dump_json(),
            step=step.value,
            on=on.isoformat(),
        )
    )
    assert done.recorded, done.refusal


async def test_the_workplace_hears_of_its_members(
    client: httpx.AsyncClient, office: LiaisonOffice, pg_url: str
) -> None:
    outbox = PostgresOutbox(pg_url)
    await outbox.create_table()
    activities = LiaisonActivities(office, outbox)
    done = _a_year_of(office)
    waiting = [p.received_member(office, n, name=name, received=False)
               for n, name in ((2, "Lê Văn Dũng"), (3, "Phạm Thị Cúc"))]  # fmt: skip
    for member in waiting:
        await _step(activities, office, member.liaison_id, Step.MISSED, MISSED_ON)
    await _step(activities, office, waiting[0].liaison_id, Step.REMINDER, LATE_ON)

    told = sorted((n.step.value, n.unit_id, n.late) for n in await outbox.all())
    assert told == [("missed", p.WORKPLACE, False), ("missed", p.WORKPLACE, False),
                    ("missed", p.COMMUNE, False), ("missed", p.COMMUNE, False),
                    ("reminder", p.COMMUNE, True)]  # fmt: skip

    await web_sign_in(client, "clerk")  # the workplace clerk of W
    page = (await client.get("/notifications")).text
    digests = re.findall(r'data-digest="([^"]+)"', page)
    # One digest per unit and day: the two misses of 10 February, then one per result.
    assert f"{p.WORKPLACE} {MISSED_ON}" in digests
    assert digests.count(f"{p.WORKPLACE} {MISSED_ON}") == 1
    assert "(2 thông báo)" in page
    for member in (done, *waiting):
        assert f'href="/members/{member.member_id}"' in page
    assert "X (X) đã tiếp nhận đảng viên Trần Văn Bảo ngày 20/01/2026." in page
    assert "Đảng viên Trần Văn Bảo đã được C1 (C1) tiếp nhận sinh hoạt ngày 25/01/2026." in page
    grade = label("grade", "fulfilled_well", "vi")
    assert f"C1 (C1) đã nhận xét, đánh giá đảng viên Trần Văn Bảo năm 2026: {grade}." in page
    assert (
        "X (X) đã thông báo kết quả nhận xét, đánh giá năm 2026 của đảng viên Trần Văn Bảo" in page
    )
    assert "Lê Văn Dũng" in page
    assert "Phạm Thị Cúc" in page
    for liaison in (done.liaison_id, *(m.liaison_id for m in waiting)):
        assert str(liaison) not in page  # members by name and link, never by a code
    assert "Gửi chậm" not in page  # the late reminder went to the commune, not here

    client.cookies.set("lang", "en")
    english = (await client.get("/notifications")).text
    client.cookies.set("lang", "vi")
    assert "X (X) received Trần Văn Bảo on" in english
    assert f"C1 (C1) assessed Trần Văn Bảo for 2026: {label('grade', 'fulfilled_well', 'en')}." in (
        english
    )
    assert f"(due {format_date(date(2026, 2, 9), 'en')}" in english

    await web_sign_in(client, "commune")  # the commune clerk of X
    commune = (await client.get("/notifications")).text
    assert "Gửi chậm" in commune  # the reminder that went out 23 days late says so
    assert "lẽ ra gửi ngày 06/02/2026, đã gửi ngày 01/03/2026" in commune
    assert "đã thông báo kết quả" not in commune  # the workplace's news is the workplace's

    await web_sign_in(client, "clerk2")  # another workplace hears nothing of these
    other = (await client.get("/notifications")).text
    assert "Trần Văn Bảo" not in other
    assert "Lê Văn Dũng" not in other
    assert 'class="empty"' in other


async def test_a_proposal_reaches_the_workplace_and_is_counted(
    client: httpx.AsyncClient, office: LiaisonOffice
) -> None:
    praised = p.received_member(office, 1, name="Trần Văn Bảo")
    blamed = p.received_member(office, 2, name="Lê Văn Dũng")
    for member, kind, day in ((praised, "commendation", 12), (blamed, "discipline", 14)):
        office.execute(
            c.Propose(
                **p.by(p.SECRETARY, date(2026, 11, day), comment="Theo ý kiến của khu dân cư"),
                liaison_id=member.liaison_id,
                kind=kind,  # type: ignore[arg-type]
            )
        )

    await web_sign_in(client, "clerk")  # the workplace clerk of W, whose members they are
    page = (await client.get("/notifications")).text
    assert "C1 (C1) đề nghị khen thưởng đảng viên Trần Văn Bảo (ngày 12/11/2026)" in page
    assert "C1 (C1) đề nghị xử lý kỷ luật đảng viên Lê Văn Dũng (ngày 14/11/2026)" in page
    home = (await client.get("/")).text  # the worklist's results name each proposal
    assert label("proposal", "commendation", "vi") in home
    assert label("proposal", "discipline", "vi") in home
    figures = (await client.get(f"/api/units/{p.WORKPLACE}/figures")).json()["current"]
    assert figures["counts"]["proposals"] == 2
    assert figures["proposals"] == {"commendation": 1, "discipline": 1}
    listed = (await client.get(f"/list/proposals?unit={p.WORKPLACE}&code=discipline")).text
    assert "Lê Văn Dũng" in listed
    assert "Trần Văn Bảo" not in listed
    client.cookies.set("lang", "en")
    english = (await client.get("/notifications")).text
    client.cookies.set("lang", "vi")
    assert "C1 (C1) proposes commendation of Trần Văn Bảo (" in english
    assert "C1 (C1) proposes discipline of Lê Văn Dũng (" in english

    for other in ("clerk2", "commune2"):  # a neighbour hears nothing of them
        await web_sign_in(client, other)
        told = (await client.get("/notifications")).text
        assert "Trần Văn Bảo" not in told
        assert "Lê Văn Dũng" not in told
