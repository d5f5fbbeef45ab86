"""What every command on a liaison checks first: still open, received by the cell, not exempt."""

from __future__ import annotations

from typing import Unpack
from uuid import UUID

from eventsourcing.domain import BaseAggregate

from domain.errors import WrongState
from domain.messages import Message, Params
from domain.ordering import require_after
from domain.roles import Action
from domain.stamp import Stamp
from domain.state import LiaisonState, Stage

RECEIVED_STAGES = frozenset({Stage.ATTENDING, Stage.ASSESSED, Stage.REPORTED_BACK})


def wrong_state(state: LiaisonState, why: str, /, **params: Unpack[Params]) -> WrongState:
    """The refusal of a command the liaison's stage does not allow, naming member and stage."""
    return WrongState(
        "{reason} (the liaison of {member} is at the stage “{stage}”).",
        reason=Message(why, **params),
        member=state.member_name,
        stage=state.stage,
    )


class LiaisonGuards(BaseAggregate[UUID]):
    """The liaison's state and the guards its commands share (`Liaison` is the aggregate)."""

    state: LiaisonState

    def _open(self, stamp: Stamp, action: Action) -> LiaisonState:
        state = self.state
        if state.stage is Stage.CLOSED:
            raise wrong_state(state, "The liaison is closed")
        require_after(action, stamp.effective_date, Action.REFER, state.referred_on)
        return state

    def _received(self, stamp: Stamp, action: Action) -> LiaisonState:
        state = self._open(stamp, action)
        if state.stage not in RECEIVED_STAGES:
            raise wrong_state(state, "The cell has not received the member yet")
        require_after(action, stamp.effective_date, Action.RECEIVE_AT_CELL, state.cell_received_on)
        return state

    def _active(self, stamp: Stamp, action: Action) -> LiaisonState:
        state = self._received(stamp, action)
        if state.is_exempt_from_activities:
            raise wrong_state(state, "The member is exempt from activities")
        return state
