"""What a printed document reads from the log itself: the seal's head it is fixed to, and the
number of an introduction letter (asyncpg)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.utils import get_topic

from domain.errors import WrongState
from domain.liaison_events import Referred
from projections.log import EVENTS_TABLE

REFERRED_TOPIC = get_topic(Referred)


async def sealed_head(conn: Any) -> tuple[int, str]:
    """The seal's last position and link (hex); refused while nothing is sealed."""
    row = await conn.fetchrow(
        "SELECT notification_id, link FROM seal_link ORDER BY notification_id DESC LIMIT 1"
    )
    if row is None:
        raise WrongState("Nothing was sealed yet at that time: the projector seals the records.")
    return int(row["notification_id"]), bytes(row["link"]).hex()


async def sealed_link(conn: Any, position: int) -> str | None:
    """The seal's link at a position (hex), or None when that position is not sealed."""
    found = await conn.fetchval("SELECT link FROM seal_link WHERE notification_id = $1", position)
    return bytes(found).hex() if found is not None else None


async def letter_number(conn: Any, liaison_id: UUID, workplace_unit_id: str, year: int) -> int:
    """Số giấy giới thiệu: the referral's rank among the workplace's referrals of its year, in
    log order. Log positions are given once, in commit order, and never change: the number is
    the same whenever it is read, and two referrals saved at once cannot share one."""
    position = await conn.fetchval(
        f"SELECT notification_id FROM {EVENTS_TABLE}"
        " WHERE originator_id = $1 AND originator_version = 1 AND topic = $2",
        liaison_id,
        REFERRED_TOPIC,
    )
    if position is None:
        raise WrongState("The referral is not in the record.")
    number = await conn.fetchval(
        f"SELECT count(*) FROM {EVENTS_TABLE} WHERE topic = $1 AND notification_id <= $2"
        " AND convert_from(state, 'UTF8')::jsonb ->> 'workplace_unit_id' = $3"
        " AND left(convert_from(state, 'UTF8')::jsonb ->> 'effective_date', 4) = $4",
        REFERRED_TOPIC,
        position,
        workplace_unit_id,
        str(year),
    )
    return int(number)
