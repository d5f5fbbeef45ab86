"""A late referral's ladder on the board, on real PostgreSQL: the workplace's notices and the
superior's open escalation name the member and link to them, the escalations figure lists them,
and the superior resolves it with a comment like any other."""

from __future__ import annotations

from datetime import date

import httpx

from application.office import LiaisonOffice
from tests.api.conftest import Auth, body
from tests.api.test_commands import post
from tests.api.test_rendering import Visible
from tests.api.test_signin import web_sign_in
from tests.integration import province as p
from workflows.outbox import PostgresOutbox
from workflows.referral import ReferralStepInput, WatchReferralInput
from workflows.referral_activities import ReferralActivities

NAME = "Hoàng Văn Em"


async def test_a_late_referral_is_listed_named_and_resolved_on_the_board(
    client: httpx.AsyncClient, auth: Auth, office: LiaisonOffice, pg_url: str
) -> None:
    outbox = PostgresOutbox(pg_url)
    await outbox.create_table()
    activities = ReferralActivities(office, outbox)
    member = p.register(office, 1, name=NAME)  # on 5 January 2026: due 4 February
    watch = await activities.watch_referral(WatchReferralInput(str(member), on="2026-03-01"))
    assert watch.deadline_json is not None
    for step, day in zip(watch.steps, watch.days, strict=True):  # each on its day, as it runs
        done = await activities.take_referral_step(
            ReferralStepInput(str(member), watch.deadline_json, step, day, day)
        )
        assert done.recorded, done.refusal

    supervisor = await auth("supervisor")
    (row,) = (await client.get(f"/api/units/{p.PROVINCE}/escalations", headers=supervisor)).json()
    assert (row["kind"], row["member_id"], row["member_name"]) == ("referral", str(member), NAME)
    assert (row["unit_id"], row["superior_unit_id"]) == (p.WORKPLACE, p.PROVINCE)
    assert row["steps"] == ["ReminderSent", "DeadlineMissed", "Escalated"]
    inspector = await auth("inspector")
    figures = await client.get(f"/api/units/{p.PROVINCE}/figures", headers=inspector)
    assert figures.json()["current"]["counts"]["escalations_open"] == 1
    listed = await client.get(f"/api/units/{p.PROVINCE}/lists/escalations_open", headers=inspector)
    assert [(r["member_id"], r["detail"]) for r in listed.json()] == [(str(member), "referral")]

    await web_sign_in(client, "supervisor")
    page = (await client.get("/forms/escalations")).text
    text = Visible.text(page, "vi")
    assert NAME in text
    assert f'href="/members/{member}"' in page
    assert "Giới thiệu sinh hoạt nơi cư trú" in text
    assert "Hạn 04/02/2026" in text

    await web_sign_in(client, "clerk")  # the workplace that must refer
    notices = (await client.get("/notifications")).text
    assert f'href="/members/{member}"' in notices
    assert (
        f"Nhắc việc: đảng viên {NAME} cần được W (W) giới thiệu về sinh hoạt nơi cư trú"
        " (hoặc quyết định miễn giới thiệu), hạn 04/02/2026." in Visible.text(notices, "vi")
    )
    assert str(member) not in Visible.text(notices, "vi")

    fields = body(escalation_id=row["escalation_id"], comment="Đã nhắc đơn vị giới thiệu")
    resolved = await post(client, supervisor, "resolve-escalation", **fields)
    assert resolved.status_code == 200, resolved.text
    after = await client.get(f"/api/units/{p.PROVINCE}/escalations", headers=supervisor)
    assert after.json() == []
    late = await activities.watch_referral(WatchReferralInput(str(member), on="2026-03-02"))
    assert late.deadline_json is not None  # still unreferred: the board closed only the alarm
    assert date.fromisoformat(late.days[-1]) < date(2026, 3, 2)
