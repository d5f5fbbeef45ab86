"""LiaisonOffice: every use case of residence liaison, each one load, one decision, one save."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.domain import BaseAggregate

from domain import commands as cmd
from domain.application import derived_id
from domain.errors import Malformed
from domain.liaison import Liaison
from domain.meeting_office import MeetingDesk
from domain.member import Member
from domain.organisation import WORKPLACE_KINDS, UnitKind
from domain.registration import Saved
from domain.roles import Action
from domain.state import MOVES


class LiaisonOffice(MeetingDesk):
    """The residence-liaison office: commands in, events out, refusals named."""

    # The lifecycle.

    def refer(self, command: cmd.Refer) -> UUID:
        """Refer a member to the commune/ward committee of their residence."""

        def decide(today: date) -> Saved:
            member = self.member_aggregate(command.member_id)
            liaison_id = derived_id(command.command_id, "liaison")
            aggregates = self._referral(
                command, today, member, command.referral, liaison_id, command.predecessor_id
            )
            return aggregates, {"liaison_id": str(liaison_id)}

        return UUID(self._execute(command, decide)["liaison_id"])

    def _referral(
        self,
        command: cmd.Command,
        today: date,
        member: Member,
        referral: cmd.Referral,
        liaison_id: UUID,
        predecessor_id: UUID | None,
        *,
        link_predecessor: bool = True,
    ) -> list[BaseAggregate[UUID]]:
        day = command.effective_date
        # The member's workplace as stored first: naming another workplace moves the member, which
        # only someone acting for both (their common superior) may do.
        self._authorise_record(command, Action.REFER, today, "member", member.workplace_unit_id)
        workplace = self.tree().in_force(
            referral.workplace_unit_id or member.workplace_unit_id, day
        )
        self._require_kind(workplace.id, workplace.kind in WORKPLACE_KINDS, "workplace unit")
        self._authorise(command, Action.REFER, today, workplace.id)
        commune = self.tree().in_force(referral.residence_commune_id, day)
        self._require_kind(
            commune.id, commune.kind is UnitKind.COMMUNE_COMMITTEE, "commune/ward committee"
        )
        policy = self.policy(day, workplace.id)
        stamp = self._stamp(command, policy)
        aggregates: list[BaseAggregate[UUID]] = []
        if predecessor_id is not None and link_predecessor:
            predecessor = self.liaison(predecessor_id)
            if predecessor.state.member_id != member.id:
                raise Malformed(
                    "The earlier liaison belongs to another member.",
                    "Quan hệ trước thuộc về đảng viên khác.",
                )
            predecessor.link_successor(stamp, liaison_id)
            aggregates.append(predecessor)
        member.open_liaison(stamp, liaison_id, workplace.id)
        liaison = Liaison.refer(
            liaison_id,
            stamp,
            member_id=member.id,
            member_name=member.name,
            workplace_unit_id=workplace.id,
            residence_commune_id=commune.id,
            residence_kind=referral.residence_kind,
            predecessor_id=predecessor_id,
        )
        return [*aggregates, member, liaison]

    def receive_at_commune(self, command: cmd.ReceiveAtCommune) -> None:
        """The commune/ward committee receives the referral and assigns the member to a cell."""
        self._on_liaison(
            command,
            Action.RECEIVE_AT_COMMUNE,
            "commune",
            lambda liaison, stamp, _: liaison.receive_at_commune(
                stamp, command.cell_id, self.tree()
            ),
        )

    def receive_at_cell(self, command: cmd.ReceiveAtCell) -> None:
        """The residence cell receives the member and enters them in its book."""
        self._on_liaison(
            command,
            Action.RECEIVE_AT_CELL,
            "cell",
            lambda liaison, stamp, _: liaison.receive_at_cell(stamp),
        )

    def assess(self, command: cmd.Assess) -> None:
        """The cell's annual assessment of a member, on the scale of the regulation in force."""
        self._on_liaison(
            command,
            Action.ASSESS,
            "cell",
            lambda liaison, stamp, policy: liaison.assess(
                stamp, command.year, command.grade, policy, command.front_committee_representative
            ),
            # A late assessment of 2019 made in 2020 is on the scale that governed 2019.
            policy_on=min(command.effective_date, date(command.year, 12, 31)),
        )

    def confirm_assessment(self, command: cmd.ConfirmAssessment) -> None:
        """The commune/ward committee confirms the cell's assessment."""
        self._on_liaison(
            command,
            Action.CONFIRM_ASSESSMENT,
            "commune",
            lambda liaison, stamp, _: liaison.confirm_assessment(stamp, command.year),
        )

    def report_back(self, command: cmd.ReportBack) -> None:
        """Send the year's confirmed assessment back to the workplace committee."""
        self._on_liaison(
            command,
            Action.REPORT_BACK,
            "residence",
            lambda liaison, stamp, _: liaison.report_back(stamp, command.year),
        )

    def open_cycle(self, command: cmd.OpenCycle) -> None:
        """Open the next annual cycle (the workflow does this each January)."""
        self._on_liaison(
            command,
            Action.OPEN_CYCLE,
            "any",
            lambda liaison, stamp, _: liaison.open_cycle(stamp, command.year),
        )

    def request_assessment(self, command: cmd.RequestAssessment) -> UUID:
        """The workplace asks the residence for an assessment, for a purpose."""
        request_id = derived_id(command.command_id, "request")
        self._on_liaison(
            command,
            Action.REQUEST_ASSESSMENT,
            "workplace",
            lambda liaison, stamp, _: liaison.request_assessment(
                stamp, request_id, command.purpose.value
            ),
            result={"request_id": str(request_id)},
        )
        return request_id

    def provide_assessment(self, command: cmd.ProvideAssessment) -> None:
        """The residence answers an on-demand request."""
        self._on_liaison(
            command,
            Action.PROVIDE_ASSESSMENT,
            "cell",
            lambda liaison, stamp, policy: liaison.provide_assessment(
                stamp, command.request_id, command.grade, policy
            ),
        )

    def exempt_from_activities(self, command: cmd.ExemptFromActivities) -> None:
        """Exempt a referred member from residence activities (miễn sinh hoạt)."""
        self._on_liaison(
            command,
            Action.EXEMPT_FROM_ACTIVITIES,
            "workplace",
            lambda liaison, stamp, policy: liaison.exempt_from_activities(
                stamp, command.reason, policy
            ),
        )

    def lift_activities_exemption(self, command: cmd.LiftActivitiesExemption) -> None:
        """End an exemption from activities."""
        self._on_liaison(
            command,
            Action.EXEMPT_FROM_ACTIVITIES,
            "workplace",
            lambda liaison, stamp, _: liaison.lift_activities_exemption(stamp),
        )

    def propose(self, command: cmd.Propose) -> None:
        """The residence cell proposes commendation or discipline, with grounds."""
        self._on_liaison(
            command,
            Action.PROPOSE,
            "cell",
            lambda liaison, stamp, _: liaison.propose(
                stamp, discipline=command.kind == "discipline"
            ),
        )

    def close_liaison(self, command: cmd.Close) -> UUID | None:
        """End a liaison; a move may at once refer the member to their new residence."""

        def decide(today: date) -> Saved:
            liaison = self.liaison(command.liaison_id)
            state = liaison.state
            self._authorise_record(
                command,
                Action.CLOSE,
                today,
                "liaison",
                state.workplace_unit_id,
                seen_from=(state.workplace_unit_id, state.residence_commune_id, state.cell_id),
            )
            policy = self.policy(command.effective_date, state.workplace_unit_id)
            stamp = self._stamp(command, policy)
            member = self.member_aggregate(state.member_id)
            if command.successor is not None and command.reason not in MOVES:
                raise Malformed(
                    "Only a move has a successor referral.",
                    "Chỉ khi chuyển đi mới có giới thiệu tiếp theo.",
                )
            successor_id = (
                derived_id(command.command_id, "successor") if (command.successor) else None
            )
            liaison.close(stamp, command.reason, successor_id)
            member.end_liaison(stamp, liaison.id)
            aggregates: list[BaseAggregate[UUID]] = [liaison, member]
            if command.successor is not None and successor_id is not None:
                # The closed liaison names its successor in Closed; the new one names it back.
                referral = self._referral(
                    command,
                    today,
                    member,
                    command.successor,
                    successor_id,
                    liaison.id,
                    link_predecessor=False,
                )
                aggregates = [liaison, *referral]
            return aggregates, {"successor_id": str(successor_id or "")}

        successor = self._execute(command, decide)["successor_id"]
        return UUID(successor) if successor else None

    # Helpers.

    def _on_liaison(
        self,
        command: Any,
        action: Action,
        side: str,
        decide_on: Any,
        result: dict[str, str] | None = None,
        policy_on: date | None = None,
    ) -> None:
        def decide(today: date) -> Saved:
            liaison = self.liaison(command.liaison_id)
            state = liaison.state
            units = {
                "workplace": (state.workplace_unit_id,),
                "commune": (state.residence_commune_id,),
                "cell": (state.cell_id or state.residence_commune_id,),
                "residence": (state.cell_id or state.residence_commune_id,),
                "any": (state.workplace_unit_id, state.residence_commune_id),
            }[side]
            seen_from = (state.workplace_unit_id, state.residence_commune_id, state.cell_id)
            self._authorise_record(command, action, today, "liaison", *units, seen_from=seen_from)
            policy = self.policy(
                policy_on or command.effective_date,
                state.residence_commune_id,
                province_on=command.effective_date,
            )
            decide_on(liaison, self._stamp(command, policy), policy)
            return [liaison], dict(result or {})

        self._execute(command, decide)


__all__ = ["LiaisonOffice"]
