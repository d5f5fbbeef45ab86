"""The SQL behind every dashboard number: each figure selects the rows (member, liaison, unit, code)
that make it up, so a count and the list behind it are the same query.

Parameters: $1 unit ids rolling into the board's unit (text[]; in the `within` form the board's
unit id, text, from which the statement works them out), $2 period start, $3 period end (the
as-of date, within the year), $4 known-at time (recorded_at bound), $5 the year.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from projections import standing
from projections.ancestry import rolling_into, subtree
from projections.escalations import MEMBER_OF, open_on
from projections.standing import REFERRAL_DAYS, STEPPED
from projections.tally import COUNTED_ON, FIGURE_OF, KINDS, TALLIED, YEAR_KINDS, names

_SEEN = "f.recorded_at <= $4 AND f.effective_date <= $3"
_UNITS = "(SELECT unit_id FROM board_unit)"
_IN = f"(f.unit_id IN {_UNITS} OR f.workplace_id IN {_UNITS})"


def _among(column: str) -> str:
    """SQL: the row's unit in `column` is one of the subtree's, tested on each row read (a
    hashed look-up among the subtree's units); `for_subtree` makes it an index condition for a
    few units.

    Said as `IS TRUE` so that PostgreSQL keeps it a test and does not make it a join: knowing
    nothing of the units' table, it expects 200 distinct units and looks each one up in the
    column's index (at 300,000 members 28,876 look-ups for the province, 0.2 s a statement,
    where reading the kind's rows and testing each takes a fraction of it)."""
    return f"({column} IN {_UNITS}) IS TRUE"


_PERIOD = "f.effective_date >= $2"
_ROW = (
    f"f.member_id, f.liaison_id, CASE WHEN f.unit_id IN {_UNITS} THEN f.unit_id"
    " ELSE f.workplace_id END AS unit_id"
)
"""Who a row names, and the unit of the board's subtree it counts under: the residence unit (a
commune's or a cell's board) or else the workplace (a workplace committee's or cell's board)."""


def _closed_by(day: str) -> str:
    return (
        "EXISTS (SELECT 1 FROM fact c WHERE c.liaison_id = f.liaison_id AND c.kind = 'closed'"
        f" AND c.effective_date <= {day} AND c.recorded_at <= $4)"
    )


def _exempt_on(day: str) -> str:
    """SQL: the liaison's latest exemption or lift by `day` is an exemption.

    Said as "an exemption with no lift after it" so that PostgreSQL plans it as an anti-join
    over the few exempt liaisons instead of a sorted look-up per row."""
    return (
        "EXISTS (SELECT 1 FROM fact x WHERE x.liaison_id = f.liaison_id AND x.kind = 'exempt_act'"
        f" AND x.effective_date <= {day} AND x.recorded_at <= $4 AND NOT EXISTS (SELECT 1"
        " FROM fact y WHERE y.liaison_id = x.liaison_id AND y.kind = 'exempt_act_lifted'"
        f" AND y.effective_date <= {day} AND y.recorded_at <= $4"
        " AND (y.effective_date, y.notification_id) > (x.effective_date, x.notification_id)))"
    )


def _events(kind: str, *, period: bool = True, year: bool = False, code: str = "f.code") -> str:
    where = [f"f.kind = '{kind}'", _SEEN, _IN]
    if period:
        where.append(_PERIOD)
    if year:
        where.append("f.year = $5")
    return f"SELECT {_ROW}, {code} AS code FROM fact f WHERE {' AND '.join(where)}"


_KIND_OF = {figure: kind for kind, figure in KINDS.items()}


def _one_fact(figure: str) -> str:
    """A figure that one fact makes: `projections.tally` says of which kind, and whether it counts
    over the period or by the year it is for (the tally and these rows must agree)."""
    kind = _KIND_OF[figure]
    by_year = kind in YEAR_KINDS
    return _events(kind, period=not by_year, year=by_year)


_RETURNED = (
    "EXISTS (SELECT 1 FROM fact a WHERE a.liaison_id = f.liaison_id AND a.kind = 'assessed'"
    " AND a.year = $5 AND a.effective_date <= $3 AND a.recorded_at <= $4)"
)
_OWED = (
    f"SELECT {_ROW}, f.due_on, {_RETURNED} AS assessed, f.unit_id AS residence_id FROM fact f"
    " WHERE f.kind = 'assessment_due'"
    f" AND f.year = $5 AND {_SEEN} AND {_IN}"
    f" AND NOT {_closed_by('least($3, f.due_on)')} AND NOT {_exempt_on('least($3, f.due_on)')}"
)
"""The year's assessments the rules made due (not closed or exempt by their due date), each with
whether it was returned by the end of the period."""
_DUE = (
    f"SELECT * FROM owed UNION ALL SELECT {_ROW}, NULL::date, true, f.unit_id FROM fact f"
    f" WHERE f.kind = 'assessed' AND f.year = $5 AND {_SEEN} AND {_IN}"
    " AND NOT EXISTS (SELECT 1 FROM owed o WHERE o.liaison_id = f.liaison_id)"
)
"""The year's assessments to make: those the rules made due, and any other the cell made (a member
received after the window opened, or closed or exempt by the due date, and assessed all the same).
So due = returned + not yet returned, and a member just assessed is among the due. Each row names
its residence unit too (the cell), for the figures that count cells."""
_OPEN_REQUESTS = (
    f"SELECT {_ROW}, f.code, f.due_on FROM fact f WHERE f.kind = 'requested' AND {_SEEN}"
    f" AND {_IN} AND NOT {_closed_by('$3')} AND NOT EXISTS (SELECT 1 FROM fact p"
    " WHERE p.liaison_id = f.liaison_id AND p.kind = 'provided' AND p.code = f.code"
    " AND p.effective_date <= $3 AND p.recorded_at <= $4)"
)
_BOARD_UNIT = "WITH board_unit AS (SELECT unnest($1::text[]) AS unit_id),"
"""The subtree's unit ids ($1) as a table: how every statement on `SHARED` begins."""
SHARED = f"{_BOARD_UNIT} owed AS ({_OWED}), due AS ({_DUE}), open_request AS ({_OPEN_REQUESTS})"
"""Rows that several figures read, named once so that one statement computes them once
(PostgreSQL materialises a WITH query that is read more than once). Every statement that reads
`FIGURES` starts with it; a WITH query that no figure reads is never run.

The subtree's units are a table, not `= ANY($1)`: the planner estimates an array comparison
element by element against the column statistics, which for a province's thousand units took
longer than running the query."""
_LATEST = (
    "SELECT DISTINCT ON ({key}) {row}, f.code, f.kind FROM fact f WHERE f.kind IN ({kinds})"
    f" AND {_SEEN} AND {_IN} ORDER BY {{key}}, f.effective_date DESC, f.notification_id DESC"
)

_AWAITING = (
    f"SELECT {_ROW}, NULL::text AS code FROM fact f WHERE f.kind = 'referred' AND {_SEEN} AND {_IN}"
    f" AND NOT {_closed_by('$3')} AND NOT EXISTS (SELECT 1 FROM fact r"
    " WHERE r.liaison_id = f.liaison_id AND r.kind = 'received_cell' AND r.effective_date <= $3"
    " AND r.recorded_at <= $4)"
)
_ESCALATIONS = (
    f"SELECT {MEMBER_OF} AS member_id, l.liaison_id, e.unit_id, e.kind AS code FROM escalation e"
    f" LEFT JOIN liaison l ON l.liaison_id = e.liaison_id WHERE e.unit_id IN {_UNITS}"
    f" AND {open_on('$3', '$4')}"
)

_REFERRAL_LATE = (
    "SELECT f.member_id, NULL::uuid AS liaison_id, f.workplace_id AS unit_id, NULL::text AS code"
    f" FROM fact f WHERE f.kind = 'registered' AND {_SEEN} AND {_among('f.workplace_id')}"
    f" AND coalesce(f.due_on, f.effective_date + {REFERRAL_DAYS}) < $3 AND NOT EXISTS (SELECT 1"
    " FROM fact r"
    " WHERE r.member_id = f.member_id AND r.kind = 'referred' AND r.effective_date <= $3"
    " AND r.recorded_at <= $4) AND NOT EXISTS (SELECT 1 FROM fact x WHERE x.member_id ="
    " f.member_id AND x.kind = 'exempt_intro' AND x.effective_date <= $3 AND x.recorded_at <= $4)"
)
"""Members registered at a workplace of the subtree more than the referral days ago, never
referred nor exempted from introduction (late referral, the articles' first complaint)."""
_LATER = "f.effective_date, f.kind"
_IN_SCOPE = (
    "SELECT f.member_id, NULL::uuid AS liaison_id, f.workplace_id AS unit_id,"
    f" {_LATER} FROM fact f WHERE f.kind = 'registered' AND {_SEEN}"
    f" AND {_among('f.workplace_id')} UNION ALL SELECT {_ROW}, {_LATER} FROM fact f"
    " WHERE f.kind IN ('referred', 'received_commune', 'received_cell')"
    f" AND {_SEEN} AND {_IN} AND NOT {_closed_by('$3')}"
)
"""Rows naming a member in scope: registered at a workplace in the subtree, or with an open
liaison from a workplace or to a commune or cell in it; each member counts once, listed by their
open liaison when they have one, under the unit of its latest of these facts (the cell that
received them, say, rather than their commune: each list and breakdown names the same one), the
later stage first on one day. Ordered by columns the kind index holds (not the fact's id), so that
the rows are still read from the index alone."""
_CELLS_ATTENDING = (
    "SELECT NULL::uuid AS member_id, NULL::uuid AS liaison_id, f.unit_id FROM fact f"
    f" WHERE f.kind = 'received_cell' AND {_SEEN} AND {_among('f.unit_id')}"
    f" AND NOT {_closed_by('$3')} AND NOT {_exempt_on('$3')}"
)
"""Rows naming a cell with a member attending (received, not closed, not exempt); each cell
counts once."""
_CELLS_ASSESSING = (
    "SELECT NULL::uuid AS member_id, NULL::uuid AS liaison_id, d.residence_id AS unit_id"
    f" FROM due d WHERE d.residence_id IN {_UNITS}"
)
"""Rows naming a residence cell of the subtree with members whose assessment of the year is due
(Nghệ An's "all cells with 213 members"); each cell counts once."""
_CELLS_ASSESSED = (
    "SELECT NULL::uuid AS member_id, NULL::uuid AS liaison_id, d.residence_id AS unit_id,"
    f" NULL::text AS code FROM due d WHERE d.residence_id IN {_UNITS}"
    " GROUP BY d.residence_id HAVING bool_and(d.assessed)"
)
"""The cells among those that have assessed every member due ("cells that assessed their 213
members", of all cells with 213 members)."""
DISTINCT: dict[str, tuple[str, str, str]] = {
    "members_in_scope": (
        _IN_SCOPE,
        "member_id",
        "member_id, liaison_id NULLS LAST, effective_date DESC,"
        " array_position(ARRAY['received_cell', 'received_commune', 'referred'], kind), unit_id",
    ),
    "cells_attending": (_CELLS_ATTENDING, "unit_id", "unit_id"),
    "cells_assessing": (_CELLS_ASSESSING, "unit_id", "unit_id"),
}
"""Figures that count one row per key: (the rows, the key, the order that picks the row listed)."""

FIGURES: dict[str, str] = {
    "members_in_scope": "",  # from DISTINCT, below
    "referred": _one_fact("referred"),
    "received_commune": _one_fact("received_commune"),
    "received_cell": _one_fact("received_cell"),
    "awaiting_receipt": _AWAITING,
    "referrals_late": _REFERRAL_LATE,
    "exempt_from_introduction": (
        "SELECT member_id, liaison_id, unit_id, code FROM ("
        + _LATEST.format(key="f.member_id", row=_ROW, kinds="'exempt_intro', 'exempt_intro_lifted'")
        + ") e WHERE e.kind = 'exempt_intro'"
    ),
    "exempt_from_activities": (
        "SELECT member_id, liaison_id, unit_id, code FROM ("
        + _LATEST.format(key="f.liaison_id", row=_ROW, kinds="'exempt_act', 'exempt_act_lifted'")
        + " ) e WHERE e.kind = 'exempt_act' AND NOT EXISTS (SELECT 1 FROM fact c"
        " WHERE c.liaison_id = e.liaison_id AND c.kind = 'closed' AND c.effective_date <= $3"
        " AND c.recorded_at <= $4)"
    ),
    "meetings_held": _one_fact("meetings_held"),
    "attendance": _one_fact("attendance"),
    "assessments_due": "SELECT member_id, liaison_id, unit_id, NULL::text AS code FROM due",
    "assessments_returned": _one_fact("assessments_returned"),
    "assessments_late": _one_fact("assessments_late"),
    "assessments_overdue": (
        "SELECT member_id, liaison_id, unit_id, NULL::text AS code FROM due"
        " WHERE due_on < $3 AND NOT assessed"
    ),
    "assessments_outstanding": (
        "SELECT member_id, liaison_id, unit_id, NULL::text AS code FROM due WHERE NOT assessed"
    ),
    "reported_back": _one_fact("reported_back"),
    "requests_open": "SELECT member_id, liaison_id, unit_id, code FROM open_request",
    "requests_overdue": (
        "SELECT member_id, liaison_id, unit_id, code FROM open_request WHERE due_on < $3"
    ),
    "escalations_open": _ESCALATIONS,
    "proposals": _one_fact("proposals"),
    "cells_assessing": "",  # from DISTINCT, below
    "cells_assessed": _CELLS_ASSESSED,
    "cells_attending": "",  # from DISTINCT, below
}
for _name, (_rows, _key, _order) in DISTINCT.items():
    FIGURES[_name] = (
        f"SELECT DISTINCT ON ({_key}) member_id, liaison_id, unit_id, NULL::text AS code"
        f" FROM ({_rows}) s ORDER BY {_order}"
    )


def _count(i: int, name: str, query: str) -> str:
    """SQL: one figure's count by code; a DISTINCT figure counts its keys (a hash, not a sort)."""
    if name in DISTINCT:
        rows, key, _ = DISTINCT[name]
        return (
            f"SELECT '{name}' AS figure, NULL::text AS code, count(*) AS n"
            f" FROM (SELECT {key} FROM ({rows}) s{i} GROUP BY {key}) q{i}"
        )
    return f"SELECT '{name}' AS figure, code, count(*) AS n FROM ({query}) q{i} GROUP BY code"


COUNTS = f"{SHARED} " + " UNION ALL ".join(
    _count(i, name, query) for i, (name, query) in enumerate(FIGURES.items())
)
"""Every figure counted by code in one round trip."""
_TALLIED_AFTER = (
    f"SELECT {FIGURE_OF.format(t='f')} AS figure, f.code, count(*) AS n FROM fact f"
    f" WHERE f.kind IN ({names(KINDS)}) AND f.notification_id > $7 AND f.recorded_at <= $4"
    f" AND {_IN} AND {COUNTED_ON.format(t='f')} GROUP BY f.kind, f.code"
)
"""The facts of the tallied kinds written after the tally's last count ($7, `tallied_to`)."""
_TALLIED_UNKNOWN = (
    f"SELECT {FIGURE_OF.format(t='f')} AS figure, f.code, -count(*) AS n FROM fact f"
    f" WHERE f.kind IN ({names(KINDS)}) AND f.notification_id <= $7 AND f.recorded_at > $4"
    f" AND {_IN} AND {COUNTED_ON.format(t='f')} GROUP BY f.kind, f.code"
)
"""The tallied facts recorded after the known-at time ($4), taken out of the tally's counts."""
_TALLIED_UNKNOWN_NEAR = (
    f"SELECT {FIGURE_OF.format(t='f')} AS figure, f.code, -count(*) AS n FROM ("
    "SELECT f.kind, f.code, f.effective_date, f.year, f.recorded_at, f.notification_id FROM fact f"
    f" WHERE f.kind IN ({names(KINDS)}) AND {_IN} OFFSET 0) f"
    f" WHERE f.notification_id <= $7 AND f.recorded_at > $4 AND {COUNTED_ON.format(t='f')}"
    " GROUP BY f.kind, f.code"
)
"""The same for a subtree of a few units, its facts found through the unit indexes alone (`OFFSET
0` keeps the times and dates out of that search): else PostgreSQL, which cannot tell that a
commune's cells are never anyone's workplace, expects thousands of rows from the workplace index
and intersects them with the kind index's hundreds of thousands recorded after the time (a
commune's known-at board at 300,000 members 0.20–0.25 → 0.07–0.12 s)."""


def _tallied_counts(stepped: bool) -> str:
    kept = set(KINDS.values()) | (set(standing.FIGURES) if stepped else set())
    counted = " UNION ALL ".join(
        _count(i, name, query)
        for i, (name, query) in enumerate(FIGURES.items())
        if name not in kept
    )
    return f"{SHARED} {counted} UNION ALL {TALLIED} UNION ALL {_TALLIED_AFTER}" + (
        f" UNION ALL {STEPPED}" if stepped else ""
    )


TALLIED_COUNTS = _tallied_counts(stepped=False)
"""The same counts for a tallied unit ($6, `projections.tally`): the one-fact figures from its
tally and the facts after it ($7), the others from the facts. A figure and code may come twice."""
STEPPED_COUNTS = _tallied_counts(stepped=True)
"""The same again with the state figures from the unit's steps (`projections.standing`): only the
open escalations are counted from their rows."""
KNOWN_COUNTS = f"{STEPPED_COUNTS} UNION ALL {_TALLIED_UNKNOWN}"
"""The same as known at a time ($4): the tallied facts recorded after it taken out (the state
figures' steps are corrected in Python: `projections.standing.unknown_rows`)."""

SMALL_SUBTREE = 32
"""Up to this many units (a commune, a cell, a workplace) a subtree's rows are found through the
unit indexes; above it (a district, the province) a hashed scan of the kind's partition is the
quicker (measured at 50,000 members: a commune 25 → 4 ms, the province 115 against 164 ms)."""
SUBTREE_SHARE = 32
"""A subtree of at most this share of the tree's units (1/32) is looked up too, however many
units it has: a scan costs what the whole province holds, a look-up what the subtree holds. At
150,000 members (14,469 units) a commune of 34 or 103 units counted as known at a past time in
0.28–0.34 s scanned and 0.03–0.10 s looked up, a district of 443 the same either way (0.29 s),
the province 0.36–0.77 s scanned against 1.5–1.8 s looked up."""
TREE_UNITS = "SELECT count(*) FROM unit"
"""How many units the tree holds (every unit id ever recorded)."""


WHOLE_SHARE = 2
"""A subtree of more than this share of the tree's units (more than half: the province's board in
a store of one province) is tested by the few units outside it (`_outside`)."""
_MEMBERSHIP = re.compile(r"(\w+\.\w+) IN " + re.escape(_UNITS))


def _outside(query: str, board: str = _BOARD_UNIT) -> str:
    """The query with each test that a unit id is among the subtree's (28,688 of them for the
    province at 300,000 members, a hashed set built for each figure and each row's id hashed
    into it) said as a test that it is not among the tree's units outside the subtree (the units
    no longer or not yet in force on the date: 62 to 250). The rows are the same for every unit
    id the units model has recorded; one it has not yet (the units model behind the facts for a
    moment) counts under a board of more than half the tree, where the other form leaves it
    out. As known at the middle of the import at 300,000 members, a year's statement took 0.95–
    1.17 s, and 0.70–0.89 s so. `board` is how the query names the subtree's units."""
    query = query.replace(
        board,
        f"{board} board_outside AS"
        " (SELECT unit_id FROM unit EXCEPT SELECT unit_id FROM board_unit),",
        1,
    )
    return _MEMBERSHIP.sub(r"(\1 NOT IN (SELECT unit_id FROM board_outside)) IS TRUE", query)


def for_subtree(query: str, units: Sequence[str], hashed: str = _UNITS, tree: int = 0) -> str:
    """The query in the form that suits a subtree of this many units, in a tree of `tree` units
    (0: not known); the rows are the same.

    `IN (a table of the units)` is planned as a hashed set, right for a thousand units (`_among`
    keeps it a test of each row read); for a few, `= ANY($1)` lets PostgreSQL look each one up in
    the unit indexes instead, and the tallied facts recorded after a known-at time are found by
    unit alone (`_TALLIED_UNKNOWN_NEAR`); for more than half the tree, a figure's statement
    tests the units outside the subtree instead (`_outside`)."""
    return _form(query, len(units), tree, hashed, _BOARD_UNIT, "$1::text[]")


_BOARD_WITHIN = f"WITH board_unit AS ({subtree('$1', '$3')}),"
"""The subtree's unit ids worked out by the statement from the board's unit ($1) on the period's
last day ($3), as `dashboard.scope` finds them."""


def within(query: str, size: int, tree: int) -> str:
    """`for_subtree`'s form of a figures statement (one beginning as `SHARED` does) for a subtree
    of `size` units in a tree of `tree`, which works the subtree's units out itself from the
    board's unit id ($1, text) instead of being sent them. A province's board of one year had its
    28,876 unit ids fetched (19 ms) and sent back (14 ms) for a statement of 15 ms."""
    board = query.replace(_BOARD_UNIT, _BOARD_WITHIN, 1)
    return _form(board, size, tree, _UNITS, _BOARD_WITHIN, "ARRAY(SELECT unit_id FROM board_unit)")


def _form(query: str, size: int, tree: int, hashed: str, board: str, listed: str) -> str:
    """The query in the form for `size` units: `listed` is the units as an array. A few units
    are looked up, whatever the tree's size."""
    if tree and size > SMALL_SUBTREE and size * WHOLE_SHARE > tree and query.startswith(board):
        return _outside(query, board)
    if size > max(SMALL_SUBTREE, tree // SUBTREE_SHARE):
        return query
    near = query.replace(_TALLIED_UNKNOWN, _TALLIED_UNKNOWN_NEAR)
    near = _AMONG.sub(rf"\1 = ANY({listed})", near)
    return near.replace(f" IN {hashed}", f" = ANY({listed})")


_AMONG = re.compile(r"\((\w+\.\w+) IN " + re.escape(_UNITS) + r"\) IS TRUE")
"""`_among`'s test, which a few units' form makes an index condition again."""


_TALLIED_OF = (
    "SELECT r.ancestor_id, s.tallied_to, EXISTS (SELECT FROM fact_step_state) AS stepped,"
    " to_regclass('stage_step_state') IS NOT NULL AS version_3"
)
_TALLIED_FROM = (
    " FROM unit_ancestry r JOIN fact_tallied t USING (ancestor_id), fact_tally_state s"
    " WHERE r.unit_id = $1 AND r.depth = 0"
    " AND r.valid_from <= $2 AND (r.valid_until IS NULL OR $2 < r.valid_until)"
)
TALLIED_UNIT = _TALLIED_OF + _TALLIED_FROM
"""The unit in force on a date that carries $1, if the facts model tallies it, the event up to
which its tally counts, whether its state figures' steps are kept, and whether the facts model's
tables are of version 3 (the funnel's steps, the overdue rows among the cells' steps: while a
store upgrades, the version-2 tables still answer, without them)."""
TALLIED_BOARD = (
    f"{_TALLIED_OF}, (SELECT count(*) FROM ({rolling_into('r.ancestor_id')}) u) AS units,"
    f" ({TREE_UNITS}) AS tree{_TALLIED_FROM}"
)
"""`TALLIED_UNIT` with how many unit ids roll into the unit on the date and how many the tree
holds, for `within`'s form (the subtree's index entries counted, no id fetched)."""


SCOPE = subtree().replace("SELECT", "SELECT DISTINCT", 1)
"""The unit ids (as recorded, old or new) that roll up into the unit ($1) in force on a date
($2), each once."""
