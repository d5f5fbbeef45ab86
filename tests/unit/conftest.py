"""Unit-test fixtures: an in-memory LiaisonOffice over a small province tree with a 2025 merger.

The tree (every unit from 2000-01-01 unless said otherwise)::

    P  provincial committee
    ├── D   district committee, until 2025-07-01 (abolished with the two-level reform)
    │   ├── X1  commune ─┐ on 2025-07-01 both merge into the ward XN (parent P)
    │   │   ├── C1  residence cell (keeps its id and parent; part of XN after the merger)
    │   │   └── C2  residence cell
    │   └── X2  commune ─┘
    │       └── C3  residence cell
    ├── XN  ward from 2025-07-01 (successor of X1 and X2)
    ├── W   workplace committee
    │   └── WC  workplace cell
    └── W2  another workplace committee (a subtree of its own)
    P2 another province, with commune Y and residence cell Y1

Tests build commands through `World`, whose helpers issue a fresh command id each time.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest

from api.messages import refusal_text
from application.office import LiaisonOffice
from domain import commands as cmd
from domain.errors import Language, Refused
from domain.meeting import AttendanceEntry
from domain.organisation import Unit, UnitKind
from domain.roles import Actor, Role
from domain.state import AssessmentRecord, Attendance

TODAY = date(2026, 11, 22)
MERGER = date(2025, 7, 1)
EPOCH = date(2000, 1, 1)


def actor(role: Role, unit_id: str, name: str | None = None) -> Actor:
    """An actor of that role acting for that unit."""
    return Actor(id=name or f"{role.value}@{unit_id}", role=role, unit_id=unit_id)


ADMIN = actor(Role.ADMINISTRATOR, "P", "admin")
ADMIN_P2 = actor(Role.ADMINISTRATOR, "P2", "admin-p2")
SUPERVISOR = actor(Role.SUPERVISOR, "P", "supervisor")
INSPECTOR = actor(Role.INSPECTOR, "P", "inspector")
COMMITTEE_W = actor(Role.COMMITTEE_MEMBER, "W", "committee-w")
CLERK_W = actor(Role.WORKPLACE_CLERK, "W", "clerk-w")
CLERK_WC = actor(Role.WORKPLACE_CLERK, "WC", "clerk-wc")
CLERK_W2 = actor(Role.WORKPLACE_CLERK, "W2", "clerk-w2")
CLERK_X1 = actor(Role.COMMUNE_CLERK, "X1", "clerk-x1")
CLERK_X2 = actor(Role.COMMUNE_CLERK, "X2", "clerk-x2")
CLERK_XN = actor(Role.COMMUNE_CLERK, "XN", "clerk-xn")
CLERK_Y = actor(Role.COMMUNE_CLERK, "Y", "clerk-y")
SEC_C1 = actor(Role.CELL_SECRETARY, "C1", "sec-c1")
SEC_C2 = actor(Role.CELL_SECRETARY, "C2", "sec-c2")
SEC_C3 = actor(Role.CELL_SECRETARY, "C3", "sec-c3")
SEC_Y1 = actor(Role.CELL_SECRETARY, "Y1", "sec-y1")

ALL_ACTORS = (
    ADMIN,
    SUPERVISOR,
    INSPECTOR,
    COMMITTEE_W,
    CLERK_W,
    CLERK_WC,
    CLERK_W2,
    CLERK_X1,
    CLERK_X2,
    CLERK_XN,
    SEC_C1,
    SEC_C2,
    SEC_C3,
)

WORKPLACE_CLERKS = {"W": CLERK_W, "WC": CLERK_WC, "W2": CLERK_W2}
COMMUNE_CLERKS = {"X1": CLERK_X1, "X2": CLERK_X2, "XN": CLERK_XN, "Y": CLERK_Y}
SECRETARIES = {"C1": SEC_C1, "C2": SEC_C2, "C3": SEC_C3, "Y1": SEC_Y1}
CELL_COMMUNE = {"C1": "X1", "C2": "X1", "C3": "X2", "Y1": "Y"}


def k(who: Actor, on: date, comment: str | None = None) -> dict[str, Any]:
    """The common fields of a command, with a fresh command id."""
    return {"command_id": uuid4(), "actor": who, "effective_date": on, "comment": comment}


def event_count(office: LiaisonOffice) -> int:
    """How many events the store holds (every aggregate, every event).

    The notification log's `select` caps `limit` at its section size (10), so read the recorder.
    """
    count = len(office.recorder.select_notifications(start=1, limit=10**6))
    assert count == (office.recorder.max_notification_id() or 0)
    return count


def store_reads(monkeypatch: pytest.MonkeyPatch, office: LiaisonOffice) -> Counter[UUID]:
    """Each record's reads from the store from now on (the library's cache catching up, too)."""
    store = office.events  # type: ignore[attr-defined]
    reads: Counter[UUID] = Counter()
    get = store.get

    def counted(originator_id: UUID, *args: Any, **kwargs: Any) -> Any:
        reads[originator_id] += 1
        return get(originator_id, *args, **kwargs)

    monkeypatch.setattr(store, "get", counted)
    return reads


def stored_topics(office: LiaisonOffice) -> list[str]:
    """The topics of every stored event, in order."""
    return [n.topic for n in office.recorder.select_notifications(start=1, limit=10**6)]


def said(error: Refused, language: Language) -> str:
    """The refusal as the board shows it in the language (through the catalogue)."""
    return refusal_text(error, language)


def check_refusal(error: Refused) -> None:
    """A refusal has its own code and a message in each language, all non-empty and distinct."""
    assert isinstance(error, Refused)
    assert type(error) is not Refused
    assert error.code
    assert error.code != Refused.code
    vi, en = said(error, "vi"), said(error, "en")
    assert error.en
    assert vi
    assert en
    assert len({error.code, en, vi}) == 3
    assert "{" not in vi + en


def refused(
    office: LiaisonOffice, kind: type[Refused], call: Callable[[], object], match: str | None = None
) -> Refused:
    """Run `call`, expect the refusal `kind`, and check that it wrote nothing but its audit record.

    A refusal the office decided is audited once (one `PermissionRefused` with the real reason);
    one raised before a command exists (a malformed model) writes nothing at all."""
    before = event_count(office)
    with pytest.raises(kind, match=match) as info:
        call()
    written = office.recorder.select_notifications(start=before + 1, limit=10)
    kinds = [n.topic.rpartition(":")[2] for n in written]
    # An audited refusal adds its record, unless the same command id was refused before.
    allowed = ([], ["PermissionRefused"]) if info.value.audited else ([],)
    assert kinds in allowed, "a refused command wrote events"
    if written:
        record = office.repository.get(written[0].originator_id)
        assert record.kind == "permission_refused"
    check_refusal(info.value)
    return info.value


def refer_command(member_id: UUID, on: date, by: Actor = CLERK_W) -> cmd.Refer:
    """A command (with a fresh id) referring the member to commune XN, for tests that reuse it."""
    return cmd.Refer(
        **k(by, on), member_id=member_id, referral=cmd.Referral(residence_commune_id="XN")
    )


@dataclass
class World:
    """An office over the tree above, with helpers that issue one command each."""

    office: LiaisonOffice
    today: date
    cards: list[str] = field(default_factory=list)

    # Members and referrals.

    def register(
        self,
        card: str | None = None,
        *,
        workplace: str = "W",
        on: date = date(2019, 1, 5),
        by: Actor | None = None,
        name: str = "Nguyễn Văn An",
    ) -> UUID:
        card = card or f"{75000000 + len(self.cards) + 1}"
        self.cards.append(card)
        return self.office.execute(
            cmd.RegisterMember(
                **k(by or WORKPLACE_CLERKS.get(workplace, CLERK_W), on),
                name=name,
                birth_date=date(1980, 1, 1),
                party_card_number=card,
                workplace_unit_id=workplace,
            )
        ).member_id

    def refer(
        self,
        member_id: UUID,
        *,
        commune: str = "X1",
        on: date = date(2019, 1, 10),
        by: Actor = CLERK_W,
        predecessor_id: UUID | None = None,
        kind: str = "permanent",
    ) -> UUID:
        return self.office.execute(
            cmd.Refer(
                **k(by, on),
                member_id=member_id,
                referral=cmd.Referral(residence_commune_id=commune, residence_kind=kind),  # type: ignore[arg-type]
                predecessor_id=predecessor_id,
            )
        ).liaison_id

    def receive_commune(
        self, liaison_id: UUID, *, cell: str = "C1", on: date, by: Actor | None = None
    ) -> None:
        self.office.execute(
            cmd.ReceiveAtCommune(
                **k(by or self.commune_clerk(liaison_id), on), liaison_id=liaison_id, cell_id=cell
            )
        )

    def receive_cell(self, liaison_id: UUID, *, on: date, by: Actor | None = None) -> None:
        self.office.execute(
            cmd.ReceiveAtCell(**k(by or self.secretary(liaison_id), on), liaison_id=liaison_id)
        )

    def received(
        self,
        *,
        cell: str = "C1",
        commune: str | None = None,
        referred_on: date = date(2019, 1, 10),
        received_on: date | None = None,
        workplace: str = "W",
        name: str = "Nguyễn Văn An",
    ) -> tuple[UUID, UUID]:
        """A member registered, referred and received by commune and cell: (member, liaison)."""
        member = self.register(workplace=workplace, on=referred_on, name=name)
        liaison = self.refer(
            member,
            commune=commune or CELL_COMMUNE[cell],
            on=referred_on,
            by=WORKPLACE_CLERKS[workplace],
        )
        day = received_on or referred_on
        self.receive_commune(liaison, cell=cell, on=day)
        self.receive_cell(liaison, on=day)
        return member, liaison

    # The annual cycle.

    def meeting(
        self,
        cell: str,
        entries: list[tuple[UUID, Attendance]] | list[AttendanceEntry],
        *,
        on: date,
        by: Actor | None = None,
        ad_hoc: bool = False,
        others_present: bool = False,
    ) -> UUID:
        attendance = tuple(
            e
            if isinstance(e, AttendanceEntry)
            else AttendanceEntry(
                liaison_id=e[0],
                attendance=e[1],
                absence_reason="ốm" if e[1] is Attendance.ABSENT_WITH_REASON else None,
            )
            for e in entries
        )
        return self.office.execute(
            cmd.RecordMeeting(
                **k(by or SECRETARIES[cell], on),
                cell_id=cell,
                ad_hoc=ad_hoc,
                attendance=attendance,
                others_present=others_present,
            )
        ).meeting_id

    def assess(
        self,
        liaison_id: UUID,
        year: int,
        grade: str,
        *,
        on: date,
        front: str | None = "Trần Thị B",
        by: Actor | None = None,
        late: str | None = None,
    ) -> None:
        self.office.execute(
            cmd.Assess(
                **k(by or self.secretary(liaison_id), on),
                liaison_id=liaison_id,
                year=year,
                grade=grade,
                front_committee_representative=front,
                late_reason=late,
            )
        )

    def confirm(self, liaison_id: UUID, year: int, *, on: date, by: Actor | None = None) -> None:
        self.office.execute(
            cmd.ConfirmAssessment(
                **k(by or self.commune_clerk(liaison_id), on), liaison_id=liaison_id, year=year
            )
        )

    def report(self, liaison_id: UUID, year: int, *, on: date, by: Actor | None = None) -> None:
        self.office.execute(
            cmd.ReportBack(
                **k(by or self.commune_clerk(liaison_id), on), liaison_id=liaison_id, year=year
            )
        )

    def open_cycle(self, liaison_id: UUID, year: int, *, on: date, by: Actor = SUPERVISOR) -> None:
        self.office.execute(cmd.OpenCycle(**k(by, on), liaison_id=liaison_id, year=year))

    def request(
        self,
        liaison_id: UUID,
        *,
        on: date,
        purpose: cmd.RequestPurpose = cmd.RequestPurpose.PLANNING,
        by: Actor = CLERK_W,
    ) -> UUID:
        return self.office.execute(
            cmd.RequestAssessment(**k(by, on), liaison_id=liaison_id, purpose=purpose)
        ).request_id

    def provide(
        self,
        liaison_id: UUID,
        request_id: UUID,
        *,
        on: date,
        grade: str | None = "fulfilled_well",
        by: Actor | None = None,
    ) -> None:
        self.office.execute(
            cmd.ProvideAssessment(
                **k(by or self.secretary(liaison_id), on),
                liaison_id=liaison_id,
                request_id=request_id,
                grade=grade,
            )
        )

    def exempt(
        self, liaison_id: UUID, *, on: date, reason: str = "travelling", by: Actor = CLERK_W
    ) -> None:
        self.office.execute(
            cmd.ExemptFromActivities(**k(by, on), liaison_id=liaison_id, reason=reason)
        )

    def lift(self, liaison_id: UUID, *, on: date, by: Actor = CLERK_W) -> None:
        self.office.execute(cmd.LiftActivitiesExemption(**k(by, on), liaison_id=liaison_id))

    def exempt_introduction(
        self, member_id: UUID, *, on: date, reason: str = "secret_mission", by: Actor = CLERK_W
    ) -> None:
        self.office.execute(
            cmd.ExemptFromIntroduction(**k(by, on), member_id=member_id, reason=reason)
        )

    def lift_introduction(self, member_id: UUID, *, on: date, by: Actor = CLERK_W) -> None:
        self.office.execute(cmd.LiftIntroductionExemption(**k(by, on), member_id=member_id))

    def propose(
        self,
        liaison_id: UUID,
        kind: str,
        *,
        on: date,
        grounds: str | None = "Gương mẫu ở khu dân cư",
        by: Actor | None = None,
    ) -> None:
        self.office.execute(
            cmd.Propose(
                **k(by or self.secretary(liaison_id), on, grounds),
                liaison_id=liaison_id,
                kind=kind,  # type: ignore[arg-type]
            )
        )

    def close(
        self,
        liaison_id: UUID,
        reason: Any,
        *,
        on: date,
        successor: cmd.Referral | None = None,
        by: Actor = CLERK_W,
    ) -> UUID | None:
        return self.office.execute(
            cmd.Close(**k(by, on), liaison_id=liaison_id, reason=reason, successor=successor)
        ).successor_id

    def assessment(self, liaison_id: UUID, year: int) -> AssessmentRecord:
        """The liaison's recorded assessment of that year (the test fails if there is none)."""
        record = self.office.state_of(liaison_id).assessment(year)
        assert record is not None
        return record

    def refused(
        self, kind: type[Refused], call: Callable[[], object], match: str | None = None
    ) -> Refused:
        """`refused` on this world's office: the refusal, and nothing written but its audit."""
        return refused(self.office, kind, call, match)

    # Who acts for a liaison by default.

    def commune_clerk(self, liaison_id: UUID) -> Actor:
        commune = self.office.liaison(liaison_id).state.residence_commune_id
        return COMMUNE_CLERKS.get(commune, actor(Role.COMMUNE_CLERK, commune))

    def secretary(self, liaison_id: UUID) -> Actor:
        cell = self.office.liaison(liaison_id).state.cell_id
        if cell is None:
            return self.commune_clerk(liaison_id)
        return SECRETARIES.get(cell, actor(Role.CELL_SECRETARY, cell))


def unit(
    unit_id: str,
    kind: UnitKind,
    parent: str | None = None,
    *,
    valid_from: date = EPOCH,
    valid_until: date | None = None,
    successor: str | None = None,
) -> Unit:
    return Unit(
        id=unit_id,
        name=f"Unit {unit_id}",
        kind=kind,
        parent_id=parent,
        valid_from=valid_from,
        valid_until=valid_until,
        successor_id=successor,
    )


def build_world(today: date = TODAY, env: dict[str, str] | None = None) -> World:
    """A fresh office (in memory, or on `env`'s store) with the tree above, its clock on `today`."""
    office = LiaisonOffice(
        env=env or {}, clock=lambda: datetime(today.year, today.month, today.day, 9, tzinfo=UTC)
    )
    units = [
        unit("P", UnitKind.PROVINCIAL_COMMITTEE),
        unit("D", UnitKind.DISTRICT_COMMITTEE, "P", valid_until=MERGER),
        unit("X1", UnitKind.COMMUNE_COMMITTEE, "D"),
        unit("X2", UnitKind.COMMUNE_COMMITTEE, "D"),
        unit("C1", UnitKind.RESIDENCE_CELL, "X1"),
        unit("C2", UnitKind.RESIDENCE_CELL, "X1"),
        unit("C3", UnitKind.RESIDENCE_CELL, "X2"),
        unit("W", UnitKind.WORKPLACE_COMMITTEE, "P"),
        unit("WC", UnitKind.WORKPLACE_CELL, "W"),
        unit("W2", UnitKind.WORKPLACE_COMMITTEE, "P"),
        unit("P2", UnitKind.PROVINCIAL_COMMITTEE),
        unit("Y", UnitKind.COMMUNE_COMMITTEE, "P2"),
        unit("Y1", UnitKind.RESIDENCE_CELL, "Y"),
    ]
    for u in units:
        admin = ADMIN_P2 if u.parent_id in {"P2", "Y"} else ADMIN
        office.execute(cmd.EstablishUnit(**k(admin, EPOCH), unit=u))
    office.execute(
        cmd.SucceedUnits(
            **k(ADMIN, min(MERGER, today)),
            predecessor_ids=("X1", "X2"),
            successor=unit("XN", UnitKind.COMMUNE_COMMITTEE, "P", valid_from=MERGER),
        )
    )
    office.id_namespace()  # recorded at a store's first need: counts in tests start after it
    return World(office=office, today=today)


@pytest.fixture
def world() -> World:
    """The tree above in a fresh office whose clock says 2026-11-22."""
    return build_world()


@pytest.fixture
def office(world: World) -> LiaisonOffice:
    return world.office


@pytest.fixture
def pre_merger_world() -> World:
    """The same tree, the merger already recorded, in an office whose clock says 2025-06-01."""
    return build_world(date(2025, 6, 1))
