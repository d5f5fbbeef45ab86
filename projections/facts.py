"""Dashboard facts: one row per countable fact, with its units, effective and recorded times."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import date
from functools import partial
from typing import Any, ClassVar

from domain import liaison_events as ev
from domain.deadlines import (
    DeadlineKind,
    annual_assessment_deadline,
    open_deadlines,
    referral_deadline,
)
from domain.liaison_events import LiaisonEvent
from domain.meeting import MeetingHeld
from domain.member import (
    ExemptedFromIntroduction,
    IntroductionExemptionLifted,
    LiaisonOpened,
    MemberRegistered,
    WorkplaceChanged,
)
from domain.state import LiaisonState
from projections.log import Entry
from projections.members import MemberWrites
from projections.model import Apart, Beside, Cursor, ReadModel, Work, chunks, copy_rows
from projections.reference import Reference
from projections.stages import NOTHING, PART_COLUMNS, Part, Stages, advanced, part_of
from projections.stages import ddl as stages_ddl
from projections.standing import STANDING_KINDS, Standing
from projections.standing import ddl as standing_ddl
from projections.states import LIAISON_STATES, StateBook
from projections.tally import Tally, changed
from projections.tally import ddl as tally_ddl
from projections.tasks import SETTLED, PolicyOf, Tasks
from projections.tasks import ddl as tasks_ddl

FACT_COLUMNS = {
    "notification_id": "int8", "seq": "int4", "kind": "text", "member_id": "uuid",
    "liaison_id": "uuid", "unit_id": "text", "workplace_id": "text", "effective_date": "date",
    "recorded_at": "timestamptz", "year": "int4", "code": "text", "due_on": "date",
}  # fmt: skip

_KIND = {
    ev.Referred: "referred", ev.ReceivedByCommune: "received_commune",
    ev.ReceivedByCell: "received_cell", ev.MeetingAttendanceRecorded: "attendance",
    ev.Assessed: "assessed", ev.AssessmentConfirmed: "confirmed", ev.ReportedBack: "reported",
    ev.AssessmentRequested: "requested", ev.AssessmentProvided: "provided",
    ev.ExemptedFromActivities: "exempt_act", ev.ActivitiesExemptionLifted: "exempt_act_lifted",
    ev.Closed: "closed", ev.CommendationProposed: "proposed", ev.DisciplineProposed: "proposed",
}  # fmt: skip
_PROPOSAL = {ev.CommendationProposed: "commendation", ev.DisciplineProposed: "discipline"}
"""A proposal's code: which of the two the residence cell proposed."""


PARTITIONED_KINDS = (
    "registered", "referred", "received_commune", "received_cell", "meeting", "attendance",
    "assessment_due", "assessed", "confirmed", "reported",
)  # fmt: skip
"""Kinds with a partition each: a figure reads only its kind's rows, packed on their own pages
(stored in log order, a province's rows of one kind would sit one to a page among the others').
The rare kinds (closures, exemptions, on-demand requests) share the default partition."""
OTHER_KINDS = "other"


def _field(event: Any, name: str, default: Any = None) -> Any:
    """The event's field of that name (`default` when its class has no such field).

    Read from the instance's fields: `getattr` with a default makes pydantic raise and catch an
    AttributeError for each absent field (an eighth of the facts' time in a profile)."""
    return event.__dict__.get(name, default)


def _code(event: Any) -> str | None:
    if type(event) in _PROPOSAL:
        return _PROPOSAL[type(event)]
    for field in ("request_id", "attendance", "grade", "reason"):
        value = _field(event, field)
        if value is not None:
            return str(getattr(value, "value", value))
    return None


def _fact(
    nid: int,
    kind: str,
    event: Any,
    member: Any,
    *,
    unit: str | None = None,
    workplace: str | None = None,
    code: str | None = None,
) -> tuple[Any, ...]:
    """A fact row of an event that belongs to no liaison."""
    return (nid, 0, kind, member, None, unit, workplace, event.effective_date, event.timestamp,
            None, code, None)  # fmt: skip


APART_LIAISONS = 5_000
"""From this many liaisons a bulk catch-up's end works out the funnel and the tasks in a process
of their own, beside the steps (a process costs a second or two to start). Measured on one store
each, the facts model's final build alone, four times each way alternating (2026-12-07, a slow
host): 1,864 liaisons 6.2 s here against 7.0 s apart (medians), 4,076 16.6 against 15.8 s
(within the builds' spread), 6,286 21.4 against 18.7 s (every build apart quicker)."""


def _derive_apart(suffix: str, position: int, funnel: bool, tasks: bool, cur: Cursor) -> None:
    Facts(suffix).derive(cur, position, funnel, tasks)


class Facts(ReadModel):
    """`fact` rows feed every dashboard figure; `member` and `liaison` name who is behind them;
    `fact_tally` counts the one-fact figures per large unit (`projections.tally`), `fact_step`
    the state figures (`projections.standing`), `stage_step` the stage funnel
    (`projections.stages`); `task` holds each liaison's steps for the worklist
    (`projections.tasks`)."""

    name: ClassVar[str] = "facts"
    tables: ClassVar[tuple[str, ...]] = (
        "fact", "member", "liaison", "facts_state", "fact_tally", "fact_tallied",
        "fact_tally_state", "fact_step", "fact_cell_step", "fact_step_state", "stage_step",
        "stage_step_state", "task", "task_state",
    )  # fmt: skip
    version: ClassVar[int] = 3
    """2 (2026-12-04): the tallies of large units; 3 (2026-12-05): the stage funnel's steps, and
    each liaison's stage over the dates on its row."""
    process: ClassVar[str] = LIAISON_STATES

    def __init__(self, suffix: str = "") -> None:
        super().__init__(suffix)
        self.book = StateBook(self.t("facts_state"))
        self.reference = Reference()
        self.tally = Tally()
        self.standing = Standing()
        self.stages = Stages()
        self.tasks = Tasks()
        self.position = 0

    def reset(self) -> None:
        self.reference = Reference()
        self.book.forget()
        self.tally.forget()
        self.standing.forget()
        self.stages.forget()
        self.tasks.forget()

    def complete(
        self,
        cur: Cursor,
        position: int,
        beside: Beside | None = None,
        apart: Apart | None = None,
    ) -> None:
        """The tally, the state figures' and the funnel's steps and the liaisons' steps, if left
        behind (in bulk, or a store from before them), worked out once from the facts, the
        liaisons' rows and the states. Given `beside`, the tally is counted in a transaction of
        its own while the steps are worked out: its one statement is PostgreSQL's work on one
        core, the steps' end Python's on one core (at 300,000 members 91 s and about two
        minutes, one after the other). Given `apart`, a large store's funnel and tasks are
        worked out in a process of their own (`APART_LIAISONS`): each is Python's work on one
        core, which came after the steps' (at 50,000 members 7.5 and 9.3 s). The process starts
        once the members' parts of the steps are counted on every core, while their sum and its
        COPY leave a core free (started with the steps, it shared the cores with their workers)."""
        tables = {t: self.t(t) for t in self.tables}
        tallying = self.tally.kept(cur, tables) < 0
        stepped = [s for s in (self.standing, self.stages) if s.behind(cur, tables, position)]
        tasks = self.tasks.behind(cur, tables, position)
        later: Work | None = None  # the funnel and the tasks, if worked out apart
        if apart is not None and self.standing in stepped and (self.stages in stepped or tasks):
            cur.execute(f"SELECT count(*) AS n FROM {tables['liaison']}")
            if cur.fetchone()["n"] >= APART_LIAISONS:
                later = partial(_derive_apart, self.suffix, position, self.stages in stepped, tasks)
                stepped, tasks = [self.standing], False
        away: list[Future[None]] = []

        def start_apart() -> None:  # once the steps' parts are counted on every core
            if apart is not None and later is not None:
                away.append(apart(later))

        if tallying or stepped:
            self.reference.ensure(cur, position)
            self.tally.follow(self.reference.holder.tree)
        with ThreadPoolExecutor(1, thread_name_prefix="tally") as aside:
            tallied = None
            if tallying and stepped and beside is not None:
                tallied = aside.submit(self._count_tally, beside, tables, position)
            elif tallying:
                self.tally.rebuild(cur, tables, position, self.tally.places)
            rolls = self.tally.places.rolls
            if self.standing in stepped:
                self.standing.rebuild(cur, tables, position, rolls, counted=start_apart)
            if self.stages in stepped:
                self.stages.rebuild(cur, tables, position, rolls)
            if tallied is not None:
                tallied.result()  # its failure raised here (the steps' transaction rolls back)
        if tallying:
            self.tally.kept_to = None  # the next batch reads the facts after it again
        if tasks:
            self.derive(cur, position, funnel=False, tasks=True)
        for started in away:
            started.result()  # its failure raised here; what it committed stands (own state rows)
            self.stages.forget()
            self.tasks.forget()

    def derive(self, cur: Cursor, position: int, funnel: bool, tasks: bool) -> None:
        """The funnel's steps and the tasks, as `complete` works them out (in a process of
        their own: `_derive_apart`)."""
        tables = {t: self.t(t) for t in self.tables}
        self.reference.ensure(cur, position)
        if funnel:
            self.tally.follow(self.reference.holder.tree)
            self.stages.rebuild(cur, tables, position, self.tally.places.rolls)
        if tasks:
            self.tasks.rebuild(cur, tables, position, self._settled_policy())

    def _count_tally(self, beside: Beside, tables: dict[str, str], position: int) -> None:
        with beside() as cur:
            self.tally.rebuild(cur, tables, position, self.tally.places)

    def _settled_policy(self) -> PolicyOf:
        """Each commune's policy once every change the log holds so far has begun (per call)."""
        known: dict[str, Any] = {}

        def policy_of(commune_id: str) -> Any:
            if commune_id not in known:
                known[commune_id] = self.reference.policy(SETTLED, commune_id)
            return known[commune_id]

        return policy_of

    def _communes_policies(self, cur: Cursor) -> dict[str, Any]:
        """The settled policy of every commune a liaison lives in."""
        cur.execute(f"SELECT DISTINCT commune_id FROM {self.t('liaison')}")
        policy_of = self._settled_policy()
        return {r["commune_id"]: policy_of(r["commune_id"]) for r in cur.fetchall()}

    def prepare(self, position: int) -> None:
        super().prepare(position)
        self.position = position
        if position == 0:
            self.book.start_empty()  # `liaison` rows are written with the states: same ids

    def outdated(self, cur: Cursor) -> bool:
        """A `fact` table from before it was partitioned by kind (the layout up to 2026-11), or a
        `member` table without the search's columns (up to 2026-12-02)."""
        cur.execute("SELECT relkind FROM pg_class WHERE oid = to_regclass(%s)", (self.t("fact"),))
        row = cur.fetchone()
        if row is not None and row["relkind"] != "p":
            return True
        cur.execute(
            "SELECT to_regclass(%s) IS NOT NULL AS stored, EXISTS (SELECT FROM pg_attribute"
            " WHERE attrelid = to_regclass(%s) AND attname = 'search_keys') AS searchable",
            (self.t("member"), self.t("member")),
        )
        row = cur.fetchone()
        return bool(row["stored"] and not row["searchable"])

    def ddl(self) -> list[str]:
        f, m, li = self.t("fact"), self.t("member"), self.t("liaison")
        return [
            f"CREATE TABLE IF NOT EXISTS {f} (notification_id bigint NOT NULL, seq int NOT NULL,"
            " kind text NOT NULL, member_id uuid, liaison_id uuid, unit_id text,"
            " workplace_id text, effective_date date NOT NULL, recorded_at timestamptz NOT NULL,"
            " year int, code text, due_on date, PRIMARY KEY (kind, notification_id, seq))"
            " PARTITION BY LIST (kind)",
            *(
                f"CREATE TABLE IF NOT EXISTS {f}_{kind} PARTITION OF {f} FOR VALUES IN ('{kind}')"
                for kind in PARTITIONED_KINDS
            ),
            f"CREATE TABLE IF NOT EXISTS {f}_{OTHER_KINDS} PARTITION OF {f} DEFAULT",
            # A period's events, and the year's assessments due, returned and reported back:
            # each index carries every column the figures read, so that an inspection reads
            # index pages only (index-only scans, once vacuum has marked the pages visible).
            f"CREATE INDEX IF NOT EXISTS {f}_kind ON {f} (kind, effective_date)"
            " INCLUDE (recorded_at, unit_id, workplace_id, member_id, liaison_id, code)",
            f"CREATE INDEX IF NOT EXISTS {f}_by_year ON {f} (kind, year)"
            " INCLUDE (recorded_at, effective_date, unit_id, workplace_id, member_id, liaison_id,"
            " due_on, code)",
            # Its forerunner, without the code (up to 2026-12-06): the grades returned and the
            # reports back were read from the heap, a tenth of a second each for a province as
            # known at a past time (counted from the facts) at 300,000 members.
            f"DROP INDEX IF EXISTS {f}_year",
            f"CREATE INDEX IF NOT EXISTS {f}_liaison ON {f} (liaison_id, kind)",
            # A commune's or a cell's rows, looked up instead of scanned (figures.for_subtree).
            f"CREATE INDEX IF NOT EXISTS {f}_unit ON {f} (unit_id)",
            f"CREATE INDEX IF NOT EXISTS {f}_workplace ON {f} (workplace_id)",
            # A member's facts, for their part of the state figures (projections.standing).
            f"CREATE INDEX IF NOT EXISTS {f}_member ON {f} (member_id)",
            # What was recorded after a known-at time (projections.dashboard: steps less it).
            f"CREATE INDEX IF NOT EXISTS {f}_recorded ON {f} (recorded_at)"
            " INCLUDE (effective_date, member_id)",
            f"CREATE TABLE IF NOT EXISTS {m} (member_id uuid PRIMARY KEY, name text NOT NULL,"
            " name_folded text NOT NULL, party_card_number text NOT NULL,"
            " workplace_unit_id text NOT NULL, citizen_id text, search_keys text[] NOT NULL)",
            # The board's search: members holding every word typed among their keys, found in
            # the inverted index (pg_trgm is not in the embedded PostgreSQL; an array is built
            # in), then kept if their workplace or one of their liaisons lies in the subtree.
            f"CREATE INDEX IF NOT EXISTS {m}_search ON {m} USING gin (search_keys)",
            f"CREATE INDEX IF NOT EXISTS {m}_workplace ON {m} (workplace_unit_id)",
            # A province's open liaisons by name, a page at a time (`liaisons.open_rows`): its
            # members walked in name order, each one's liaisons looked up by member.
            f'CREATE INDEX IF NOT EXISTS {m}_name ON {m} (name COLLATE "C", member_id)',
            # The same walk for the list behind a province's figure (`lists.members_behind`),
            # in the list's order: by the name folded.
            f"CREATE INDEX IF NOT EXISTS {m}_folded ON {m} (name_folded, member_id)",
            f"CREATE TABLE IF NOT EXISTS {li} (liaison_id uuid PRIMARY KEY,"
            " member_id uuid NOT NULL, workplace_unit_id text NOT NULL,"
            " commune_id text NOT NULL, cell_id text,"
            " due_years int[] NOT NULL DEFAULT '{}',"
            " stage_days date[] NOT NULL DEFAULT '{}', stages text[] NOT NULL DEFAULT '{}')",
            *(
                f"CREATE INDEX IF NOT EXISTS {li}_{column} ON {li} ({column})"
                for column in ("workplace_unit_id", "commune_id", "cell_id", "member_id")
            ),
            self.book.ddl(),
            *tally_ddl(self.t("fact_tally"), self.t("fact_tallied"), self.t("fact_tally_state")),
            *standing_ddl(self.t("fact_step"), self.t("fact_cell_step"), self.t("fact_step_state")),
            *stages_ddl(self.t("stage_step"), self.t("stage_step_state")),
            *tasks_ddl(self.t("task"), self.t("task_state")),
        ]

    def order_keys(self, table: str) -> str:
        return {
            "fact": "1, 2", "fact_tally": "1, 2, 3, 4, 5, 6", "fact_step": "1, 2, 3, 4, 5",
            "fact_cell_step": "1, 2, 3, 4, 5", "task": "1, 2, 3",
        }.get(table, "1")  # fmt: skip

    def apply(self, cur: Cursor, entries: Sequence[Entry]) -> None:
        first = entries[0].row.notification_id
        self.reference.ensure(cur, first - 1)
        self.tally.follow(self.reference.holder.tree)
        liaison_ids = {e.row.originator_id for e in entries if isinstance(e.event, LiaisonEvent)}
        self.book.load(cur, liaison_ids)
        due_years, parts = self._liaisons(cur, [i for i in liaison_ids if self.book.may_hold(i)])
        members = self._members(cur, entries)
        position = self.position
        # A policy override or a change of the tree may give a commune another policy: then
        # every liaison's steps are worked out again (rare: `projections.tasks`).
        policies = (
            self._communes_policies(cur)
            if not self.bulk and any(self.reference.concerns(e.event) for e in entries)
            else None
        )
        writes = MemberWrites()
        facts: list[tuple[Any, ...]] = []
        for entry in entries:
            event = entry.event
            self.reference.observe(event)
            if isinstance(event, LiaisonEvent):
                state = self.book.evolve(entry)
                was, now = parts.get(state.liaison_id, (NOTHING, NOTHING))
                segments = advanced(now[1], event.effective_date, state.stage.value)
                units = (state.workplace_unit_id, state.residence_commune_id, state.cell_id)
                parts[state.liaison_id] = was, (units, segments)
                facts.extend(
                    self._liaison_facts(entry, state, due_years.setdefault(state.liaison_id, set()))
                )
            else:
                facts.extend(self._other_facts(entry, members, writes))
        writes.save(cur, self.t("member"))
        copy_rows(cur, self.t("fact"), FACT_COLUMNS, facts)
        before = self.tally.follow(self.reference.holder.tree)
        batch = first, entries[-1].row.notification_id
        tables = {t: self.t(t) for t in self.tables}
        if self.bulk:
            self.tally.leave(cur, tables)
        else:
            self.tally.save(cur, tables, facts, batch, before)
        rolls = before.rolls, self.tally.places.rolls
        touched = {f[3] for f in facts if f[2] in STANDING_KINDS}
        moved = changed(*rolls) if rolls[0] is not rolls[1] else []
        if self.bulk:
            self.standing.leave(cur, tables)
            self.stages.leave(cur, tables)
        else:
            self.standing.save(cur, tables, self.position, batch, touched, rolls, moved)
            self.stages.save(cur, tables, self.position, batch[1], parts, rolls, moved)
        self.position = batch[1]  # where the next batch (or event, one by one) starts
        self._save_liaisons(cur, due_years, parts)
        self.book.save(cur)
        if self.bulk:
            self.tasks.leave(cur, tables)
            return
        policy_of = self._settled_policy()
        if policies is not None and any(policy_of(c) != p for c, p in policies.items()):
            self.tasks.leave(cur, tables)  # rebuilt below, from the states just saved
        saved = (self.book.states[i] for i in sorted(self.book.changed))
        self.tasks.save(cur, tables, position, batch[1], saved, policy_of)

    def _liaisons(
        self, cur: Cursor, stored: list[Any]
    ) -> tuple[dict[Any, set[int]], dict[Any, tuple[Part, Part]]]:
        """The stored liaisons' years made due, and their part of the funnel (before, now)."""
        due_years: dict[Any, set[int]] = {}
        parts: dict[Any, tuple[Part, Part]] = {}
        if stored:
            cur.execute(
                f"SELECT liaison_id, due_years, {PART_COLUMNS} FROM {self.t('liaison')}"
                " WHERE liaison_id = ANY(%s)",
                (stored,),
            )
            for r in cur.fetchall():
                due_years[r["liaison_id"]] = set(r["due_years"])
                part = part_of(tuple(r.values())[2:])
                parts[r["liaison_id"]] = (part, part)
        return due_years, parts

    def _members(self, cur: Cursor, entries: Sequence[Entry]) -> dict[Any, str]:
        ids = [
            e.row.originator_id
            for e in entries
            if isinstance(e.event, ExemptedFromIntroduction | IntroductionExemptionLifted)
        ]
        if not ids:
            return {}
        cur.execute(
            f"SELECT member_id, workplace_unit_id FROM {self.t('member')}"
            " WHERE member_id = ANY(%s)",
            (ids,),
        )
        return {r["member_id"]: r["workplace_unit_id"] for r in cur.fetchall()}

    def _other_facts(
        self, entry: Entry, members: dict[Any, str], writes: MemberWrites
    ) -> list[tuple[Any, ...]]:
        event, nid = entry.event, entry.row.notification_id
        if isinstance(event, MemberRegistered):
            members[event.originator_id] = event.workplace_unit_id
            writes.register(event)
            policy = self.reference.policy(event.effective_date, event.workplace_unit_id)
            due = referral_deadline(
                event.originator_id, event.workplace_unit_id, event.effective_date, policy
            ).due_on
            row = _fact(
                nid, "registered", event, event.originator_id, workplace=event.workplace_unit_id
            )
            return [(*row[:-1], due)]
        if isinstance(event, LiaisonOpened | WorkplaceChanged):
            members[event.originator_id] = event.workplace_unit_id
            writes.move(event.originator_id, event.workplace_unit_id)
        if isinstance(event, ExemptedFromIntroduction | IntroductionExemptionLifted):
            lifted = isinstance(event, IntroductionExemptionLifted)
            kind = "exempt_intro_lifted" if lifted else "exempt_intro"
            workplace = members.get(event.originator_id)
            return [
                _fact(nid, kind, event, event.originator_id, workplace=workplace, code=_code(event))
            ]
        if isinstance(event, MeetingHeld):
            code = "ad_hoc" if event.ad_hoc else "regular"
            return [_fact(nid, "meeting", event, None, unit=event.cell_id, code=code)]
        return []

    def _liaison_facts(
        self, entry: Entry, state: LiaisonState, due_years: set[int]
    ) -> list[tuple[Any, ...]]:
        event: LiaisonEvent = entry.event
        nid, day = entry.row.notification_id, event.effective_date
        unit = state.cell_id or state.residence_commune_id
        common = (
            state.member_id,
            state.liaison_id,
            unit,
            state.workplace_unit_id,
            day,
            event.timestamp,
        )
        out: list[tuple[Any, ...]] = []
        kind = _KIND.get(type(event))
        if kind is not None:
            year = _field(event, "year")
            due = (
                self._due(
                    state,
                    day,
                    DeadlineKind.ON_DEMAND_ASSESSMENT,
                    str(_field(event, "request_id", "")),
                )
                if kind == "requested"
                else None
            )
            out.append((nid, 0, kind, *common, year, _code(event), due))
            if _field(event, "late_reason"):  # an assessment made after its due date
                out.append((nid, 2, "assessed_late", *common, year, _code(event), None))
        year = state.cycle_year
        if year is not None and year not in due_years and state.closed_reason is None:
            policy = self.reference.policy(day, state.residence_commune_id)
            annual = annual_assessment_deadline(state, policy, date(year, 12, 31))
            if annual is not None:
                due_years.add(year)
                out.append((nid, 1, "assessment_due", *common, year, None, annual.due_on))
        return out

    def _due(self, state: LiaisonState, on: date, kind: DeadlineKind, subject: str) -> date | None:
        """The due date of one deadline, from the domain's one statement of deadlines."""
        policy = self.reference.policy(on, state.residence_commune_id)
        for deadline in open_deadlines(state, policy, on):
            if deadline.kind is kind and deadline.subject == subject:
                return deadline.due_on
        return None

    def _save_liaisons(
        self, cur: Cursor, due_years: dict[Any, set[int]], parts: dict[Any, tuple[Part, Part]]
    ) -> None:
        rows = []
        for i in sorted(self.book.changed):
            s, segments = self.book.states[i], parts[i][1][1]
            rows.append((
                s.liaison_id, s.member_id, s.workplace_unit_id, s.residence_commune_id,
                s.cell_id, sorted(due_years.get(i, ())), [d for d, _ in segments],
                [stage for _, stage in segments],
            ))  # fmt: skip
        for run in chunks(rows):
            cur.executemany(
                f"INSERT INTO {self.t('liaison')} AS l VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
                " ON CONFLICT (liaison_id) DO UPDATE SET"
                " workplace_unit_id = excluded.workplace_unit_id, commune_id = excluded.commune_id,"
                " cell_id = excluded.cell_id, due_years = excluded.due_years,"
                " stage_days = excluded.stage_days, stages = excluded.stages",
                run,
            )
