"""What every command on a liaison checks first: still open, received by the cell, not exempt."""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import BaseAggregate

from domain.errors import Malformed, WrongState
from domain.stamp import Stamp
from domain.state import LiaisonState, Stage

RECEIVED_STAGES = frozenset({Stage.ATTENDING, Stage.ASSESSED, Stage.REPORTED_BACK})


def wrong_state(state: LiaisonState, en: str, vi: str) -> WrongState:
    """The refusal of a command the liaison's stage does not allow, naming member and stage."""
    return WrongState(
        f"{en} (liaison of {state.member_name} is {state.stage.value}).",
        f"{vi} (quan hệ của {state.member_name} đang ở bước {state.stage.value}).",
    )


class LiaisonGuards(BaseAggregate[UUID]):
    """The liaison's state and the guards its commands share (`Liaison` is the aggregate)."""

    state: LiaisonState

    def _open(self, stamp: Stamp) -> LiaisonState:
        state = self.state
        if state.stage is Stage.CLOSED:
            raise wrong_state(state, "The liaison is closed", "Quan hệ đã kết thúc")
        if stamp.effective_date < state.referred_on:
            raise Malformed(
                f"{stamp.effective_date} is before the referral of {state.referred_on}.",
                f"Ngày {stamp.effective_date} trước ngày giới thiệu {state.referred_on}.",
            )
        return state

    def _received(self, stamp: Stamp) -> LiaisonState:
        state = self._open(stamp)
        if state.stage not in RECEIVED_STAGES:
            raise wrong_state(
                state, "The cell has not received the member yet", "Chi bộ chưa tiếp nhận đảng viên"
            )
        if state.cell_received_on is not None and stamp.effective_date < state.cell_received_on:
            raise Malformed(
                f"{stamp.effective_date} is before the cell received the member "
                f"({state.cell_received_on}).",
                f"Ngày {stamp.effective_date} trước ngày chi bộ tiếp nhận "
                f"({state.cell_received_on}).",
            )
        return state

    def _active(self, stamp: Stamp) -> LiaisonState:
        state = self._received(stamp)
        if state.is_exempt_from_activities:
            raise wrong_state(
                state, "The member is exempt from activities", "Đảng viên được miễn sinh hoạt"
            )
        return state
