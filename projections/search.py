"""Member search: by name (diacritics aside, words in any order), party card or citizen id.

Reads the facts model's `member` rows (their `search_keys`, every prefix of every folded word),
its `liaison` rows for where each member lives, and the timeline for their stage.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from domain.organisation import not_in_force
from domain.text import words
from projections.ancestry import subtree

MAX_TERMS = 12
"""Words a search may hold (longer text is refused before it gets here: `api.routes_queries`)."""
SMALL_SUBTREE = 1000
"""Up to this many units a subtree's members are looked up first, above it the matches are
checked against the units as a hashed set. Measured on a 300,000-member replica (25,439 units), a
merged commune of 150 units: p50 / p99 53 / 128 ms hashed, 20 / 37 ms looked up; the province:
looked up, a first letter took seconds (every member of it fetched), hashed 15 / 183 ms."""

_UNITS = "(SELECT unit_id FROM board_unit)"
_MATCH = (
    "SELECT m.member_id, m.name, m.party_card_number, m.workplace_unit_id, m.name_folded,"
    # Whoever typed a whole card or citizen id, or the whole name, first; then by name. (A member
    # without a citizen id is not identified: false, not unknown, which would sort first.)
    " (m.party_card_number = ANY($2::text[])"
    " OR coalesce(m.citizen_id = ANY($2::text[]), false)) AS identified,"
    " m.name_folded = $3 AS named, string_to_array(m.name_folded, ' ') @> $2::text[] AS worded"
    " FROM member m WHERE m.search_keys @> $2::text[]"
)
# Not yours is not found: a member is in the subtree by their workplace or by the commune or cell
# of any of their liaisons, as the member page decides (application.desk.Desk.member).
_AMONG_MANY = (
    # A province's thousands of units are a hashed set, not an array the planner would weigh
    # element by element (170 ms of planning for a 3 ms answer); most members pass the first test.
    f" AND (m.workplace_unit_id IN {_UNITS} OR m.member_id IN (SELECT l.member_id"
    f" FROM liaison l WHERE l.commune_id IN {_UNITS} OR l.cell_id IN {_UNITS}))"
)
_AMONG_FEW = (
    # A commune's or a workplace's few hundred members are looked up through the unit indexes
    # first, rather than every Nguyễn of the province read and thrown away.
    " AND m.member_id IN (SELECT w.member_id FROM member w"
    f" WHERE w.workplace_unit_id = ANY(ARRAY{_UNITS}) UNION ALL SELECT l.member_id FROM liaison l"
    f" WHERE l.commune_id = ANY(ARRAY{_UNITS}) OR l.cell_id = ANY(ARRAY{_UNITS}))"
)
_ORDER = " ORDER BY identified DESC, named DESC, worded DESC, name_folded, party_card_number"

_SEARCH = (
    # The subtree is found here rather than sent: a province's tens of thousands of unit ids
    # cost more to fetch and send back than the search itself.
    f"WITH board_unit AS MATERIALIZED ({subtree(on='$5')})"
    " SELECT f.member_id, f.name, f.party_card_number, last.stage_after AS stage,"
    " coalesce(l.cell_id, l.commune_id, f.workplace_unit_id) AS unit_id, u.name AS unit_name"
    " FROM ({found}{order} LIMIT $4) f"
    " LEFT JOIN LATERAL (SELECT t.liaison_id, t.stage_after FROM timeline t"
    " WHERE t.member_id = f.member_id ORDER BY t.notification_id DESC LIMIT 1) last ON true"
    " LEFT JOIN liaison l ON l.liaison_id = last.liaison_id"
    " LEFT JOIN unit u ON u.unit_id = coalesce(l.cell_id, l.commune_id, f.workplace_unit_id)"
    "{order}"
)
SEARCH_FEW, SEARCH_MANY = (
    _SEARCH.format(found=_MATCH + among, order=_ORDER) for among in (_AMONG_FEW, _AMONG_MANY)
)
"""One page of hits, best first, each with the stage of the member's latest liaison and the unit
where it stands (its cell, else its commune; the workplace before any referral): $1 the unit whose
subtree is searched, $2 the terms, $3 the terms as one name, $4 how many rows, $5 the date."""

_SIZE = f"SELECT count(DISTINCT unit_id) FROM ({subtree()} LIMIT {2 * SMALL_SUBTREE + 2}) s"
"""How many units the subtree holds, counted no further than tells its form apart."""


async def statement(conn: Any, unit_id: str, on: date) -> str:
    """The search's SQL for the unit's subtree on that date; refuses a unit not in force."""
    size = await conn.fetchval(_SIZE, unit_id, on)
    if not size:
        raise not_in_force(unit_id, on)
    return SEARCH_FEW if size <= SMALL_SUBTREE else SEARCH_MANY


@dataclass(frozen=True)
class Hits:
    """The members found, in order, and whether more matched than were asked for."""

    rows: list[dict[str, Any]]
    more: bool


def terms(text: str) -> list[str]:
    """The words to look for: folded, each once, in the order typed (at most MAX_TERMS)."""
    return list(dict.fromkeys(words(text)))[:MAX_TERMS]


async def search(conn: Any, unit_id: str, on: date, text: str, limit: int) -> Hits:
    """Members of the unit's subtree on that date found by what was typed, best first; none for
    text without words. Refuses a unit not in force on that date."""
    query = await statement(conn, unit_id, on)
    found = terms(text)
    if not found:
        return Hits([], more=False)
    rows = await conn.fetch(query, unit_id, found, " ".join(found), limit + 1, on)
    hits = [dict(r) for r in rows]
    return Hits(hits[:limit], more=len(hits) > limit)
