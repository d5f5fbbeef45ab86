"""Import: validate every member's history through the domain, then write the valid ones in bulk."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar
from uuid import UUID, uuid5

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import BaseAggregate
from eventsourcing.utils import get_topic
from psycopg import sql

from application.office import LiaisonOffice
from domain.cell_book import CellBook, cell_book_id
from domain.import_run import ImportRun, import_run_id
from domain.imported import as_importer
from domain.liaison_events import Referred
from domain.member import LiaisonOpened, MemberRegistered
from domain.messages import Message
from domain.registry import CommandReceipt
from domain.roles import BOOK_KEEPERS, Action, Actor, keeps_the_book_of, may
from domain.stamp import Stamp
from projections.cores import seldom_collected
from workers.province import pool
from workers.province.builder import IMPORT_NAMESPACE, CellBooks, Context, Meetings
from workers.province.bulk import (
    BulkWriter,
    DifferentHistory,
    Encoded,
    Pipeline,
    Stored,
    encode,
    fresh,
    new_events,
)
from workers.province.pool import Outcome
from workers.province.records import MEMBERS, MemberRecord, Problem, RowError, Where

Progress = Callable[[int, int], None]
"""Called with (members done, events written or, in a dry run, to be written)."""

A = TypeVar("A")

CHUNK = 500


@dataclass(frozen=True)
class Source:
    """Where the rows came from (a file or the demo seed, with a digest): the events' cause."""

    name: str
    digest: str

    @property
    def comment(self) -> str:
        """The comment every imported event carries."""
        return f"Nhập dữ liệu / import: {self.name} ({self.digest[:12]})"

    @property
    def command_id(self) -> UUID:
        """The id of the import itself, under which its receipt is kept."""
        return uuid5(IMPORT_NAMESPACE, f"import:{self.digest}")


@dataclass
class Report:
    """What an import found and did."""

    members: int = 0
    valid: int = 0
    events: int = 0
    meetings: int = 0
    problems: list[Problem] = field(default_factory=list)
    seconds: float = 0.0
    dry_run: bool = False

    @property
    def rate(self) -> float:
        """Events per second over the whole run."""
        return self.events / self.seconds if self.seconds else 0.0


def import_records(
    office: LiaisonOffice,
    records: Sequence[MemberRecord],
    source: Source,
    actor: Actor,
    today: date,
    *,
    dry_run: bool = False,
    problems: Sequence[Problem] = (),
    progress: Progress | None = None,
    writer: BulkWriter | None = None,
    processes: int | None = None,
) -> Report:
    """Validate every record; unless a dry run, write the valid members' new events in bulk."""
    started = time.perf_counter()
    report = Report(members=len(records), problems=list(problems), dry_run=dry_run)
    writer = writer or BulkWriter(office)
    # Marked as import: the dispatcher does not signal a decade of history to workflows.
    ctx = Context(
        office.tree(),
        as_importer(actor),
        today,
        source.comment,
        office.regulation_book().overrides,
        namespace=office.proposed_namespace(),  # recorded only once something is written
    )
    meetings, books = Meetings(), CellBooks()
    pipeline = None if dry_run else Pipeline(writer)
    run: ImportRun | None = None  # started once something is to be written
    try:
        # The input is long-lived: spared from every collection, which the build makes seldom.
        with seldom_collected(freeze=True), pool.Builders(ctx, len(records), processes) as builders:
            done = 0
            for outcomes in builders.members(records, CHUNK):
                ok = [o for o in outcomes if o.problem is None]
                report.problems.extend(o.problem for o in outcomes if o.problem is not None)
                stored = writer.stored([e.aggregate_id for o in ok for e in o.encoded])
                elsewhere = _registered_elsewhere(writer, ctx, ok, stored)
                report.problems.extend(_outside(o.record) for o in ok if id(o) in elsewhere)
                ok = [o for o in ok if id(o) not in elsewhere]
                if ok and pipeline is not None and run is None:
                    office.adopt_namespace(ctx.namespace)  # the ids written are derived in it
                    run = _started(office, writer, pipeline, ctx, source, len(records))
                for o in ok:
                    try:
                        rows = fresh(o.encoded, stored)
                    except DifferentHistory:
                        report.problems.append(_different(o.record))
                        continue
                    report.valid += 1
                    meetings.add(o.notes)
                    books.add(o.entered)
                    _send(pipeline, rows, report)
                done += len(outcomes)
                _chunk_done(pipeline, progress, done, report)
            # Each meeting's record needs every member's attendance: built by the builders
            # once the members are in, while the writer saves the last of them.
            report.meetings = len(meetings)
            _write_built(writer, pipeline, builders.meetings(meetings, CHUNK), report)
        stored_books = books.records(ctx, source.command_id, _books_stored(office, writer, books))
        _write_all(writer, pipeline, list(stored_books), report)
        if not dry_run and report.valid:  # a file of nothing but refused rows writes nothing
            receipt = CommandReceipt.issue(
                source.command_id,
                "Import",
                source.digest,
                {"source": source.name, "members": str(report.valid)},
            )
            _write_all(writer, pipeline, [receipt], report)
        if run is not None and pipeline is not None and not run.completed:
            run.complete(_run_stamp(ctx, source, "completed"), report.valid)
            pipeline.put(new_events([run], writer.stored([run.id]), writer.mapper))
    finally:
        if pipeline is not None:
            pipeline.close()
    if pipeline is not None and report.events:
        writer.analyse()  # for every read that follows: a re-run, the board, the projectors
    report.seconds = time.perf_counter() - started
    return report


def _run_stamp(ctx: Context, source: Source, step: str) -> Stamp:
    return ctx.stamp(
        uuid5(source.command_id, step), ctx.today, ctx.policy(ctx.today, ctx.actor.unit_id)
    )


def _started(
    office: LiaisonOffice,
    writer: BulkWriter,
    pipeline: Pipeline,
    ctx: Context,
    source: Source,
    members: int,
) -> ImportRun:
    """The import's run, its start written before any member (found again on a re-run), so
    that the board shows the import incomplete until its completion is written."""
    run = _stored(office, ImportRun, import_run_id(source.command_id))
    if run is None:
        stamp = _run_stamp(ctx, source, "started")
        run = ImportRun.start(stamp, source.command_id, source.name, source.digest, members)
        pipeline.put(new_events([run], {}, writer.mapper))
    return run


def _stored(office: LiaisonOffice, kind: type[A], aggregate_id: UUID) -> A | None:
    """The aggregate of that kind the store holds under this id (a fresh copy), else None."""
    try:
        found: Any = office.repository.get(aggregate_id)
    except AggregateNotFoundError:
        return None
    return found if isinstance(found, kind) else None


def _books_stored(
    office: LiaisonOffice, writer: BulkWriter, books: CellBooks
) -> Callable[[UUID], CellBook | None]:
    """Each cell's book as the store holds it: the books stored already found with one read
    (an import into a new store reads none one by one; a province has tens of thousands)."""
    present = writer.stored([cell_book_id(cell_id) for cell_id in books.cells])
    return lambda book_id: _stored(office, CellBook, book_id) if book_id in present else None


def _chunk_done(
    pipeline: Pipeline | None, progress: Progress | None, done: int, report: Report
) -> None:
    """Send the chunk's members on their way, whole (as the progress reports them), and say so."""
    if pipeline is not None:
        pipeline.flush()
    if progress is not None:
        progress(done, report.events)


def _send(pipeline: Pipeline | None, rows: list[Encoded], report: Report) -> None:
    report.events += sum(r.events for r in rows)
    if pipeline is not None and rows:
        pipeline.put(rows)


def _write_all(
    writer: BulkWriter,
    pipeline: Pipeline | None,
    aggregates: Sequence[BaseAggregate[UUID]],
    report: Report,
) -> None:
    for start in range(0, len(aggregates), CHUNK):
        chunk = aggregates[start : start + CHUNK]
        _write_encoded(writer, pipeline, [encode(a, writer.mapper) for a in chunk], report)


def _write_built(
    writer: BulkWriter, pipeline: Pipeline | None, chunks: Iterable[list[Encoded]], report: Report
) -> None:
    for encoded in chunks:
        _write_encoded(writer, pipeline, encoded, report)


def _write_encoded(
    writer: BulkWriter, pipeline: Pipeline | None, encoded: Sequence[Encoded], report: Report
) -> None:
    stored = writer.stored([e.aggregate_id for e in encoded])
    for aggregate in encoded:
        try:
            rows = fresh([aggregate], stored)
        except DifferentHistory:
            continue  # a meeting already recorded with other attendance stays as it is
        _send(pipeline, rows, report)


_WORKPLACE_TOPICS = [get_topic(MemberRegistered), get_topic(LiaisonOpened)]


LATEST_OF_TOPICS = sql.SQL(
    "SELECT e.originator_id, e.state FROM unnest(%s::uuid[]) i(id) CROSS JOIN LATERAL"
    " (SELECT originator_id, state FROM {} WHERE originator_id = i.id AND topic = ANY(%s)"
    " ORDER BY originator_version DESC LIMIT 1) e"
)
"""Each aggregate's last event of these topics, by the primary key (as `BulkWriter.stored`)."""


def _registered_elsewhere(
    writer: BulkWriter, ctx: Context, outcomes: Sequence[Outcome], stored: dict[UUID, Stored]
) -> set[int]:
    """The outcomes (by id) whose member the store holds at a workplace outside the scope."""
    # The build checked the units the file names; a member already stored is checked where the
    # store has it, or a file could add steps to another subtree's member by naming its card.
    # A member's aggregates come first in its outcome (the build's order: member, liaisons).
    members = {o.encoded[0].aggregate_id: o for o in outcomes if o.encoded}
    known = [member_id for member_id in members if member_id in stored]
    if not known:
        return set()
    recorder: Any = writer.office.recorder
    statement = LATEST_OF_TOPICS.format(
        sql.Identifier(writer.datastore.schema, recorder.events_table_name)
    )
    with writer.connection() as conn, conn.cursor() as cur:
        cur.execute(statement, (known, _WORKPLACE_TOPICS))
        rows = cur.fetchall()
    out: set[int] = set()
    latest: dict[Any, Any] = {}  # a member's latest liaison, for the keeper of a commune's book
    for r in rows:
        state = json.loads(bytes(r["state"]))
        if not may(ctx.actor, Action.REGISTER_MEMBER, state["workplace_unit_id"], ctx.tree,
                   ctx.today):  # fmt: skip
            out.add(id(members[r["originator_id"]]))
            if state.get("liaison_id"):
                latest[UUID(state["liaison_id"])] = r["originator_id"]
    if latest and ctx.actor.role in BOOK_KEEPERS:
        with writer.connection() as conn, conn.cursor() as cur:
            cur.execute(
                sql.SQL(
                    "SELECT originator_id, state FROM {} WHERE originator_id = ANY(%s)"
                    " AND topic = %s AND originator_version = 1"
                ).format(sql.Identifier(writer.datastore.schema, recorder.events_table_name)),
                (list(latest), get_topic(Referred)),
            )
            for r in cur.fetchall():
                commune = json.loads(bytes(r["state"]))["residence_commune_id"]
                if keeps_the_book_of(ctx.actor, commune, ctx.tree, ctx.today):
                    out.discard(id(members[latest[r["originator_id"]]]))
    return out


def _outside(record: MemberRecord) -> Problem:
    where = Where(MEMBERS, record.row, "party_card_number", record.party_card_number)
    return RowError.out_of_scope(where).problem


def _different(record: MemberRecord) -> Problem:
    where = Where(MEMBERS, record.row, "party_card_number", record.party_card_number)
    return Problem(
        where,
        Message(
            "The store already holds a different history for this member; nothing was written."
        ),
    )
