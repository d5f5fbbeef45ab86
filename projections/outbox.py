"""The workflows' notifications outbox as the board reads it (table and columns: the contract)."""

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
        f"SELECT {COLUMNS} FROM {TABLE} AS n WHERE unit_id = ANY($1)"
        " ORDER BY created_at DESC, id LIMIT $2",
        units,
        limit,
    )
    return [{**dict(r), "params": json.loads(r["params"])} for r in rows]
