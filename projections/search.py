"""Member search: by name (diacritics aside, words in any order), party card or citizen id.

Reads the facts model's `member` rows (their `search_keys`, every prefix of every folded word),
its `liaison` rows for where each member lives, and the timeline for their stage.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from domain.text import words

MAX_TERMS = 12
"""Words a search may hold (longer text is refused before it gets here: `api.routes_queries`)."""

_FOUND = (
    "SELECT m.member_id, m.name, m.party_card_number, m.workplace_unit_id, m.name_folded,"
    # Whoever typed a whole card or citizen id, or the whole name, first; then by name.
    " (m.party_card_number = ANY($2::text[]) OR m.citizen_id = ANY($2::text[])) AS identified,"
    " m.name_folded = $3 AS named, string_to_array(m.name_folded, ' ') @> $2::text[] AS worded"
    " FROM member m WHERE m.search_keys @> $2::text[]"
    # Not yours is not found: a member is in the subtree by their workplace or by the commune or
    # cell of any of their liaisons, as the member page decides (application.desk.Desk.member).
    " AND (m.workplace_unit_id = ANY($1::text[]) OR m.member_id IN (SELECT l.member_id"
    " FROM liaison l WHERE l.commune_id = ANY($1::text[]) OR l.cell_id = ANY($1::text[])))"
)
_ORDER = " ORDER BY identified DESC, named DESC, worded DESC, name_folded, party_card_number"

SEARCH = (
    "SELECT f.member_id, f.name, f.party_card_number, last.stage_after AS stage,"
    " coalesce(l.cell_id, l.commune_id, f.workplace_unit_id) AS unit_id, u.name AS unit_name"
    f" FROM ({_FOUND}{_ORDER} LIMIT $4) f"
    " LEFT JOIN LATERAL (SELECT t.liaison_id, t.stage_after FROM timeline t"
    " WHERE t.member_id = f.member_id ORDER BY t.notification_id DESC LIMIT 1) last ON true"
    " LEFT JOIN liaison l ON l.liaison_id = last.liaison_id"
    " LEFT JOIN unit u ON u.unit_id = coalesce(l.cell_id, l.commune_id, f.workplace_unit_id)"
    f"{_ORDER}"
)
"""One page of hits, best first, each with the stage of the member's latest liaison and the unit
where it stands (its cell, else its commune; the workplace before any referral)."""


@dataclass(frozen=True)
class Hits:
    """The members found, in order, and whether more matched than were asked for."""

    rows: list[dict[str, Any]]
    more: bool


def terms(text: str) -> list[str]:
    """The words to look for: folded, each once, in the order typed (at most MAX_TERMS)."""
    return list(dict.fromkeys(words(text)))[:MAX_TERMS]


async def search(conn: Any, units: list[str], text: str, limit: int) -> Hits:
    """Members of these units found by what was typed, best first; none for text without words."""
    found = terms(text)
    if not found:
        return Hits([], more=False)
    rows = await conn.fetch(SEARCH, units, found, " ".join(found), limit + 1)
    hits = [dict(r) for r in rows]
    return Hits(hits[:limit], more=len(hits) > limit)
