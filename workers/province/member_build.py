"""One member's history built in memory by the aggregates' own methods, as the office would."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import partial
from typing import Any
from uuid import UUID

from eventsourcing.domain import BaseAggregate

from domain import commands as cmd
from domain.commands import derived_id
from domain.errors import Malformed
from domain.liaison import Liaison
from domain.meeting import AttendanceEntry, Meeting
from domain.member import Member
from domain.messages import Label
from domain.organisation import WORKPLACE_KINDS, UnitKind
from domain.roles import Action
from domain.state import Attendance, ClosingReason, Stage
from workers.province.builder import Blame, Context, MeetingNote, at, register, step_id
from workers.province.records import HISTORY, MEMBERS, Fact, MemberRecord, RowError, Where

MEMBER_KEYS = ("residence_commune", "referred_on", "residence_cell")
MOVE_KEYS = ("new_commune", "date", "new_cell")
_ORDER = {"exemption": 0, "lift_exemption": 1, "meeting": 2, "assessment": 3, "move": 4, "close": 5}


@dataclass
class Built:
    """A member's aggregates with their new events pending, and the meetings they attended."""

    member_id: UUID
    aggregates: list[BaseAggregate[UUID]]
    notes: list[MeetingNote] = field(default_factory=list)


class MemberBuild:
    """Replays one member's record through the domain; any refusal names the row and column."""

    def __init__(self, ctx: Context, record: MemberRecord) -> None:
        self.ctx, self.rec = ctx, record
        self.card = record.party_card_number
        self.liaisons: list[Liaison] = []
        self.notes: list[MeetingNote] = []

    def w(self, column: str, value: object, table: str = MEMBERS, row: int | None = None) -> Where:
        return Where(
            table, self.rec.row if row is None else row, column, "" if value is None else str(value)
        )

    def run(self) -> Built:
        """Register, exempt or refer, receive, then every fact in date order."""
        rec = self.rec
        self.member = self._register()
        if rec.exemption == "introduction":
            day = rec.exempt_on or self.member_day
            with at(self.w("exemption_reason", rec.exemption_reason)):
                policy = self.ctx.policy(day, self.member.workplace_unit_id)
                stamp = self.ctx.stamp(
                    step_id(self.ctx.steps, self.card, "exempt-introduction"), day, policy
                )
                self.member.exempt_from_introduction(stamp, rec.exemption_reason or "", policy)
        facts = list(rec.facts)
        if rec.exemption == "activities":
            exempt_on = rec.exempt_on or rec.cell_received_on or rec.referred_on
            if exempt_on is None:
                raise RowError(self.w("exempt_on", None), "An exemption needs its date.")
            facts.append(Fact(rec.row, "exemption", exempt_on, reason=rec.exemption_reason))
        if rec.referred_on is not None:
            command_id = step_id(self.ctx.steps, self.card, "refer:0")
            liaison_id = derived_id(command_id, "liaison")
            self._refer(
                rec.referred_on,
                rec.commune_id,
                None,
                rec.residence_kind,
                (command_id, liaison_id),
                self.w,
                MEMBER_KEYS,
            )
            self._receive(
                rec.cell_id, rec.commune_received_on, rec.cell_received_on, self.w, MEMBER_KEYS
            )
        elif facts:
            raise RowError(
                self.w("referred_on", None),
                "History needs a referral date.",
            )
        for fact in sorted(facts, key=lambda f: (f.day, _ORDER.get(f.kind, 9), f.row)):
            self._fact(fact)
        return Built(self.member.id, [self.member, *self.liaisons], self.notes)

    def _register(self) -> Member:
        rec = self.rec
        self.member_day = rec.registered_on or rec.first_day() or self.ctx.today
        return register(self.ctx, rec, self.member_day)

    @property
    def current(self) -> Liaison:
        if not self.liaisons:
            raise Malformed("The member has not been referred.")
        return self.liaisons[-1]

    def _refer(
        self,
        day: date,
        commune_id: str | None,
        workplace_id: str | None,
        kind: str,
        ids: tuple[UUID, UUID],
        w: Any,
        keys: tuple[str, ...],
    ) -> None:
        """Refer to the residence commune under `ids` (command, liaison), as the office does."""
        with at(w(keys[0], commune_id), {"future_date": w(keys[1], day)}):
            if not commune_id:
                raise Malformed("The residence commune is missing.")
            workplace = self.ctx.tree.in_force(workplace_id or self.member.workplace_unit_id, day)
            self.ctx.require_kind(
                workplace.id, workplace.kind in WORKPLACE_KINDS, "{unit} is not a workplace unit."
            )
            commune = self.ctx.tree.in_force(commune_id, day)
            self.ctx.require_kind(
                commune.id,
                commune.kind is UnitKind.COMMUNE_COMMITTEE,
                "{unit} is not a commune/ward committee.",
            )
            self.ctx.authorise(Action.REFER, workplace.id, residence=commune.id)
            command_id, liaison_id = ids
            stamp = self.ctx.stamp(command_id, day, self.ctx.policy(day, workplace.id))
            self.member.open_liaison(stamp, liaison_id, workplace.id)
            referral = cmd.Referral.model_validate(
                {"residence_commune_id": commune.id, "residence_kind": kind}
            )
            self.liaisons.append(
                Liaison.refer(
                    liaison_id,
                    stamp,
                    member_id=self.member.id,
                    member_name=self.member.name,
                    workplace_unit_id=workplace.id,
                    residence_commune_id=referral.residence_commune_id,
                    residence_kind=referral.residence_kind,
                )
            )

    def _on(self, action: Action, side: str, step: str | UUID, day: date) -> Any:
        """Authorise a step on the current liaison and give its stamp and policy."""
        state = self.current.state
        units = {
            "workplace": (state.workplace_unit_id,),
            "commune": (state.residence_commune_id,),
            "cell": (state.cell_id or state.residence_commune_id,),
            "any": (state.workplace_unit_id, state.residence_commune_id),
        }[side]
        self.ctx.authorise(action, *units, residence=state.residence_commune_id)
        policy = self.ctx.policy(day, state.residence_commune_id)
        if isinstance(step, str):
            step = step_id(self.ctx.steps, self.card, f"{step}:{len(self.liaisons) - 1}")
        return self.ctx.stamp(step, day, policy), policy

    def _receive(
        self,
        cell_id: str | None,
        commune_on: date | None,
        cell_on: date | None,
        w: Any,
        keys: tuple[str, ...],
    ) -> None:
        if commune_on is None:
            return
        dates = (
            ("commune_received_on", "cell_received_on")
            if keys is MEMBER_KEYS
            else ("new_commune_received_on", "new_cell_received_on")
        )
        with at(w(keys[2], cell_id), {"future_date": w(dates[0], commune_on)}):
            if not cell_id:
                raise Malformed("A receipt needs the residence cell.")
            stamp, _ = self._on(Action.RECEIVE_AT_COMMUNE, "commune", "commune", commune_on)
            self.current.receive_at_commune(stamp, cell_id, self.ctx.tree)
        day = cell_on or commune_on
        with at(w(dates[1], day)):
            stamp, _ = self._on(Action.RECEIVE_AT_CELL, "cell", "cell", day)
            self.current.receive_at_cell(stamp)

    def _open_cycles(self, year: int) -> None:
        state = self.current.state
        if state.cycle_year is not None and year <= state.cycle_year:
            return  # open already (most steps): no stage to work out
        if state.stage in (Stage.REFERRED, Stage.RECEIVED_BY_COMMUNE, Stage.CLOSED):
            return  # the step itself will be refused with the liaison's own reason
        assert state.cycle_year is not None
        for y in range(state.cycle_year + 1, year + 1):
            stamp, _ = self._on(Action.OPEN_CYCLE, "any", f"cycle:{y}", date(y, 1, 1))
            self.current.open_cycle(stamp, y)

    def _fact(self, f: Fact) -> None:
        def w(column: str, value: object) -> Blame:  # named only if the step is refused
            return partial(self.w, column, f.typed.get(column, value), HISTORY, f.row)

        with at(
            w("date", f.day),
            {"grade_not_in_scale": w("grade", f.grade), "duplicate": w("kind", f.kind)},
        ):
            getattr(self, f"_{f.kind}")(f, w)

    def _meeting(self, f: Fact, w: Any) -> None:
        self._open_cycles(f.day.year)
        state = self.current.state
        cell = self.ctx.cell_in_force(f.cell_id or state.cell_id or "", f.day)
        command_id, meeting_id = self.ctx.meeting_ids(cell, f.day)
        stamp, _ = self._on(Action.RECORD_MEETING, "cell", command_id, f.day)
        entry = AttendanceEntry.model_construct(
            liaison_id=self.current.id,
            attendance=Attendance(f.attendance or "present"),
            absence_reason=f.reason,
        )
        if entry.attendance is Attendance.ABSENT_WITH_REASON:
            Meeting.hold(meeting_id, stamp, cell, False, (entry,))  # the meeting's own list rule
        self.current.record_attendance(stamp, meeting_id, cell, entry.attendance, self.ctx.tree)
        self.notes.append(MeetingNote(meeting_id, command_id, cell, f.day, entry))

    def _assessment(self, f: Fact, w: Any) -> None:
        year = f.year or f.day.year
        self._open_cycles(min(year, f.day.year))
        stamp, policy = self._on(Action.ASSESS, "cell", f"assess:{year}", f.day)
        with at(
            w("grade", f.grade),
            {
                "malformed": w("front_representative", f.front_representative),
                "out_of_order": w("date", f.day),
                "outside_window": w("date", f.day),
            },
        ):
            self.current.assess(
                stamp, year, f.grade or "", policy, f.front_representative, f.reason
            )
        if f.confirmed_on is not None:
            with at(w("confirmed_on", f.confirmed_on)):
                stamp, _ = self._on(
                    Action.CONFIRM_ASSESSMENT, "commune", f"confirm:{year}", f.confirmed_on
                )
                self.current.confirm_assessment(stamp, year)
        if f.reported_on is not None:
            with at(w("reported_on", f.reported_on)):
                stamp, _ = self._on(Action.REPORT_BACK, "commune", f"report:{year}", f.reported_on)
                self.current.report_back(stamp, year)

    def _exemption(self, f: Fact, w: Any) -> None:
        stamp, policy = self._on(
            Action.EXEMPT_FROM_ACTIVITIES, "workplace", f"exempt:{f.day}", f.day
        )
        with at(w("reason", f.reason)):
            self.current.exempt_from_activities(stamp, f.reason or "", policy)

    def _lift_exemption(self, f: Fact, w: Any) -> None:
        stamp, _ = self._on(Action.EXEMPT_FROM_ACTIVITIES, "workplace", f"lift:{f.day}", f.day)
        self.current.lift_activities_exemption(stamp)

    def _close(self, f: Fact, w: Any) -> None:
        self._end(f, w, f.reason)

    def _move(self, f: Fact, w: Any) -> None:
        self._end(f, w, f.reason or ClosingReason.MOVED_RESIDENCE.value)

    def _end(self, f: Fact, w: Any, reason_code: str | None) -> None:
        liaison = self.current
        stamp, _ = self._on(Action.CLOSE, "workplace", f"close:{f.day}", f.day)
        with at(w("reason", reason_code)):
            try:
                reason = ClosingReason(reason_code or "")
            except ValueError:
                raise Malformed(
                    "The closing reason “{value}” is not one of: {choices}.",
                    value=reason_code or "",
                    choices=tuple(Label("closing_reason", r.value) for r in ClosingReason),
                ) from None
            successor = derived_id(stamp.command_id, "successor") if f.commune_id else None
            liaison.close(stamp, reason, successor)
            self.member.end_liaison(stamp, liaison.id)
        if successor is not None:
            # The office refers at once, under the closing command, with the successor's id.
            self._refer(
                f.day,
                f.commune_id,
                f.workplace_unit_id,
                "permanent",
                (stamp.command_id, successor),
                w,
                MOVE_KEYS,
            )
            self._receive(f.cell_id, f.commune_received_on, f.cell_received_on, w, MOVE_KEYS)
