"""The trail and its proof: audit pages with filters, the inspection evidence, the seal."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query

from api.deps import Desk, DeskDep, ReadsDep, caught_up
from api.errors import ERROR_RESPONSES
from api.reads import AuditPage, AuditQuery, Scope, SealStatus
from api.routes_queries import On, RecordedBy, readable_member, scope_of
from domain.roles import SEAL_VERIFIERS, require_seal_verifier

router = APIRouter(
    prefix="/api", tags=["audit"], responses=ERROR_RESPONSES, dependencies=[Depends(caught_up)]
)
PAGE_MAX = 1000


async def audit_query(
    actor: Annotated[
        str | None, Query(max_length=100, description="Only this user's doing")
    ] = None,
    recorded_from: Annotated[datetime | None, Query(description="Recorded at or after")] = None,
    recorded_to: Annotated[datetime | None, Query(description="Recorded at or before")] = None,
    kind: Annotated[
        str | None, Query(max_length=60, description="Only events of this kind (`SignedIn`…)")
    ] = None,
    after: Annotated[
        int | None,
        Query(ge=0, le=2**63 - 1, description="The previous page's `next_after` (keyset)"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=PAGE_MAX, description="Rows per page")] = 100,
) -> AuditQuery:
    """The audit filters and page of a request."""
    return AuditQuery(
        actor_id=actor or None, recorded_from=recorded_from, recorded_to=recorded_to,
        event=kind or None, after=after, limit=limit,
    )  # fmt: skip


AuditQueryDep = Annotated[AuditQuery, Depends(audit_query)]


async def member_trail(desk: Desk, member_id: UUID, query: AuditQuery) -> tuple[Scope, AuditQuery]:
    """The scope and query of a member's trail, once the user may read the member: the member's
    own record and the liaisons the user may read (a former residence reads its own liaison,
    not the member's new one)."""
    member = await readable_member(desk, member_id)
    readable = [i for i in member.liaison_ids if await desk.call(desk.core.reads, i)]
    today = desk.today()
    scope = Scope(unit_id=member.workplace_unit_id, year=today.year, on=today)
    records = (member_id, *readable)
    return scope, query.model_copy(update={"member_id": member_id, "records": records})


async def may_verify_seal(desk: Desk) -> None:
    """Refuse (and record) unless the user's role may have the seal recomputed."""
    await desk.run(lambda: require_seal_verifier(desk.user.actor), "verify_seal", "seal")


def verifies_seal(desk: Desk) -> bool:
    """True when the user's role may have the seal verified (the page shows the button)."""
    return desk.user.role in SEAL_VERIFIERS


@router.get("/units/{unit_id}/audit")
async def unit_audit(
    unit_id: str, desk: DeskDep, reads: ReadsDep, query: AuditQueryDep
) -> AuditPage:
    """A page of the audit trail of the unit's subtree: every event, who did it, when, and why."""
    return await reads.audit(await scope_of(desk, unit_id, None, None, None), query)


@router.get("/members/{member_id}/audit")
async def member_audit(
    member_id: UUID, desk: DeskDep, reads: ReadsDep, query: AuditQueryDep
) -> AuditPage:
    """A page of every event of the member's record, in the order the store recorded them."""
    return await reads.audit(*await member_trail(desk, member_id, query))


@router.get("/units/{unit_id}/evidence")
async def unit_evidence(
    unit_id: str, desk: DeskDep, reads: ReadsDep, on: On = None, recorded_by: RecordedBy = None
) -> dict[str, Any]:
    """The inspection evidence file; `liaison verify --evidence FILE` checks it."""
    return await reads.evidence(await scope_of(desk, unit_id, None, on, recorded_by))


@router.get("/seal")
async def seal_status(
    desk: DeskDep, reads: ReadsDep, verify: Annotated[bool, Query()] = False
) -> SealStatus:
    """The seal's head; `verify=true` (inspectors, supervisors, administrators) checks the chain."""
    if verify:
        await may_verify_seal(desk)
    return await reads.seal(verify)
