"""Imports begun and not completed (from the audit trail): the board shows each until it is run
again to the end (`domain.import_run`)."""

from __future__ import annotations

from typing import Any

INCOMPLETE = (
    "SELECT a.originator_id AS run_id, a.recorded_at AS started_at, a.details->>'source' AS source,"
    " (a.details->>'members')::int AS members FROM audit_event a"
    " WHERE a.event = 'ImportStarted' AND a.units && $1::text[] AND NOT EXISTS (SELECT 1"
    " FROM audit_event b WHERE b.originator_id = a.originator_id AND b.event = 'ImportCompleted')"
    " ORDER BY a.recorded_at DESC LIMIT $2"
)


async def built(conn: Any) -> bool:
    """True once the audit trail and the unit tree's read model exist (the import page works
    before the projector has run: it then shows no unfinished import)."""
    found = await conn.fetchval(
        "SELECT to_regclass('audit_event') IS NOT NULL AND to_regclass('unit_ancestry') IS NOT NULL"
    )
    return bool(found)


async def incomplete(conn: Any, units: list[str], limit: int = 20) -> list[dict[str, Any]]:
    """The newest imports started by someone acting for these units and never completed."""
    return [dict(r) for r in await conn.fetch(INCOMPLETE, units, limit)]
