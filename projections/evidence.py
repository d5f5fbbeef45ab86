"""Inspection evidence: figures, lists, audit rows and the seal head, checkable later."""

from __future__ import annotations

import asyncio
import json
from datetime import date, datetime
from typing import Any

from domain.errors import WrongState
from liaison_verify.evidence import FORMAT, with_digest
from projections import reads, seal
from projections.dashboard import Period, dashboard, scope
from projections.figures import FIGURES
from projections.lists import ListQuery, members_behind


async def _seal_head(conn: Any, known_at: datetime | None) -> tuple[int, str, datetime]:
    row = await conn.fetchrow(
        "SELECT s.notification_id, s.link, a.recorded_at FROM seal_link s"
        " JOIN audit_event a USING (notification_id)"
        " WHERE ($1::timestamptz IS NULL OR a.recorded_at <= $1)"
        " ORDER BY s.notification_id DESC LIMIT 1",
        known_at,
    )
    if row is None:
        raise WrongState("Nothing was sealed yet at that time: the projector seals the records.")
    return int(row["notification_id"]), bytes(row["link"]).hex(), row["recorded_at"]


async def _body(conn: Any, period: Period, position: int) -> dict[str, Any]:
    lists = {
        figure: await members_behind(conn, period, ListQuery(figure, page_size=1_000_000))
        for figure in FIGURES
    }
    units = await scope(conn, period.unit_id, period.end)
    trail = await reads.audit(conn, units=units, upto=position, limit=1_000_000)
    body: dict[str, Any] = json.loads(
        json.dumps(
            {"dashboard": await dashboard(conn, period), "lists": lists, "audit": trail},
            default=str,
            sort_keys=True,
        )
    )
    return body


async def export(conn: Any, unit_id: str, as_of: date, known_at: datetime | None) -> dict[str, Any]:
    """The evidence for a unit and date, fixed to what the records held at the seal head, with
    the digest of its content (`python -m liaison_verify` checks it without the store)."""
    position, link, recorded_at = await _seal_head(conn, known_at)
    period = Period(unit_id, as_of, known_at or recorded_at)
    return with_digest(
        {
            "format": FORMAT,
            "unit_id": unit_id,
            "as_of": as_of.isoformat(),
            "known_at": period.known_at.isoformat() if period.known_at else None,
            "seal": {"position": position, "link": link},
            **await _body(conn, period, position),
        }
    )


Problem = tuple[str, dict[str, Any]]
"""A problem found: an English message of the catalogue (`%(name)s` placeholders) and its values."""

SEAL_PROBLEMS = {
    "altered": "seal broken at position %(position)s: the stored event was changed after it"
    " was sealed",
    "deleted": "seal broken at position %(position)s: a sealed event was deleted",
    "inserted": "seal broken at position %(position)s: an event was inserted among the sealed ones",
    "unreceipted": "position %(position)s: no command receipt names this event (it was written"
    " outside the application)",
    "backwards": "position %(position)s: recorded earlier than an event before it in the log",
    "cut": "the seal ends before position %(position)s though it had sealed further: its rows"
    " were cut",
    "unsealed": "events from position %(position)s on are not sealed (is the projector running?)",
    "checkpoint": "the seal differs at position %(position)s from the checkpoint signed"
    " %(published)s",
}
"""What each kind of break means, as `liaison verify` reports it."""


def english(problems: list[Problem]) -> list[str]:
    """The problems as English sentences (the CLI translates them instead)."""
    return [template % params for template, params in problems]


async def mismatches(conn: Any, evidence: dict[str, Any]) -> list[Problem]:
    """What in the file differs from the store now (empty when the file matches)."""
    if evidence.get("format") != FORMAT:
        return [("not a %(format)s file", {"format": FORMAT})]
    position = int(evidence["seal"]["position"])
    link = await conn.fetchval("SELECT link FROM seal_link WHERE notification_id = $1", position)
    problems: list[Problem] = []
    if link is None or bytes(link).hex() != evidence["seal"]["link"]:
        problems.append(
            ("seal link at position %(position)s differs from the file", {"position": position})
        )
    period = Period(
        evidence["unit_id"],
        date.fromisoformat(evidence["as_of"]),
        datetime.fromisoformat(evidence["known_at"]),
    )
    now = await _body(conn, period, position)
    problems += [
        (PARTS[part], {}) for part in now if now[part] != evidence.get(part) and part in PARTS
    ]
    return problems


PARTS = {
    "dashboard": "the figures differ from the file",
    "lists": "the lists behind the figures differ from the file",
    "audit": "the audit trail differs from the file",
}


def seal_problems(verdict: seal.Verdict, **params: Any) -> list[Problem]:
    """The seal's break as a line of `liaison verify`'s report (empty when intact)."""
    if verdict.broken is None:
        return []
    found = {"position": verdict.broken.position, **params}
    return [(SEAL_PROBLEMS[verdict.broken.problem], found)]


async def check(url: str, evidence: dict[str, Any]) -> list[str]:
    """`liaison verify --evidence`: the seal recomputed from the stored events, then the file."""
    problems = seal_problems(await asyncio.to_thread(seal.verify_url, url))
    conn = await reads.connect(url)
    try:
        return english(problems + await mismatches(conn, evidence))
    finally:
        await conn.close()
