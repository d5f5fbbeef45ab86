"""What the board tells a unit: the workflows' notices (their outbox: table and columns are the
contract) and, for a workplace committee, what became of the members it referred."""

from __future__ import annotations

import json
from typing import Any

TABLE = "liaison_notifications"
COLUMNS = (
    "id, liaison_id, step, deadline_kind, subject, unit_id, due_on, effective_date, title, body,"
    " created_at, sent_at, coalesce(to_jsonb(n) -> 'params', '{}'::jsonb)::text AS params"
)
"""`params` read through the row as JSON: a table the worker has not yet given that column
(it adds it at its start) reads as notices without parameters."""


async def notifications(conn: Any, units: list[str], limit: int = 200) -> list[dict[str, Any]]:
    """The newest notices addressed to these units (none while the workflows have not run)."""
    if not await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", TABLE):
        return []
    rows = await conn.fetch(
        f"SELECT {COLUMNS}, coalesce(l.member_id, CASE WHEN n.deadline_kind = 'referral'"
        f" THEN n.liaison_id END) AS member_id FROM {TABLE} AS n LEFT JOIN liaison l"
        " USING (liaison_id)"
        " WHERE n.unit_id = ANY($1) ORDER BY n.created_at DESC, n.id LIMIT $2",
        units,
        limit,
    )
    return [{**dict(r), "params": json.loads(r["params"])} for r in rows]


RESULT_EVENTS = (
    "ReceivedByCommune", "ReceivedByCell", "Assessed", "ReportedBack",
    "CommendationProposed", "DisciplineProposed",
)  # fmt: skip
"""What a workplace committee hears of a member it referred: received, assessed, reported back,
proposed for commendation or discipline by the residence cell."""


async def results(conn: Any, units: list[str], limit: int = 200) -> list[dict[str, Any]]:
    """The newest receipts, assessments and reports back of the liaisons these workplace units
    referred, each with its member and the unit that acted (from the audit trail)."""
    rows = await conn.fetch(
        "SELECT a.notification_id, a.event, a.effective_date, a.recorded_at, a.actor_unit_id,"
        " a.details::text AS details, l.liaison_id, l.member_id, l.workplace_unit_id,"
        " m.name AS member_name FROM audit_event a"
        " JOIN liaison l ON l.liaison_id = a.originator_id"
        " JOIN member m ON m.member_id = l.member_id"
        " WHERE l.workplace_unit_id = ANY($1) AND a.event = ANY($2)"
        " ORDER BY a.notification_id DESC LIMIT $3",
        units,
        list(RESULT_EVENTS),
        limit,
    )
    return [{**dict(r), "details": json.loads(r["details"])} for r in rows]
