"""Counts of the one-fact figures kept per large unit, so that a district's or the province's board
reads a few thousand rows instead of every fact of its subtree (issue 18, point 1).

A `fact_tally` row counts the facts of one kind, code, year and effective date that roll into one
unit (the ancestor) on the dates of `valid`: the dates on which the fact's residence or workplace
unit id rolls into that ancestor (`projections.ancestry`: a merger moves a unit id to another
ancestor from a date on). A board of the ancestor on date d counts the rows whose `valid` holds d,
exactly the facts `projections.figures` would select through the subtree's unit ids on d.

The facts model keeps the rows in the same transaction as its facts, from the tree as its own log
position knows it; when the tree changes, the facts of the unit ids whose roll-up changed are taken
out under the old tree and counted again under the new. Only units that ever held more than
`TALLY_FROM` unit ids are tallied (`fact_tallied` lists them): a commune or a cell reads its rows
through the unit indexes as quickly. A known-at inspection (a recorded-time bound) reads the tally
less the tallied facts recorded after its time (`figures.KNOWN_COUNTS`).

A bulk catch-up does not keep the table batch by batch (a quarter of its facts process's time at
300,000 members): it leaves it (no `fact_tally_state` row: a board counts from the facts) and
counts it once at its end, in one statement (`Tally.rebuild`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any, ClassVar

from domain.organisation import OrganisationTree
from projections.ancestry import ancestry_rows
from projections.model import Cursor, Derived, copy_rows

TALLY_FROM = 32
"""A unit is tallied once more than this many unit ids have ever rolled into it (the read side's
`figures.SMALL_SUBTREE`: above it a subtree's facts are scanned, below it looked up)."""

PERIOD_KINDS = {
    "referred": "referred", "received_commune": "received_commune",
    "received_cell": "received_cell", "meeting": "meetings_held", "attendance": "attendance",
    "proposed": "proposals",
}  # fmt: skip
"""Kinds counted over the period (first day of the year to the as-of date), by the figure each
makes."""
YEAR_KINDS = {
    "assessed": "assessments_returned", "assessed_late": "assessments_late",
    "reported": "reported_back",
}  # fmt: skip
"""Kinds counted by the year they are for (effective by the as-of date), by figure."""
KINDS = {**PERIOD_KINDS, **YEAR_KINDS}

FLUSH_EVENTS = 50_000
"""The table counts the facts up to the last multiple of this many events (`Tally`)."""

Interval = tuple[date, date | None]
Validity = tuple[Interval, ...]
RollUp = dict[str, dict[str, tuple[Interval, ...]]]
"""unit id → tallied ancestor → the periods in which the unit id rolls into it."""
Key = tuple[str, str, date, str | None, int | None, Validity]
"""A tally row's key: ancestor, kind, effective date, code, year, validity."""


def _order(span: Interval) -> tuple[date, date]:
    return span[0], span[1] or date.max


def roll_up(tree: OrganisationTree, tally_from: int | None = None) -> RollUp:
    """Where each unit id rolls up, and when, restricted to the tallied ancestors."""
    rows = ancestry_rows(tree)
    members: dict[str, set[str]] = defaultdict(set)
    for unit, ancestor, _depth, _since, _until in rows:
        members[ancestor].add(unit)
    threshold = TALLY_FROM if tally_from is None else tally_from
    large = {a for a, units in members.items() if len(units) > threshold}
    periods: dict[str, dict[str, list[Interval]]] = defaultdict(lambda: defaultdict(list))
    for unit, ancestor, _depth, since, until in rows:
        if ancestor in large:
            periods[unit][ancestor].append((since, until))
    return {
        unit: {a: tuple(sorted(spans, key=_order)) for a, spans in by_ancestor.items()}
        for unit, by_ancestor in periods.items()
    }


def changed(old: RollUp, new: RollUp) -> list[str]:
    """The unit ids whose roll-up differs between the two."""
    return sorted(u for u in old.keys() | new.keys() if old.get(u) != new.get(u))


def tallied(rolls: RollUp) -> set[str]:
    """The ancestors the roll-up tallies."""
    return {a for by_ancestor in rolls.values() for a in by_ancestor}


def merged(spans: Iterable[Interval]) -> Validity:
    """The union of the periods as PostgreSQL writes a multirange: sorted, touching ones joined."""
    out: list[list[Any]] = []
    for since, until in sorted(spans, key=_order):
        if out and (out[-1][1] is None or since <= out[-1][1]):
            if out[-1][1] is not None and (until is None or until > out[-1][1]):
                out[-1][1] = until
            continue
        out.append([since, until])
    return tuple((a, b) for a, b in out)


def multirange(validity: Validity) -> str:
    """The validity as a `datemultirange` literal."""
    return "{" + ",".join(f"[{a},{'' if b is None else b})" for a, b in validity) + "}"


class Places:
    """One roll-up, and for each pair of residence and workplace unit ids met so far the tallied
    ancestors a fact of theirs rolls into, with the dates it does."""

    def __init__(self, rolls: RollUp | None = None) -> None:
        self.rolls: RollUp = rolls or {}
        self._known: dict[tuple[str | None, str | None], list[tuple[str, Validity]]] = {}

    def of(self, unit: str | None, workplace: str | None) -> list[tuple[str, Validity]]:
        known = self._known.get((unit, workplace))
        if known is None:
            spans: dict[str, list[Interval]] = defaultdict(list)
            for held in (unit, workplace):
                for ancestor, periods in self.rolls.get(held or "", {}).items():
                    spans[ancestor].extend(periods)
            known = [(a, merged(p)) for a, p in sorted(spans.items())]
            self._known[(unit, workplace)] = known
        return known

    def count(self, counts: dict[Key, int], facts: Iterable[Sequence[Any]], sign: int = 1) -> None:
        """Add (or take out) facts given as (kind, unit, workplace, effective date, code, year)."""
        for kind, unit, workplace, day, code, year in facts:
            if kind not in KINDS:
                continue
            for ancestor, validity in self.of(unit, workplace):
                key = (ancestor, kind, day, code, year, validity)
                counts[key] = counts.get(key, 0) + sign


class Tally(Derived):
    """The roll-up of the facts model's tree, and the counts not yet added to the table.

    The table counts the facts of the events up to `fact_tally_state.tallied_to`, a multiple of
    `FLUSH_EVENTS`: the counts of later facts wait in memory until the log passes the next
    multiple (adding them batch by batch touched rows of every date of the year each time, half
    again the facts' own time). So the table at a log position is the same however the events
    were batched; a board adds the facts after `tallied_to` from the facts (at most
    `FLUSH_EVENTS` events' worth). After a restart, or when the tree changes, the waiting counts
    are read again from those facts."""

    state: ClassVar[str] = "fact_tally_state"
    column: ClassVar[str] = "tallied_to"

    def __init__(self) -> None:
        super().__init__()
        self.tree: OrganisationTree | None = None
        self.places = Places()
        self.waiting: dict[Key, int] = {}

    def forget(self) -> None:
        super().forget()
        self.tree, self.places, self.waiting = None, Places(), {}

    def follow(self, tree: OrganisationTree) -> Places:
        """Take up this tree's roll-up; answers the places it replaces (the same if unchanged)."""
        before = self.places
        if tree is not self.tree:
            self.tree, self.places = tree, Places(roll_up(tree))
        return before

    def save(
        self,
        cur: Cursor,
        tables: Mapping[str, str],
        facts: Sequence[Sequence[Any]],
        batch: tuple[int, int],
        before: Places,
    ) -> None:
        """Count the facts of the batch of events `batch` (first, last; the facts are written)
        and, if the tree changed, move the counted facts of the unit ids whose roll-up changed."""
        first, last = batch
        if self.kept_to is None or self.kept_to < 0:
            if self.kept(cur, tables) < 0:  # left by a bulk catch-up that did not end
                self.rebuild(cur, tables, first - 1, before)
            self._wait(cur, tables, first, before)
        if before is not self.places:
            self._move(cur, tables, before)
            self._wait(cur, tables, first, self.places)
        upto = last // FLUSH_EVENTS * FLUSH_EVENTS
        self.places.count(self.waiting, (_counted(f) for f in facts if f[0] <= upto))
        if upto > self.kept(cur, tables):
            _upsert(cur, tables["fact_tally"], self.waiting.items())
            self.reached(cur, tables, upto)
            self.waiting = {}
        self.places.count(self.waiting, (_counted(f) for f in facts if f[0] > upto))

    def rebuild(self, cur: Cursor, tables: Mapping[str, str], position: int, at: Places) -> None:
        """Count the facts of the events up to the last multiple of `FLUSH_EVENTS` at or before
        `position` again, under the roll-up `at`, as the table holds them kept batch by batch.

        Each pair of residence and workplace unit ids the facts name is given its tallied
        ancestors and their dates here (`Places.of`); PostgreSQL joins the facts to them and
        counts, in one statement. The counts of later facts are read again by the next batch."""
        upto = position // FLUSH_EVENTS * FLUSH_EVENTS
        fact, tally = tables["fact"], tables["fact_tally"]
        cur.execute(f"TRUNCATE {tally}")
        cur.execute(f"DELETE FROM {tables['fact_tallied']}")
        cur.execute(
            f"INSERT INTO {tables['fact_tallied']} SELECT unnest(%s::text[])",
            (sorted(tallied(at.rolls)),),
        )
        cur.execute(
            f"SELECT DISTINCT unit_id, workplace_id FROM {fact}"
            " WHERE kind = ANY(%s) AND notification_id <= %s",
            (list(KINDS), upto),
        )
        places = [
            (unit or "", workplace or "", ancestor, multirange(validity))
            for unit, workplace in (tuple(r.values()) for r in cur.fetchall())
            for ancestor, validity in at.of(unit, workplace)
        ]
        cur.execute(
            "CREATE TEMPORARY TABLE tally_place (unit_id text, workplace_id text,"
            " ancestor_id text, valid text) ON COMMIT DROP"
        )
        copy_rows(cur, "tally_place", _PLACE, places)
        cur.execute("SET LOCAL work_mem = '256MB'")  # a province's counts hashed in memory
        cur.execute(
            f"INSERT INTO {tally} (ancestor_id, kind, effective_date, code, year, valid, n)"
            " SELECT p.ancestor_id, f.kind, f.effective_date, f.code, f.year,"
            f" p.valid::datemultirange, count(*) FROM {fact} f JOIN tally_place p"
            " ON p.unit_id = coalesce(f.unit_id, '')"
            " AND p.workplace_id = coalesce(f.workplace_id, '')"
            " WHERE f.kind = ANY(%s) AND f.notification_id <= %s"
            " GROUP BY p.ancestor_id, f.kind, f.effective_date, f.code, f.year, p.valid",
            (list(KINDS), upto),
        )
        cur.execute("DROP TABLE tally_place")
        self.reached(cur, tables, upto)
        self.waiting = {}

    def _wait(self, cur: Cursor, tables: Mapping[str, str], first: int, at: Places) -> None:
        """Count again, as waiting, the facts after `tallied_to` and before the batch."""
        later = _facts(cur, tables, "notification_id > %s AND notification_id < %s",
                       (self.kept_to, first))  # fmt: skip
        self.waiting = {}
        at.count(self.waiting, later)

    def _move(self, cur: Cursor, tables: Mapping[str, str], before: Places) -> None:
        """Take the counted facts of unit ids whose roll-up changed out under the old roll-up and
        count them under the new; keep the list of tallied units."""
        old, new = before.rolls, self.places.rolls
        moved = changed(old, new)
        now, then = tallied(new), tallied(old)
        cur.execute(
            f"DELETE FROM {tables['fact_tallied']} WHERE NOT ancestor_id = ANY(%s)", (sorted(now),)
        )
        if now - then:
            cur.execute(
                f"INSERT INTO {tables['fact_tallied']} SELECT unnest(%s::text[])"
                " ON CONFLICT DO NOTHING",
                (sorted(now - then),),
            )
        if not moved:
            return
        counted = _facts(
            cur,
            tables,
            "notification_id <= %s AND (unit_id = ANY(%s) OR workplace_id = ANY(%s))",
            (self.kept_to, moved, moved),
        )
        changes: dict[Key, int] = {}
        before.count(changes, counted, -1)
        self.places.count(changes, counted)
        _upsert(cur, tables["fact_tally"], changes.items())


def _counted(fact: Sequence[Any]) -> tuple[Any, ...]:
    """Of a `fact` row (`facts.FACT_COLUMNS`), what the tally counts it by."""
    return fact[2], fact[5], fact[6], fact[7], fact[10], fact[9]


def _facts(
    cur: Cursor, tables: Mapping[str, str], where: str, params: tuple[Any, ...]
) -> list[tuple[Any, ...]]:
    """The stored facts of the tallied kinds that meet `where`, as `Places.count` takes them."""
    cur.execute(
        f"SELECT kind, unit_id, workplace_id, effective_date, code, year FROM {tables['fact']}"
        f" WHERE kind = ANY(%s) AND {where}",
        (list(KINDS), *params),
    )
    return [tuple(r.values()) for r in cur.fetchall()]


_PLACE = {"unit_id": "text", "workplace_id": "text", "ancestor_id": "text", "valid": "text"}
_CHANGE = {
    "ancestor_id": "text", "kind": "text", "effective_date": "date", "code": "text",
    "year": "int4", "valid": "text", "n": "int4",
}  # fmt: skip


def _upsert(cur: Cursor, table: str, counts: Iterable[tuple[Key, int]]) -> None:
    """Add the counts to the rows: COPY them to a scratch table, then one upsert (half the time
    of one statement with array parameters); rows that fall to zero go."""
    changes = [(*k[:5], multirange(k[5]), n) for k, n in counts if n]
    if not changes:
        return
    cur.execute(
        "CREATE TEMPORARY TABLE tally_change (ancestor_id text, kind text, effective_date date,"
        " code text, year int, valid text, n int) ON COMMIT DROP"
    )
    copy_rows(cur, "tally_change", _CHANGE, changes)
    cur.execute(
        f"INSERT INTO {table} AS t (ancestor_id, kind, effective_date, code, year, valid, n)"
        " SELECT ancestor_id, kind, effective_date, code, year, valid::datemultirange, n"
        " FROM tally_change ON CONFLICT (ancestor_id, kind, effective_date, code, year, valid)"
        " DO UPDATE SET n = t.n + excluded.n"
    )
    cur.execute("DROP TABLE tally_change")
    if any(change[-1] < 0 for change in changes):
        cur.execute(f"DELETE FROM {table} WHERE n = 0")


def ddl(tally: str, tallied_units: str, state: str) -> list[str]:
    """The tally's tables: the counts, the units they are kept for, the event counted up to."""
    return [
        f"CREATE TABLE IF NOT EXISTS {tally} (ancestor_id text NOT NULL, kind text NOT NULL,"
        " effective_date date NOT NULL, code text, year int, valid datemultirange NOT NULL,"
        " n int NOT NULL, UNIQUE NULLS NOT DISTINCT"
        " (ancestor_id, kind, effective_date, code, year, valid)) WITH (fillfactor = 50)",
        f"CREATE TABLE IF NOT EXISTS {tallied_units} (ancestor_id text PRIMARY KEY)",
        # No row: not kept (a bulk catch-up left it, or nothing was counted yet).
        f"CREATE TABLE IF NOT EXISTS {state} (tallied_to bigint NOT NULL)",
    ]


def names(kinds: Iterable[str]) -> str:
    """SQL: the kinds as a list of literals."""
    return ", ".join(f"'{kind}'" for kind in kinds)


FIGURE_OF = "CASE {t}.kind " + " ".join(f"WHEN '{k}' THEN '{f}'" for k, f in KINDS.items()) + " END"
"""SQL: the figure a tallied kind makes, for the table alias {t}."""
COUNTED_ON = (
    f"(({{t}}.kind IN ({names(PERIOD_KINDS)}) AND {{t}}.effective_date BETWEEN $2 AND $3)"
    f" OR ({{t}}.kind IN ({names(YEAR_KINDS)}) AND {{t}}.year = $5"
    " AND {t}.effective_date <= $3))"
)
"""SQL: the rows of alias {t} a board of the period counts (parameters of `projections.figures`)."""
TALLIED = (
    f"SELECT {FIGURE_OF.format(t='t')} AS figure, t.code, sum(t.n)::int8 AS n FROM fact_tally t"
    " WHERE t.ancestor_id = $6 AND t.valid @> $3::date"
    f" AND {COUNTED_ON.format(t='t')} GROUP BY t.kind, t.code"
)
"""The tallied figures of ancestor $6 on the as-of date $3, up to `tallied_to`."""
