"""A tiny province built through `LiaisonOffice` commands, for tests on any persistence.

The tree is one province P with a workplace committee W and a commune committee X whose residence
cell is C1. `received_member` registers a member at W, refers them to X and has X and C1 receive
them, so the liaison is ATTENDING and ready for meetings, assessments and requests.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID, uuid4

from application.office import LiaisonOffice
from domain import commands as c
from domain.deadlines import Deadline
from domain.escalation import ResolveEscalation, Step, TakeStep
from domain.organisation import Unit, UnitKind
from domain.roles import Actor, Role

NOW = datetime(2026, 11, 22, tzinfo=UTC)
TODAY = NOW.date()
YEAR = 2026

PROVINCE = "P"
WORKPLACE = "W"
COMMUNE = "X"
CELL = "C1"

ADMIN = Actor(id="admin", role=Role.ADMINISTRATOR, unit_id=PROVINCE)
CLERK = Actor(id="clerk", role=Role.WORKPLACE_CLERK, unit_id=WORKPLACE)
COMMUNE_CLERK = Actor(id="commune-clerk", role=Role.COMMUNE_CLERK, unit_id=COMMUNE)
SECRETARY = Actor(id="secretary", role=Role.CELL_SECRETARY, unit_id=CELL)

REGISTERED_ON = date(2026, 1, 5)
REFERRED_ON = date(2026, 1, 10)
COMMUNE_RECEIVED_ON = date(2026, 1, 20)
CELL_RECEIVED_ON = date(2026, 1, 25)


def clock() -> datetime:
    """The tests' fixed clock: 22 November 2026, UTC."""
    return NOW


def by(actor: Actor, day: date, **fields: Any) -> dict[str, Any]:
    """Common command fields with a fresh command id."""
    return {"command_id": uuid4(), "actor": actor, "effective_date": day, **fields}


def unit(unit_id: str, kind: UnitKind, parent: str | None, since: date = date(2000, 1, 1)) -> Unit:
    """A unit named by its id, in force from `since` (2000 unless told)."""
    return Unit(id=unit_id, name=unit_id, kind=kind, parent_id=parent, valid_from=since)


def establish(office: LiaisonOffice, units: Iterable[Unit], on: date = date(2026, 1, 1)) -> None:
    """Enter the units, as the administrator on `on`."""
    for u in units:
        office.execute(c.EstablishUnit(**by(ADMIN, on), unit=u))


def build_province(office: LiaisonOffice) -> None:
    """Enter P, W, X and C1 (all in force since 2000)."""
    establish(
        office,
        (
            unit(PROVINCE, UnitKind.PROVINCIAL_COMMITTEE, None),
            unit(WORKPLACE, UnitKind.WORKPLACE_COMMITTEE, PROVINCE),
            unit(COMMUNE, UnitKind.COMMUNE_COMMITTEE, PROVINCE),
            unit(CELL, UnitKind.RESIDENCE_CELL, COMMUNE),
        ),
    )


def party_card(n: int) -> str:
    """A valid, distinct party card number for member number `n`."""
    return f"{n:08d}"


def register(office: LiaisonOffice, n: int, name: str | None = None) -> UUID:
    """Register member number `n` at the workplace committee."""
    return office.execute(
        c.RegisterMember(
            **by(CLERK, REGISTERED_ON),
            name=name or f"Đảng viên {n}",
            birth_date=date(1980, 1, 1),
            party_card_number=party_card(n),
            workplace_unit_id=WORKPLACE,
        )
    ).member_id


def refer_command(member_id: UUID) -> c.Refer:
    """The referral of a member to commune X (a fresh command id each call)."""
    return c.Refer(
        **by(CLERK, REFERRED_ON),
        member_id=member_id,
        referral=c.Referral(residence_commune_id=COMMUNE),
    )


def receive(office: LiaisonOffice, liaison_id: UUID) -> None:
    """Commune X receives the liaison into cell C1, then C1 receives the member."""
    office.execute(
        c.ReceiveAtCommune(
            **by(COMMUNE_CLERK, COMMUNE_RECEIVED_ON), liaison_id=liaison_id, cell_id=CELL
        )
    )
    office.execute(c.ReceiveAtCell(**by(SECRETARY, CELL_RECEIVED_ON), liaison_id=liaison_id))


def assess_and_confirm(
    office: LiaisonOffice, liaison_id: UUID, year: int, assessed_on: date, confirmed_on: date
) -> None:
    """C1 assesses the year "fulfilled well" (Trần Thị Bình for the Front); commune X confirms."""
    office.execute(
        c.Assess(
            **by(SECRETARY, assessed_on),
            liaison_id=liaison_id,
            year=year,
            grade="fulfilled_well",
            front_committee_representative="Trần Thị Bình",
        )
    )
    office.execute(
        c.ConfirmAssessment(**by(COMMUNE_CLERK, confirmed_on), liaison_id=liaison_id, year=year)
    )


@dataclass(frozen=True)
class Enrolled:
    """A registered member and their liaison."""

    member_id: UUID
    liaison_id: UUID


def received_member(
    office: LiaisonOffice, n: int, *, name: str | None = None, received: bool = True
) -> Enrolled:
    """Member number `n`, registered, referred to X and (unless `received=False`) received at C1."""
    member_id = register(office, n, name)
    liaison_id = office.execute(refer_command(member_id)).liaison_id
    if received:
        receive(office, liaison_id)
    return Enrolled(member_id=member_id, liaison_id=liaison_id)


def event_count(office: LiaisonOffice) -> int:
    """How many events the store holds.

    Counted, not read off the highest notification id: on PostgreSQL a refused insert (the loser
    of a race) still consumes sequence values, so ids have gaps.
    """
    return len(office.recorder.select_notifications(start=None, limit=1_000_000))


def last_notification_id(office: LiaisonOffice) -> int:
    """The store's highest notification id (0 when empty)."""
    return office.recorder.max_notification_id() or 0


def escalate(
    office: LiaisonOffice, liaison_id: UUID, on: date, steps: tuple[Step, ...] = tuple(Step)
) -> Deadline:
    """Take ladder steps on the liaison's first open deadline on `on`, as the workflow would."""
    deadline = office.deadlines(liaison_id, on)[0]
    for step in steps:
        office.execute(
            TakeStep(
                command_id=uuid4(),
                actor=office.system_actor_for(liaison_id, on),
                effective_date=on,
                liaison_id=liaison_id,
                deadline=deadline,
                step=step,
            )
        )
    return deadline


def resolve(office: LiaisonOffice, liaison_id: UUID, deadline: Deadline, on: date) -> bool:
    """Resolve the escalation of a deadline, as the workflow does once the awaited event is in."""
    return office.execute(
        ResolveEscalation(
            command_id=uuid4(),
            actor=office.system_actor_for(liaison_id, on),
            effective_date=on,
            liaison_id=liaison_id,
            kind=deadline.kind,
            subject=deadline.subject,
            resolution="awaited event recorded",
            liaison_version=office.liaison(liaison_id).version,
        )
    ).resolved
