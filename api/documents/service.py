"""Printing and checking documents: what the board, the API and the CLI call alike."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from api.documents.pdf import Code, code_of, facts_digest, typeset
from api.documents.record import KINDS, Source, day_of, read
from api.documents.view import view
from application.desk import Desk
from application.views import MemberView
from domain.errors import FutureDate, Language, Malformed, Refused, no_such
from domain.meeting import Meeting
from domain.policy import EARLIEST_DAY
from domain.state import LiaisonState
from projections import documents as log

MEMBER_KINDS = frozenset({"letter", "assessment", "contact"})
UNIT_KINDS = {"register": "cell", "statistics": "unit", "evidence": "unit"}
"""The parameter naming the unit a document of that kind is about."""

Problem = tuple[str, dict[str, Any]]
"""A problem found: an English message of the catalogue (`%(name)s` placeholders) and its values."""


@dataclass(frozen=True)
class Printed:
    """A printed document: its PDF, its verification code and a file name for it."""

    pdf: bytes
    code: Code
    filename: str


def _uuid(value: str, what: str) -> UUID:
    try:
        return UUID(value)
    except ValueError:
        raise no_such(what) from None


def gate(desk: Desk, kind: str, params: dict[str, str]) -> None:
    """Refuse (and audit) unless the person may read the record the document prints: the same
    permission as the record's own page (another district's member is "no such member")."""
    target = ",".join(f"{k}={v}" for k, v in sorted(params.items()))

    def check() -> None:
        if kind in MEMBER_KINDS:
            member_id = _uuid(params.get("member", ""), "member")
            printed = _printed_liaison(desk, desk.member(member_id), kind, params)
            if printed is not None:  # as its own page: another district's is "no such member"
                units = (printed.workplace_unit_id, printed.residence_commune_id, printed.cell_id)
                desk.may_read(*[u for u in units if u], record="member", target=str(member_id))
        elif kind == "attendance":
            meeting_id = _uuid(params.get("meeting", ""), "meeting")
            try:
                meeting: Any = desk.office.repository.get(meeting_id)
            except AggregateNotFoundError:
                meeting = None
            if not isinstance(meeting, Meeting):
                raise no_such("meeting")
            desk.may_read(meeting.cell_id, record="meeting", target=str(meeting_id))
        elif kind in UNIT_KINDS:
            unit = params.get(UNIT_KINDS[kind], "")
            desk.office.tree().unit(unit)  # refuses an unknown unit
            if "on" in params:
                _as_of(desk, unit, day_of(params, "on"))
            else:
                desk.may_read(unit)
        else:
            raise Malformed("“{value}” is not a kind of document.", value=kind)

    desk.run(check, "read", target)


def _printed_liaison(
    desk: Desk, member: MemberView, kind: str, params: dict[str, str]
) -> LiaisonState | None:
    """The liaison a member's document prints (its letter, its residence, that year's
    assessment), as `record` picks it; None when there is none (the document is refused then)."""
    states = [desk.office.state_of(i) for i in member.liaison_ids]
    if kind == "assessment":
        try:
            year = int(params.get("year", ""))
        except ValueError:
            return None
        states = [s for s in states if s.assessment(year) is not None]
    return states[-1] if states else None


def _as_of(desk: Desk, unit: str, day: date) -> None:
    """Refuse figures as of a day the board's figures page does not show: before the records
    begin, not yet come, or when the unit was not in force (an official report of zeros)."""
    if day < EARLIEST_DAY:
        raise Malformed(
            "Liaison records begin on {earlier}; choose a later date.", earlier=EARLIEST_DAY
        )
    if day > desk.today():
        raise FutureDate("{day} is in the future (today is {today}).", day=day, today=desk.today())
    desk.may_read(unit, on=day)  # as the figures page reads it
    desk.office.tree().itself_in_force(unit, day)


async def produce(
    source: Source, kind: str, params: dict[str, str], language: Language, printed: date
) -> Printed:
    """The document of that kind, fixed to the seal's head (the caller has passed the gate)."""
    record = await read(source, kind, params)
    position, link = await log.sealed_head(source.conn)
    code = Code(kind, record.params, position, link, facts_digest(record.facts))
    shown = view(record, code, language, printed)
    pdf = await asyncio.to_thread(typeset, kind, shown, code)
    return Printed(pdf, code, f"liaison-{kind}-{position}.pdf")


async def check(source: Source, pdf: bytes) -> tuple[Code, list[Problem]]:
    """What a printed document's code fails against the record now: the seal's link at its
    position, and the facts read again from the record (their digest)."""
    code = code_of(pdf)
    problems: list[Problem] = []
    if code.kind not in KINDS:
        return code, [("the document's code names no kind of document", {})]
    link = await log.sealed_link(source.conn, code.position)
    if link != code.link:
        problems.append(
            ("seal link at position %(position)s differs from the document",
             {"position": code.position})
        )  # fmt: skip
    try:
        record = await read(source, code.kind, code.params)
    except Refused:
        problems.append(("the record the document was printed from is not there", {}))
        return code, problems
    if facts_digest(record.facts) != code.digest:
        problems.append(("the record does not hold what the document prints", {}))
    return code, problems
