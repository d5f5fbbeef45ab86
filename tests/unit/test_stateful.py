"""Random command sequences never break the invariants (hypothesis stateful testing).

Each step issues one command with a random actor, date and target, or re-sends an earlier one.
Whatever happens: a refusal is a named, bilingual `Refused` that wrote nothing; anything else that
is raised is a bug; a success wrote something; a re-sent command returns its first result and
writes nothing; and after every step the store still satisfies the invariants below.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any
from uuid import UUID, uuid4

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from application.outcome import Outcome
from domain import commands as cmd
from domain.deadlines import DeadlineKind, annual_assessment_deadline, open_deadlines
from domain.errors import Duplicate, Refused, UnknownMember
from domain.meeting import AttendanceEntry
from domain.policy import REGULATION_76, REGULATION_213
from domain.roles import Actor
from domain.state import Attendance, ClosingReason, Stage
from tests.unit.conftest import (
    ADMIN,
    ALL_ACTORS,
    CELL_COMMUNE,
    CLERK_W,
    CLERK_W2,
    CLERK_XN,
    MERGER,
    SEC_C1,
    SEC_C2,
    SEC_C3,
    SECRETARIES,
    SUPERVISOR,
    TODAY,
    WORKPLACE_CLERKS,
    build_world,
    check_refusal,
    event_count,
)

DATES = (
    date(2019, 3, 1),
    date(2019, 11, 10),
    date(2020, 1, 1),
    REGULATION_213.effective_from,
    date(2021, 11, 10),
    date(2025, 6, 30),
    MERGER,
    date(2026, 1, 1),
    date(2026, 1, 10),
    date(2026, 3, 1),
    date(2026, 11, 10),
    TODAY,
    TODAY + timedelta(days=1),  # tomorrow: always refused
)
CHECK_ON = (date(2019, 12, 1), date(2021, 11, 20), date(2026, 6, 1), date(2026, 11, 22))
CARDS = ("75010771", "75010772", "75010773", "75010774", " 75010771 ")
WORKPLACES = ("W", "WC", "W2", "XN")
COMMUNES = ("X1", "X2", "XN", "Y", "C1")
CELLS = ("C1", "C2", "C3", "Y1")
GRADES = (*(g.code for g in (*REGULATION_76.grades, *REGULATION_213.grades)), "bogus")
YEARS = (2019, 2020, 2021, 2025, 2026, 2027)
ACTIVITY_REASONS = ("travelling", "student_away", "secret_mission")
INTRO_REASONS = ("secret_mission", "other", "travelling")
LIKELY = (CLERK_W, CLERK_XN, SEC_C1, SEC_C2, SEC_C3, SUPERVISOR)

# None stands for the actor who should act, or the machine's current business date.
actors = st.one_of(st.none(), st.none(), st.sampled_from(LIKELY), st.sampled_from(ALL_ACTORS))
dates = st.one_of(st.none(), st.none(), st.none(), st.sampled_from(DATES))
picks = st.integers(min_value=0, max_value=10_000)
maybe_comment = st.sampled_from((None, "Căn cứ biên bản"))


def stamp(who: Actor, on: date, comment: str | None = None) -> dict[str, Any]:
    return {"command_id": uuid4(), "actor": who, "effective_date": on, "comment": comment}


RESULTS = {
    "register_member": "member_id",
    "refer": "liaison_id",
    "record_meeting": "meeting_id",
    "request_assessment": "request_id",
    "close_liaison": "successor_id",
}
"""What each use case answered before the registry: the id its outcome names (else nothing)."""


def outcome_of(method: str, outcome: Outcome) -> Any:
    """The id a use case's outcome names, by the name the machine gives it."""
    return getattr(outcome, RESULTS[method]) if method in RESULTS else None


class LiaisonMachine(RuleBasedStateMachine):
    """Drives one in-memory office with random commands."""

    def __init__(self) -> None:
        super().__init__()
        self.world = build_world()
        self.office = self.world.office
        self.members: list[UUID] = []
        self.liaisons: list[UUID] = []
        self.requests: list[tuple[UUID, UUID]] = []
        self.done: list[tuple[str, cmd.Command, Any]] = []
        self.count = event_count(self.office)
        self.day_index = 0
        self.refused = False

    @property
    def day(self) -> date:
        return DATES[self.day_index]

    def on(self, day: date | None) -> date:
        return self.day if day is None else day

    def workplace_actor(self, who: Actor | None, workplace: str) -> Actor:
        return who or WORKPLACE_CLERKS.get(workplace, CLERK_W)

    def side_actor(self, who: Actor | None, liaison_id: UUID, side: str) -> Actor:
        if who is not None:
            return who
        state = self.office.state_of(liaison_id)
        if side == "workplace":
            return WORKPLACE_CLERKS.get(state.workplace_unit_id, CLERK_W)
        if side == "commune":
            return self.world.commune_clerk(liaison_id)
        return self.world.secretary(liaison_id)

    # The commands.

    def registration(
        self, by: Actor, day: date, workplace: str, card: str, name: str, born: date
    ) -> cmd.RegisterMember:
        return cmd.RegisterMember(
            **stamp(by, day),
            name=name,
            birth_date=born,
            party_card_number=card,
            workplace_unit_id=workplace,
        )

    def referral(
        self, by: Actor, day: date, member_id: UUID, commune: str, predecessor: UUID | None = None
    ) -> cmd.Refer:
        return cmd.Refer(
            **stamp(by, day),
            member_id=member_id,
            referral=cmd.Referral(residence_commune_id=commune),
            predecessor_id=predecessor,
        )

    # Running a command.

    def run(self, method: str, command: cmd.Command) -> Any:
        before = event_count(self.office)
        assert before == self.count, "events appeared or vanished between steps"
        refusal: Refused | None = None
        try:
            result = outcome_of(method, self.office.execute(command))
        except Refused as error:
            refusal = error
        self.refused = refusal is not None
        if refusal is not None:
            check_refusal(refusal)
            # Nothing but the refusal's own audit record (once per command id).
            self.count = event_count(self.office)
            assert self.count - before == (1 if refusal.audited else 0), (
                f"{type(refusal).__name__} wrote events"
            )
            return None
        after = event_count(self.office)
        assert after > before, f"{method} succeeded without writing anything"
        self.count = after
        self.done.append((method, command, result))
        return result

    def pick(self, items: list[Any], index: int) -> Any:
        return items[index % len(items)]

    def liaison(self, index: int) -> UUID:
        return self.pick(self.liaisons, index)  # type: ignore[no-any-return]

    # Rules.

    @rule(steps=st.integers(min_value=1, max_value=3))
    def advance(self, steps: int) -> None:
        """Business time moves on (the last date is tomorrow, where everything is refused)."""
        self.day_index = min(self.day_index + steps, len(DATES) - 1)

    @rule(
        cell=st.sampled_from(CELLS),
        workplace=st.sampled_from(("W", "WC", "W2")),
        exempt=st.booleans(),
    )
    def onboard(self, cell: str, workplace: str, exempt: bool) -> None:
        """The usual path, each step checked: register, refer, receive at commune and cell."""
        day = self.day
        card = f"8{len(self.done):03d}{self.day_index:04d}"
        registration = self.registration(
            WORKPLACE_CLERKS[workplace], day, workplace, card, "Đảng viên mới", date(1990, 5, 5)
        )
        member_id = self.run("register_member", registration)
        if member_id is None:
            assert day > TODAY
            return
        self.members.append(member_id)
        referral = self.referral(WORKPLACE_CLERKS[workplace], day, member_id, CELL_COMMUNE[cell])
        liaison_id = self.run("refer", referral)
        assert liaison_id is not None
        self.liaisons.append(liaison_id)
        at_commune = self.by_side(
            "commune", None, liaison_id, day, cmd.ReceiveAtCommune, cell_id=cell
        )
        self.run("receive_at_commune", at_commune)
        self.run("receive_at_cell", self.by_side("cell", None, liaison_id, day, cmd.ReceiveAtCell))
        assert self.office.stage(liaison_id) is Stage.ATTENDING
        if exempt:
            exemption = self.by_side(
                "workplace", None, liaison_id, day, cmd.ExemptFromActivities, reason="travelling"
            )
            self.run("exempt_from_activities", exemption)
            assert self.office.state_of(liaison_id).is_exempt_from_activities

    @rule(
        card=st.sampled_from(CARDS),
        workplace=st.sampled_from(WORKPLACES),
        who=actors,
        on=dates,
    )
    def register(self, card: str, workplace: str, who: Actor | None, on: date | None) -> None:
        by, day = self.workplace_actor(who, workplace), self.on(on)
        registration = self.registration(by, day, workplace, card, "Đảng viên", date(1980, 1, 1))
        member_id = self.run("register_member", registration)
        if member_id is not None:
            assert member_id not in self.members
            self.members.append(member_id)

    @precondition(lambda self: self.members)
    @rule(
        index=picks,
        commune=st.sampled_from(COMMUNES),
        who=actors,
        on=dates,
        predecessor=st.one_of(st.none(), picks),
    )
    def refer(
        self,
        index: int,
        commune: str,
        who: Actor | None,
        on: date | None,
        predecessor: int | None,
    ) -> None:
        member_id = self.pick(self.members, index)
        predecessor_id = (
            self.liaison(predecessor) if predecessor is not None and self.liaisons else None
        )
        workplace = self.office.member(member_id).workplace_unit_id
        by = self.workplace_actor(who, workplace)
        referral = self.referral(by, self.on(on), member_id, commune, predecessor_id)
        liaison_id = self.run("refer", referral)
        if liaison_id is not None:
            self.liaisons.append(liaison_id)
            assert self.office.stage(liaison_id) is Stage.REFERRED
            if predecessor_id is not None:
                assert self.office.state_of(predecessor_id).successor_id == liaison_id
                assert self.office.state_of(liaison_id).predecessor_id == predecessor_id

    @precondition(lambda self: self.liaisons)
    @rule(index=picks, cell=st.sampled_from(CELLS), who=actors, on=dates)
    def receive_at_commune(self, index: int, cell: str, who: Actor | None, on: date | None) -> None:
        liaison_id = self.liaison(index)
        command = self.by_side(
            "commune", who, liaison_id, self.on(on), cmd.ReceiveAtCommune, cell_id=cell
        )
        if self.run("receive_at_commune", command) is not None:
            assert self.office.stage(liaison_id) is Stage.RECEIVED_BY_COMMUNE

    @precondition(lambda self: self.liaisons)
    @rule(index=picks, who=actors, on=dates)
    def receive_at_cell(self, index: int, who: Actor | None, on: date | None) -> None:
        liaison_id = self.liaison(index)
        before = self.office.state_of(liaison_id)
        command = self.by_side("cell", who, liaison_id, self.on(on), cmd.ReceiveAtCell)
        self.run("receive_at_cell", command)
        after = self.office.state_of(liaison_id)
        if after.version != before.version:
            assert before.stage is Stage.RECEIVED_BY_COMMUNE
            assert after.stage is Stage.ATTENDING
            assert after.cycle_year == command.effective_date.year

    @precondition(lambda self: self.liaisons)
    @rule(
        index=picks,
        others=st.lists(picks, max_size=3),
        kinds=st.lists(st.sampled_from(list(Attendance)), min_size=4, max_size=4),
        give_reason=st.booleans(),
        who=actors,
        on=dates,
        others_present=st.booleans(),
        ad_hoc=st.booleans(),
    )
    def record_meeting(
        self,
        index: int,
        others: list[int],
        kinds: list[Attendance],
        give_reason: bool,
        who: Actor | None,
        on: date | None,
        others_present: bool,
        ad_hoc: bool,
    ) -> None:
        first = self.liaison(index)
        cell = self.office.state_of(first).cell_id or "C1"
        entries = tuple(
            AttendanceEntry(
                liaison_id=self.liaison(i),
                attendance=kinds[n],
                absence_reason="bận" if give_reason else None,
            )
            for n, i in enumerate([index, *others])
        )
        listed = {e.liaison_id for e in entries}
        before = {i: len(self.office.state_of(i).meetings) for i in listed}
        meeting_id = self.run(
            "record_meeting",
            cmd.RecordMeeting(
                **stamp(who or SECRETARIES.get(cell, SEC_C1), self.on(on)),
                cell_id=cell,
                attendance=entries,
                others_present=others_present,
                ad_hoc=ad_hoc,
            ),
        )
        if meeting_id is None:
            for liaison_id, n in before.items():
                assert len(self.office.state_of(liaison_id).meetings) == n
            return
        assert len(listed) == len(entries)
        for entry in entries:
            state = self.office.state_of(entry.liaison_id)
            assert len(state.meetings) == before[entry.liaison_id] + 1
            assert state.meetings[-1].meeting_id == meeting_id
            assert state.meetings[-1].attendance is entry.attendance
            assert not state.is_exempt_from_activities
        if not ad_hoc:  # a regular meeting accounted for every member its cell expected
            for liaison_id in self.liaisons:
                if self.expected_at(liaison_id, cell, self.on(on)):
                    held = self.office.state_of(liaison_id).meetings
                    assert meeting_id in [m.meeting_id for m in held]

    def expected_at(self, liaison_id: UUID, cell: str, day: date) -> bool:
        """Was the member received by the cell, not closed and not exempt on that day?"""
        try:
            state = self.office.state_of(liaison_id, as_of_date=day)
        except Refused:
            return False
        return (
            state.cell_id == cell
            and state.cell_received_on is not None
            and state.closed_reason is None
            and not state.is_exempt_from_activities
        )

    @precondition(lambda self: self.liaisons)
    @rule(
        index=picks,
        year=st.one_of(st.none(), st.sampled_from(YEARS)),
        grade=st.one_of(st.none(), st.sampled_from(GRADES)),
        front=st.sampled_from(("Trần Thị B", "Trần Thị B", None)),
        who=actors,
        on=dates,
    )
    def assess(
        self,
        index: int,
        year: int | None,
        grade: str | None,
        front: str | None,
        who: Actor | None,
        on: date | None,
    ) -> None:
        liaison_id = self.liaison(index)
        day = self.on(on)
        scale = REGULATION_76 if day < REGULATION_213.effective_from else REGULATION_213
        year = year or self.office.state_of(liaison_id).cycle_year or day.year
        grade = grade or scale.grades[0].code
        command = self.by_side(
            "cell", who, liaison_id, day, cmd.Assess,
            year=year, grade=grade, front_committee_representative=front,
        )  # fmt: skip
        if self.run("assess", command) is None:
            return
        record = self.office.state_of(liaison_id).assessment(year)
        assert record is not None
        assert grade in {g.code for g in scale.grades}
        assert record.regulation == scale.regulation
        assert front or not scale.front_committee_joins

    @precondition(lambda self: self.liaisons)
    @rule(index=picks)
    def year_end(self, index: int) -> None:
        """The usual year end on the current date: assess, confirm, report back (each checked)."""
        liaison_id = self.liaison(index)
        state = self.office.state_of(liaison_id)
        day = self.day
        scale = REGULATION_76 if day < REGULATION_213.effective_from else REGULATION_213
        year = state.cycle_year or day.year
        steps: list[tuple[str, cmd.Command]] = [
            (
                "assess",
                self.by_side(
                    "cell",
                    None,
                    liaison_id,
                    day,
                    cmd.Assess,
                    year=year,
                    grade=scale.grades[-1].code,
                    front_committee_representative="Trần Thị B",
                ),
            ),
            (
                "confirm_assessment",
                self.by_side("commune", None, liaison_id, day, cmd.ConfirmAssessment, year=year),
            ),
            (
                "report_back",
                self.by_side("commune", None, liaison_id, day, cmd.ReportBack, year=year),
            ),
        ]
        for method, command in steps:
            self.run(method, command)
        after = self.office.state_of(liaison_id)
        record = after.assessment(year)
        if after.stage is not Stage.CLOSED and after.cycle_year == year and record is not None:
            assert after.stage is (Stage.REPORTED_BACK if record.reported_on else Stage.ASSESSED)

    def by_side(
        self,
        side: str,
        who: Actor | None,
        liaison_id: UUID,
        day: date,
        model: Callable[..., cmd.Command],
        comment: str | None = None,
        **fields: Any,
    ) -> cmd.Command:
        """A command of `model` on the liaison, by `who` or else the actor of its `side`."""
        by = self.side_actor(who, liaison_id, side)
        return model(**stamp(by, day, comment), liaison_id=liaison_id, **fields)

    @precondition(lambda self: self.liaisons)
    @rule(index=picks, year=st.one_of(st.none(), st.sampled_from(YEARS)), who=actors, on=dates)
    def confirm(self, index: int, year: int | None, who: Actor | None, on: date | None) -> None:
        liaison_id, day = self.liaison(index), self.on(on)
        year = self.assessed_year(liaison_id, year)
        self.run(
            "confirm_assessment",
            self.by_side("commune", who, liaison_id, day, cmd.ConfirmAssessment, year=year),
        )

    def assessed_year(self, liaison_id: UUID, year: int | None) -> int:
        state = self.office.state_of(liaison_id)
        if year is not None or not state.assessments:
            return year or 2026
        return state.assessments[-1].year

    @precondition(lambda self: self.liaisons)
    @rule(index=picks, year=st.one_of(st.none(), st.sampled_from(YEARS)), who=actors, on=dates)
    def report_back(self, index: int, year: int | None, who: Actor | None, on: date | None) -> None:
        liaison_id, day = self.liaison(index), self.on(on)
        year = self.assessed_year(liaison_id, year)
        self.run(
            "report_back", self.by_side("commune", who, liaison_id, day, cmd.ReportBack, year=year)
        )

    @precondition(lambda self: self.liaisons)
    @rule(
        index=picks,
        year=st.one_of(st.none(), st.sampled_from(YEARS)),
        who=st.sampled_from((SUPERVISOR, SUPERVISOR, ADMIN, CLERK_W)),
        on=dates,
    )
    def open_cycle(self, index: int, year: int | None, who: Actor, on: date | None) -> None:
        day = self.on(on)
        self.run(
            "open_cycle",
            cmd.OpenCycle(**stamp(who, day), liaison_id=self.liaison(index), year=year or day.year),
        )

    @precondition(lambda self: self.liaisons)
    @rule(index=picks, purpose=st.sampled_from(list(cmd.RequestPurpose)), who=actors, on=dates)
    def request(
        self, index: int, purpose: cmd.RequestPurpose, who: Actor | None, on: date | None
    ) -> None:
        liaison_id = self.liaison(index)
        request_id = self.run(
            "request_assessment",
            self.by_side(
                "workplace", who, liaison_id, self.on(on), cmd.RequestAssessment, purpose=purpose
            ),
        )
        if request_id is not None:
            self.requests.append((liaison_id, request_id))

    @precondition(lambda self: self.requests)
    @rule(
        index=picks,
        grade=st.one_of(st.none(), st.sampled_from(GRADES)),
        who=actors,
        on=dates,
    )
    def provide(self, index: int, grade: str | None, who: Actor | None, on: date | None) -> None:
        liaison_id, request_id = self.pick(self.requests, index)
        day = self.on(on)
        self.run(
            "provide_assessment",
            self.by_side(
                "cell",
                who,
                liaison_id,
                day,
                cmd.ProvideAssessment,
                request_id=request_id,
                grade=grade,
            ),
        )

    @precondition(lambda self: self.liaisons)
    @rule(index=picks, reason=st.sampled_from(ACTIVITY_REASONS), who=actors, on=dates)
    def exempt(self, index: int, reason: str, who: Actor | None, on: date | None) -> None:
        liaison_id = self.liaison(index)
        command = self.by_side(
            "workplace", who, liaison_id, self.on(on), cmd.ExemptFromActivities, reason=reason
        )
        self.run("exempt_from_activities", command)

    @precondition(lambda self: self.liaisons)
    @rule(index=picks, who=actors, on=dates)
    def lift(self, index: int, who: Actor | None, on: date | None) -> None:
        liaison_id = self.liaison(index)
        command = self.by_side(
            "workplace", who, liaison_id, self.on(on), cmd.LiftActivitiesExemption
        )
        self.run("lift_activities_exemption", command)

    @precondition(lambda self: self.members)
    @rule(index=picks, reason=st.sampled_from(INTRO_REASONS), who=actors, on=dates)
    def exempt_introduction(
        self, index: int, reason: str, who: Actor | None, on: date | None
    ) -> None:
        member_id = self.pick(self.members, index)
        workplace = self.office.member(member_id).workplace_unit_id
        self.run(
            "exempt_from_introduction",
            cmd.ExemptFromIntroduction(
                **stamp(self.workplace_actor(who, workplace), self.on(on)),
                member_id=member_id,
                reason=reason,
            ),
        )

    @precondition(lambda self: self.members)
    @rule(index=picks, who=actors, on=dates)
    def lift_introduction(self, index: int, who: Actor | None, on: date | None) -> None:
        member_id = self.pick(self.members, index)
        workplace = self.office.member(member_id).workplace_unit_id
        self.run(
            "lift_introduction_exemption",
            cmd.LiftIntroductionExemption(
                **stamp(self.workplace_actor(who, workplace), self.on(on)), member_id=member_id
            ),
        )

    @precondition(lambda self: self.liaisons)
    @rule(
        index=picks,
        kind=st.sampled_from(("commendation", "discipline")),
        comment=maybe_comment,
        who=actors,
        on=dates,
    )
    def propose(
        self, index: int, kind: str, comment: str | None, who: Actor | None, on: date | None
    ) -> None:
        liaison_id = self.liaison(index)
        day = self.on(on)
        self.run(
            "propose", self.by_side("cell", who, liaison_id, day, cmd.Propose, comment, kind=kind)
        )

    @precondition(lambda self: self.liaisons)
    @rule(
        index=picks,
        reason=st.sampled_from(list(ClosingReason)),
        successor=st.one_of(st.none(), st.sampled_from(COMMUNES)),
        who=st.one_of(st.none(), st.just(CLERK_W2), actors),
        on=dates,
    )
    def close(
        self,
        index: int,
        reason: ClosingReason,
        successor: str | None,
        who: Actor | None,
        on: date | None,
    ) -> None:
        liaison_id = self.liaison(index)
        referral = cmd.Referral(residence_commune_id=successor) if successor else None
        command = self.by_side(
            "workplace", who, liaison_id, self.on(on), cmd.Close, reason=reason, successor=referral
        )
        result = self.run("close_liaison", command)
        if self.refused:
            return
        state = self.office.state_of(liaison_id)
        assert state.stage is Stage.CLOSED
        assert state.closed_reason is reason
        assert state.successor_id == result
        if result is not None:
            self.liaisons.append(result)
            assert self.office.stage(result) is Stage.REFERRED

    @precondition(lambda self: self.done)
    @rule(index=picks)
    def resend(self, index: int) -> None:
        """The same command id and content: the first result, and nothing written."""
        method, command, result = self.pick(self.done, index)
        before = event_count(self.office)
        assert outcome_of(method, self.office.execute(command)) == result
        assert event_count(self.office) == before

    @precondition(lambda self: self.done)
    @rule(index=picks, comment=st.text(min_size=1, max_size=5).filter(str.strip))
    def reuse_id(self, index: int, comment: str) -> None:
        """The same command id with other content is a Duplicate that writes only its audit."""
        _, command, _ = self.pick(self.done, index)
        if (command.comment or "") == comment.strip():
            comment = comment + "!"
        other = command.model_copy(update={"comment": comment.strip()})
        before = event_count(self.office)
        try:
            self.office.execute(other)
        except Duplicate as error:
            check_refusal(error)
        else:
            raise AssertionError("a reused command id was accepted")
        self.count = event_count(self.office)
        assert self.count - before in (0, 1)  # audited once per command id

    # Invariants.

    @invariant()
    def liaisons_are_consistent(self) -> None:
        for liaison_id in self.liaisons:
            state = self.office.state_of(liaison_id)
            assert state.stage in set(Stage)
            assert state == self.office.liaison(liaison_id).state
            assert state.version == len(self.office.history(liaison_id))
            assert state.cycle_year is None or state.cell_received_on is not None
            if state.stage is not Stage.CLOSED:
                assert self.office.member(state.member_id).open_liaison_id == liaison_id
            if state.successor_id is not None:
                successor = self.office.state_of(state.successor_id)
                assert successor.member_id == state.member_id
                assert successor.predecessor_id == liaison_id
                assert state.closed_reason in {
                    ClosingReason.MOVED_RESIDENCE,
                    ClosingReason.TRANSFERRED_WORKPLACE,
                }
            for record in state.meetings:
                assert state.cell_received_on is not None
                assert record.held_on >= state.cell_received_on
            assert len({m.meeting_id for m in state.meetings}) == len(state.meetings)
            assert len({a.year for a in state.assessments}) == len(state.assessments)

    @invariant()
    def members_have_at_most_one_open_liaison(self) -> None:
        for member_id in self.members:
            member = self.office.member(member_id)
            open_ones = [i for i in member.liaison_ids if self.office.stage(i) is not Stage.CLOSED]
            assert open_ones == ([member.open_liaison_id] if member.open_liaison_id else [])
            if member.exempt_from_introduction is not None:
                assert member.open_liaison_id is None

    @invariant()
    def exemptions_are_respected(self) -> None:
        for liaison_id in self.liaisons:
            for on in CHECK_ON:
                try:
                    state = self.office.state_of(liaison_id, as_of_date=on)
                except UnknownMember:
                    continue  # not referred yet on that date
                policy = self.office.policy(on, state.residence_commune_id)
                deadlines = open_deadlines(state, policy, on)
                kinds = {d.kind for d in deadlines}
                annual = [d for d in deadlines if d.kind is DeadlineKind.ANNUAL_ASSESSMENT]
                assert annual_assessment_deadline(state, policy, on) == (annual or [None])[0]
                if state.is_exempt_from_activities or state.stage is Stage.CLOSED:
                    assert not kinds & {DeadlineKind.MEETING, DeadlineKind.ANNUAL_ASSESSMENT}
                if state.stage is Stage.CLOSED:
                    assert kinds <= {DeadlineKind.REREFERRAL, DeadlineKind.CLOSING_SLIP}


LiaisonMachine.TestCase.settings = settings(
    max_examples=100,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestLiaisonMachine = LiaisonMachine.TestCase
