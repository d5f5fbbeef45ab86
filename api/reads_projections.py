"""`BoardReads` answered by the read models in projections/ (asyncpg), as the projector keeps."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Collection
from contextlib import asynccontextmanager
from datetime import date
from typing import Any
from uuid import UUID

from api.alike import Alike, shared
from api.errors import BoardError, Building
from api.reads import (
    CELL_METRICS,
    FIGURE_OF,
    AuditPage,
    AuditQuery,
    AuditRow,
    EscalationRow,
    Escalations,
    Figures,
    IncompleteImport,
    MeetingRow,
    Metric,
    NotificationRow,
    Overdue,
    ResultRow,
    Row,
    Scope,
    SealStatus,
    SearchHit,
    SearchPage,
    StepGroup,
)
from api.reads_seal import SealVerifier
from domain.errors import UnknownUnit
from domain.state import LiaisonState, Stage
from projections import (
    dashboard,
    escalations,
    evidence,
    imports,
    liaisons,
    lists,
    outbox,
    reads,
    seal,
    search,
)
from projections.catalog import MODELS
from projections.dashboard import FAR_FUTURE, Period
from projections.figures import SMALL_SUBTREE

FUNNEL = (
    Stage.REFERRED,
    Stage.RECEIVED_BY_COMMUNE,
    Stage.ATTENDING,
    Stage.ASSESSED,
    Stage.REPORTED_BACK,
)
EVERYTHING = 1_000_000
SOURCE = "projected"
FIRST_PAUSE, LONGEST_PAUSE = 0.005, 0.05
"""Seconds between looks at the projector's position while a read waits for it (doubling)."""

Fresh = Callable[[], Awaitable[Any]]


def period_of(scope: Scope) -> Period:
    """The read side's period for the board's scope."""
    return Period(scope.unit_id, scope.on, scope.recorded_by, scope.year)


class ProjectionReads:
    """Reads the projector's tables; `fresh`, if given, is awaited first (tests catch up there)."""

    BUILT_SECONDS = 5.0
    """How long the board reads without looking whether a bulk catch-up has begun again (a
    rebuild or a restore; one round trip each time it looks)."""

    def __init__(self, database_url: str, fresh: Fresh | None = None) -> None:
        self.url, self.fresh = database_url, fresh
        self.verifier = SealVerifier(database_url)
        self._pool: Any = None
        self._opening = asyncio.Lock()  # many first requests at once must open one pool, not many
        self.alike = Alike()  # the province's pages asked by many at once: one read for all
        self._built_until = 0.0  # (monotonic) when to look again whether a build is under way

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[Any]:
        """A pooled connection on the store's schema, after catching up when asked to; raises
        `Building` while a bulk catch-up builds the read models (looked at again after
        `BUILT_SECONDS` once they were found built)."""
        async with self._connection() as conn:
            if time.monotonic() >= self._built_until:
                build = await reads.building(conn)
                if build is not None:
                    raise Building(build.message(), build.percent)
                self._built_until = time.monotonic() + self.BUILT_SECONDS
            yield conn

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[Any]:
        if self.fresh is not None:
            await self.fresh()
        if self._pool is None:
            async with self._opening:
                if self._pool is None:
                    self._pool = await reads.pool(self.url)
        async with self._pool.acquire() as conn:
            yield conn

    async def caught_up(self, position: int, timeout: float) -> int:
        """Wait until every read model has processed `position`, or `timeout` seconds; the
        position they have reached (below `position` only if the wait timed out)."""
        deadline, pause = time.monotonic() + timeout, FIRST_PAUSE
        while True:
            async with self._connection() as conn:  # a command's page waits, even in a build
                reached = await reads.projected(conn, list(MODELS))
            left = deadline - time.monotonic()
            if reached >= position or left <= 0:
                return reached
            await asyncio.sleep(min(pause, left))
            pause = min(2 * pause, LONGEST_PAUSE)

    async def close(self) -> None:
        """Close the pool (the app's shutdown)."""
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    @shared
    async def figures(
        self, scope: Scope, *, stages: bool = True, overdue_by_unit: bool = True
    ) -> Figures:
        """The dashboard figures of the scope (zero where the unit did not exist yet); the funnel
        and the overdue breakdown if asked for."""
        period = period_of(scope)
        async with self.connection() as conn:
            try:
                found = await dashboard.figures(conn, period)
                funnel = await liaisons.stages(conn, period) if stages else {}
                # Each bar opens the overdue list of its unit: it counts exactly that list.
                overdue = (
                    await lists.breakdown(conn, period, FIGURE_OF[Metric.OVERDUE])
                    if overdue_by_unit
                    else {}
                )
            except UnknownUnit:
                found, funnel, overdue = dashboard.Figures(period), {}, {}
        summary = found.summary()
        attendance: dict[str, int] = summary["attendance"]
        return Figures(
            scope=scope,
            counts={m: found.total(f) for m, f in FIGURE_OF.items()},
            stages={s.value: funnel.get(s.value, 0) for s in FUNNEL} if stages else {},
            grades=found.by_code("assessments_returned"),
            proposals=found.by_code("proposals"),
            meetings_held=summary["meetings_held"],
            meetings_expected=summary["meetings_expected"],
            attendance_present=attendance.get("present", 0),
            attendance_entries=sum(attendance.values()),
            overdue_by_unit=dict(sorted(overdue.items())),
            source=SOURCE,
        )

    async def rows(
        self, scope: Scope, metric: Metric, code: str | None = None, page: int = 1,
        page_size: int | None = None,
    ) -> list[Row]:  # fmt: skip
        """The list of members behind one figure (those of one grade or reason, if given)."""
        size, peek = (page_size, True) if page_size else (EVERYTHING, False)
        query = lists.ListQuery(FIGURE_OF[metric], code=code, page=page, page_size=size, peek=peek)
        async with self.connection() as conn:
            found = await lists.members_behind(conn, period_of(scope), query)
        return [
            Row(
                member_id=r["member_id"], name=r["name"] or "", liaison_id=r["liaison_id"],
                workplace_unit_id=r["workplace_unit_id"] or r["unit_id"],
                residence_commune_id=r["commune_id"], cell_id=r["cell_id"], stage=r["stage"],
                detail=r["code"], unit_id=r["unit_id"],
            )
            if r["member_id"] is not None
            else Row(unit_id=r["unit_id"])
            for r in found
            if r["member_id"] is not None or metric in CELL_METRICS
        ]  # fmt: skip

    async def states(
        self, scope: Scope, among: Collection[UUID] | None = None
    ) -> list[LiaisonState]:
        """The latest state of every liaison of the scope begun by its date (of `among`)."""
        async with self.connection() as conn:
            return await liaisons.latest_states(conn, period_of(scope), among)

    @shared
    async def overdue(self, scope: Scope, shown: int, lines: int) -> Overdue | None:
        """The first lines of the steps overdue on the scope's date, from the steps the facts
        model keeps, and how many lines there are."""
        async with self.connection() as conn:
            found = await liaisons.overdue_steps(conn, period_of(scope), shown, lines)
        if found is None:
            return None
        first, total = found
        return Overdue(groups=[StepGroup.model_validate(r) for r in first], lines=total)

    async def liaisons(
        self, scope: Scope, first: int | None = None, after: tuple[str, UUID] | None = None
    ) -> list[Row]:
        """The open liaisons in the scope, by name (the first, after a row, when given)."""
        async with self.connection() as conn:
            found = await liaisons.open_rows(conn, period_of(scope), first, after)
        return [Row.model_validate(r) for r in found]

    async def meetings(self, scope: Scope) -> list[MeetingRow]:
        """The meetings held in the scope's year up to its date."""
        async with self.connection() as conn:
            found = await liaisons.meetings(conn, period_of(scope))
        return [MeetingRow.model_validate(m) for m in found]

    async def escalations(
        self, scope: Scope, first: int | None = None, after: tuple[date, UUID] | None = None
    ) -> list[EscalationRow]:
        """Open escalations that concern the scope's units (the first, after a row, if given)."""
        return (await self._escalations(scope, first, after, counted=False)).rows

    async def first_escalations(self, scope: Scope, first: int) -> Escalations:
        """The first open escalations that concern the scope's units, and how many there are."""
        return await self._escalations(scope, first, None, counted=True)

    @shared
    async def _escalations(
        self, scope: Scope, first: int | None, after: tuple[date, UUID] | None, counted: bool
    ) -> Escalations:
        known_at = scope.recorded_by or FAR_FUTURE
        async with self.connection() as conn:
            # (refuses an unknown unit)
            size = await dashboard.scope_size(conn, scope.unit_id, scope.on, SMALL_SUBTREE)
            large = size > SMALL_SUBTREE
            found = await escalations.open_escalations(
                conn, scope.unit_id, scope.on, known_at, first, large, after
            )
            total = len(found)
            if counted and first is not None and total >= first:
                total = await escalations.count_open(conn, scope.unit_id, scope.on, known_at, large)
        return Escalations(rows=[EscalationRow.model_validate(r) for r in found], total=total)

    async def notifications(self, scope: Scope) -> list[NotificationRow]:
        """The newest notices the workflows addressed to the scope's units."""
        async with self.connection() as conn:
            units = await dashboard.scope(conn, scope.unit_id, scope.on)
            found = await outbox.notifications(conn, units)
        return [NotificationRow.model_validate(n) for n in found]

    async def results(self, scope: Scope) -> list[ResultRow]:
        """The newest receipts, assessments and reports back of the members the scope's workplace
        committees referred."""
        async with self.connection() as conn:
            units = await dashboard.scope(conn, scope.unit_id, scope.on)
            found = await outbox.results(conn, units)
        return [ResultRow.model_validate(r) for r in found]

    async def incomplete_imports(self, scope: Scope) -> list[IncompleteImport]:
        """Imports begun by someone acting in the scope's subtree and not run to the end."""
        async with self.connection() as conn:
            if not await imports.built(conn):
                return []
            units = await dashboard.scope(conn, scope.unit_id, scope.on)
            found = await imports.incomplete(conn, units)
        return [IncompleteImport.model_validate(r) for r in found]

    async def audit(self, scope: Scope, query: AuditQuery) -> AuditPage:
        """A page of the audit trail of the scope's subtree (or of one member), by keyset."""
        async with self.connection() as conn:
            units = (
                None if query.member_id else await dashboard.scope(conn, scope.unit_id, scope.on)
            )
            found = await reads.audit(
                conn, member_id=query.member_id, records=query.records,
                actor_id=query.actor_id, units=units,
                recorded_from=query.recorded_from,
                recorded_to=query.recorded_to or scope.recorded_by,
                after=query.after, limit=query.limit + 1, event=query.event,
                hidden=query.hidden, named=True,
            )  # fmt: skip
        rows = [AuditRow.model_validate({**r, "details": json.loads(r["details"])}) for r in found]
        more = len(rows) > query.limit
        rows = rows[: query.limit]
        return AuditPage(rows=rows, next_after=rows[-1].notification_id if more else None)

    async def evidence(self, scope: Scope) -> dict[str, Any]:
        """The evidence file of `liaison export-evidence`, fixed at the seal's head by then."""
        async with self.connection() as conn:
            try:
                return await evidence.export(conn, scope.unit_id, scope.on, scope.recorded_by)
            except ValueError:
                raise BoardError(
                    409,
                    "not_sealed",
                    "Nothing was sealed by then.",
                ) from None

    async def search(self, unit_id: str, on: date, text: str, limit: int) -> SearchPage:
        """Members of the unit's subtree found by name, card or citizen id, best first."""
        async with self.connection() as conn:
            found = await search.search(conn, unit_id, on, text, limit)
        return SearchPage(hits=[SearchHit.model_validate(r) for r in found.rows], more=found.more)

    async def seal(self, verify: bool = False) -> SealStatus:
        """The seal's head; with `verify`, the chain checked (incrementally, one at a time)."""
        async with self.connection() as conn:
            status = SealStatus.model_validate(await seal.head(conn))
        if verify:
            verdict = await self.verifier.verdict()
            status.verified, status.checked = verdict.ok, verdict.checked
            status.recomputed = verdict.recomputed
            if verdict.broken is not None:
                status.broken_at, status.problem = verdict.broken.position, verdict.broken.problem
        return status
