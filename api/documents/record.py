"""What each document prints, read from the record: plain facts, the same whenever they are read.

A document is asked for by its kind and a few parameters (a member, a year, a cell, a meeting, a
unit and a date); the facts come back with the units whose read permission gates them. The facts
hold no words of a language: names, codes, ISO dates and counts, so that `liaison verify
--document` can read them again from the record and compare their digest with the printed one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from application.office import LiaisonOffice
from domain.cell_book import CellBook, cell_book_id
from domain.errors import Malformed, UnknownUnit, WrongState, no_such
from domain.liaison_events import Assessed, AssessmentConfirmed
from domain.meeting import Meeting
from domain.organisation import OrganisationTree
from domain.policy import REGULATIONS, policy_in_force
from domain.state import LiaisonState
from projections import documents as log
from projections import evidence
from projections.dashboard import Period
from projections.dashboard import figures as counted

R = TypeVar("R")

KINDS = ("letter", "assessment", "register", "contact", "attendance", "statistics", "evidence")
"""Giấy giới thiệu, phiếu nhận xét, sổ theo dõi, sổ liên hệ, danh sách điểm danh, thống kê,
chứng cứ kiểm tra."""

STATISTICS_FIGURES = (
    "members_in_scope",
    "referred",
    "received_cell",
    "awaiting_receipt",
    "meetings_held",
    "assessments_due",
    "assessments_returned",
    "assessments_overdue",
    "reported_back",
)
"""The columns of the year-end statistics table, in the order boards send them upwards."""


@dataclass(frozen=True)
class Record:
    """A document's facts as the record holds them, and the units whose readers may print it."""

    kind: str
    params: dict[str, str]
    units: tuple[str, ...]
    facts: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Source:
    """Where facts are read: the office (its aggregates) and a read connection (asyncpg)."""

    office: LiaisonOffice
    conn: Any

    async def call(self, work: Callable[[], R]) -> R:
        """A synchronous office read, off the event loop."""
        return await asyncio.to_thread(work)

    async def tree(self) -> OrganisationTree:
        """The organisation tree."""
        return await self.call(self.office.tree)


def unit_facts(tree: OrganisationTree, unit_id: str) -> dict[str, Any]:
    """A unit by name and code, with its parent's name (the header's upper line) and its top's
    (the place a document is issued at)."""
    try:
        unit = tree.unit(unit_id)
    except UnknownUnit:
        return {"id": unit_id, "name": unit_id, "parent": "", "place": ""}
    parent, top, seen = "", unit, {unit.id}
    if unit.parent_id is not None and unit.parent_id in tree:
        parent = tree.unit(unit.parent_id).name
    while top.parent_id is not None and top.parent_id in tree and top.parent_id not in seen:
        top = tree.unit(top.parent_id)
        seen.add(top.id)
    return {"id": unit.id, "name": unit.name, "parent": parent, "place": top.name}


def _uuid(params: dict[str, str], key: str, what: str) -> UUID:
    try:
        return UUID(params.get(key, ""))
    except ValueError:
        raise no_such(what) from None


def _year(params: dict[str, str]) -> int:
    try:
        year = int(params.get("year", ""))
    except ValueError:
        raise Malformed("“{value}” is not a year.", value=params.get("year", "")) from None
    if not 2000 <= year <= 2100:
        raise Malformed("“{value}” is not a year.", value=str(year))
    return year


def day_of(params: dict[str, str], key: str) -> date:
    """The date a parameter gives (ISO); refused as malformed when it gives none."""
    try:
        return date.fromisoformat(params.get(key, ""))
    except ValueError:
        raise Malformed("“{value}” is not a date.", value=params.get(key, "")) from None


def _units_of(state: LiaisonState) -> tuple[str, ...]:
    cell = (state.cell_id,) if state.cell_id else ()
    return (state.workplace_unit_id, state.residence_commune_id, *cell)


async def _member_states(source: Source, member_id: UUID) -> tuple[Any, list[LiaisonState]]:
    def read() -> tuple[Any, list[LiaisonState]]:
        member = source.office.member(member_id)
        return member, [source.office.state_of(i) for i in member.liaison_ids]

    return await source.call(read)


def _member_facts(member: Any, tree: OrganisationTree) -> dict[str, Any]:
    return {
        "name": member.name,
        "birth_date": member.birth_date.isoformat(),
        "party_card": member.party_card_number,
        "workplace": unit_facts(tree, member.workplace_unit_id),
    }


def _latest(states: list[LiaisonState], card: str) -> LiaisonState:
    if not states:
        raise WrongState("Member {card} has not been referred.", card=card)
    return states[-1]


async def letter(source: Source, params: dict[str, str]) -> Record:
    """Giấy giới thiệu đảng viên về sinh hoạt nơi cư trú: the member's latest referral, numbered
    in its workplace's sequence of the year."""
    member, states = await _member_states(source, _uuid(params, "member", "member"))
    state = _latest(states, member.party_card_number)
    tree = await source.tree()
    year = state.referred_on.year
    number = await log.letter_number(source.conn, state.liaison_id, state.workplace_unit_id, year)
    return Record(
        "letter",
        params,
        _units_of(state),
        {
            "number": number,
            "year": year,
            "referred_on": state.referred_on.isoformat(),
            "member": _member_facts(member, tree),
            "issuer": unit_facts(tree, state.workplace_unit_id),
            "commune": unit_facts(tree, state.residence_commune_id),
            "residence_kind": state.residence_kind,
            "regulation": state.regulation_at_referral,
        },
    )


async def assessment(source: Source, params: dict[str, str]) -> Record:
    """Phiếu nhận xét đảng viên nơi cư trú: the year's assessment with the regulation's
    criteria, the cell's grade and comment, the Front committee's part, the commune's
    confirmation."""
    member_id, year = _uuid(params, "member", "member"), _year(params)
    member, states = await _member_states(source, member_id)
    found = [(s, s.assessment(year)) for s in states if s.assessment(year) is not None]
    if not found:
        raise WrongState("{member} has no assessment for {year}.", member=member.name, year=year)
    state, record = found[-1]
    assert record is not None
    history = await source.call(lambda: source.office.history(state.liaison_id))
    assessed = [e for e in history if isinstance(e, Assessed) and e.year == year][-1]
    confirmed = [e for e in history if isinstance(e, AssessmentConfirmed) and e.year == year]
    tree = await source.tree()
    policy = next(
        (p for p in REGULATIONS if p.regulation == record.regulation),
        policy_in_force(record.assessed_on),
    )  # the regulation the cell assessed under: its criteria and its title
    return Record(
        "assessment",
        params,
        _units_of(state),
        {
            "year": year,
            "member": _member_facts(member, tree),
            "cell": unit_facts(tree, state.cell_id or ""),
            "commune": unit_facts(tree, state.residence_commune_id),
            "regulation": record.regulation,
            "regulation_title": policy.title,
            "criteria": list(policy.criteria),
            "grade": record.grade,
            "assessed_on": record.assessed_on.isoformat(),
            "comment": assessed.comment or "",
            "front_joins": policy.front_committee_joins,
            "front_representative": getattr(assessed, "front_committee_representative", None) or "",
            "confirmed_on": record.confirmed_on.isoformat() if record.confirmed_on else None,
            "confirmed_comment": (confirmed[-1].comment or "") if confirmed else "",
        },
    )


async def register(source: Source, params: dict[str, str]) -> Record:
    """Sổ theo dõi đảng viên đang công tác sinh hoạt nơi cư trú: every member the cell entered
    in its book, in the order they were received."""
    cell_id = params.get("cell", "")
    tree = await source.tree()
    tree.unit(cell_id)  # refuses an unknown unit

    def read() -> list[LiaisonState]:
        try:
            book: Any = source.office.repository.get(cell_book_id(cell_id))
        except AggregateNotFoundError:  # no book yet: the cell has received nobody
            return []
        if not isinstance(book, CellBook):
            return []
        return [source.office.state_of(i) for i in book.liaison_ids]

    states = await source.call(read)
    members = await source.call(
        lambda: {s.member_id: source.office.member(s.member_id) for s in states}
    )
    rows = [
        {
            "name": s.member_name,
            "birth_date": members[s.member_id].birth_date.isoformat(),
            "party_card": members[s.member_id].party_card_number,
            "workplace": unit_facts(tree, s.workplace_unit_id)["name"],
            "received_on": s.cell_received_on.isoformat() if s.cell_received_on else None,
            "closed_on": s.closed_on.isoformat() if s.closed_on else None,
            "exempt": s.is_exempt_from_activities,
        }
        for s in states
    ]
    cell = unit_facts(tree, cell_id)
    parent = tree.unit(cell_id).parent_id
    return Record(
        "register",
        params,
        (cell_id,),
        {"cell": cell, "commune": unit_facts(tree, parent or ""), "members": rows},
    )


async def contact(source: Source, params: dict[str, str]) -> Record:
    """Sổ liên hệ: one member's page — who they are, where they live and work, and each
    meeting, assessment and report of their liaisons."""
    member, states = await _member_states(source, _uuid(params, "member", "member"))
    state = _latest(states, member.party_card_number)
    tree = await source.tree()
    meetings = [
        {"held_on": m.held_on.isoformat(), "attendance": m.attendance.value}
        for s in states
        for m in s.meetings
    ]
    assessments = [
        {
            "year": a.year,
            "grade": a.grade,
            "assessed_on": a.assessed_on.isoformat(),
            "reported_on": a.reported_on.isoformat() if a.reported_on else None,
        }
        for s in states
        for a in s.assessments
    ]
    units = tuple(u for s in states for u in _units_of(s))
    return Record(
        "contact",
        params,
        units,
        {
            "member": _member_facts(member, tree),
            "commune": unit_facts(tree, state.residence_commune_id),
            "cell": unit_facts(tree, state.cell_id or ""),
            "referred_on": state.referred_on.isoformat(),
            "received_on": state.cell_received_on.isoformat() if state.cell_received_on else None,
            "meetings": meetings,
            "assessments": assessments,
        },
    )


async def attendance(source: Source, params: dict[str, str]) -> Record:
    """Danh sách điểm danh and the minutes' header: a meeting and how each member stood."""
    meeting_id = _uuid(params, "meeting", "meeting")

    def read() -> tuple[Meeting, date, list[tuple[Any, str]]]:
        try:
            meeting: Any = source.office.repository.get(meeting_id)
        except AggregateNotFoundError:
            raise no_such("meeting") from None
        if not isinstance(meeting, Meeting):
            raise no_such("meeting")
        held_on: date = meeting.held_on  # type: ignore[attr-defined]
        names = [(e, source.office.liaison(e.liaison_id).state.member_name)
                 for e in meeting.attendance]  # fmt: skip
        return meeting, held_on, names

    meeting, held_on, entries = await source.call(read)
    tree = await source.tree()
    parent = tree.unit(meeting.cell_id).parent_id if meeting.cell_id in tree else None
    rows = [
        {"name": name, "attendance": e.attendance.value, "reason": e.absence_reason or ""}
        for e, name in sorted(entries, key=lambda pair: pair[1])
    ]
    return Record(
        "attendance",
        params,
        (meeting.cell_id,),
        {
            "cell": unit_facts(tree, meeting.cell_id),
            "commune": unit_facts(tree, parent or ""),
            "held_on": held_on.isoformat(),
            "ad_hoc": bool(getattr(meeting, "ad_hoc", False)),
            "rows": rows,
        },
    )


async def _fixed_time(source: Source, params: dict[str, str]) -> dict[str, str]:
    """The parameters with the time the figures are read as known at (the seal's head's time
    when not given), so that reading them again gives the same figures."""
    if params.get("known_at"):
        try:
            datetime.fromisoformat(params["known_at"])
        except ValueError:
            raise Malformed("“{value}” is not a date.", value=params["known_at"]) from None
        return params
    position, _ = await log.sealed_head(source.conn)
    recorded = await source.conn.fetchval(
        "SELECT recorded_at FROM audit_event WHERE notification_id <= $1"
        " ORDER BY notification_id DESC LIMIT 1",
        position,
    )
    if recorded is None:
        raise WrongState("Nothing was sealed yet at that time: the projector seals the records.")
    return {**params, "known_at": recorded.isoformat()}


async def statistics(source: Source, params: dict[str, str]) -> Record:
    """Báo cáo thống kê cuối năm: the unit's figures, and each unit under it, in one table."""
    unit_id, on = params.get("unit", ""), day_of(params, "on")
    tree = await source.tree()
    tree.unit(unit_id)  # refuses an unknown unit
    params = await _fixed_time(source, params)
    known = datetime.fromisoformat(params["known_at"])
    children = [u.id for u in tree.children(unit_id, on)]
    rows = []
    for each in (*children, unit_id):
        try:
            figures = (await counted(source.conn, Period(each, on, known))).summary()
        except UnknownUnit:
            continue
        rows.append(
            {"unit": unit_facts(tree, each)["name"], "total": each == unit_id,
             **{k: figures[k] for k in STATISTICS_FIGURES}}
        )  # fmt: skip
    return Record(
        "statistics",
        params,
        (unit_id,),
        {"unit": unit_facts(tree, unit_id), "on": on.isoformat(), "year": on.year, "rows": rows},
    )


async def inspection(source: Source, params: dict[str, str]) -> Record:
    """Chứng cứ kiểm tra: the inspection's figures beside the digest and seal position of the
    machine-checkable evidence file they come from."""
    unit_id, on = params.get("unit", ""), day_of(params, "on")
    tree = await source.tree()
    tree.unit(unit_id)  # refuses an unknown unit
    params = await _fixed_time(source, params)
    data = await evidence.export(
        source.conn, unit_id, on, datetime.fromisoformat(params["known_at"])
    )
    current = data["dashboard"]["current"]
    return Record(
        "evidence",
        params,
        (unit_id,),
        {
            "unit": unit_facts(tree, unit_id),
            "on": on.isoformat(),
            "known_at": params["known_at"],
            "figures": {k: current[k] for k in STATISTICS_FIGURES},
            "lists": {k: len(v) for k, v in sorted(data["lists"].items())},
            "audit_rows": len(data["audit"]),
            "evidence_digest": data["digest"],
            "evidence_seal": data["seal"]["position"],
        },
    )


BUILDERS: dict[str, Callable[[Source, dict[str, str]], Awaitable[Record]]] = {
    "letter": letter,
    "assessment": assessment,
    "register": register,
    "contact": contact,
    "attendance": attendance,
    "statistics": statistics,
    "evidence": inspection,
}


async def read(source: Source, kind: str, params: dict[str, str]) -> Record:
    """The facts of a document of that kind; an unknown kind is refused as malformed."""
    builder = BUILDERS.get(kind)
    if builder is None:
        raise Malformed("“{value}” is not a kind of document.", value=kind)
    return await builder(source, {k: str(v) for k, v in params.items()})
