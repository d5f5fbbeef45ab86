"""What a command made: the ids a caller needs next, as its receipt keeps them."""

from __future__ import annotations

from uuid import UUID

from pydantic import BaseModel, ConfigDict

from domain.messages import Count, Message


class Outcome(BaseModel):
    """The ids a command created or touched (each only where the command has one)."""

    model_config = ConfigDict(frozen=True)

    member_id: UUID | None = None
    liaison_id: UUID | None = None
    meeting_id: UUID | None = None
    request_id: UUID | None = None
    successor_id: UUID | None = None
    escalation_id: UUID | None = None
    unit_id: str | None = None
    resolved: bool = False
    member_name: str | None = None
    """The member the command was about, to say whom it recorded."""
    present: int | None = None
    """Of a meeting: how many members were present."""
    listed: int | None = None
    """Of a meeting: how many members its attendance list accounts for."""
    username: str | None = None
    """Of an account's change: whose account."""
    password: str | None = None
    """Of an account opened or reset: its one-time password, shown once and never kept."""

    def receipt(self) -> dict[str, str]:
        """The outcome as a command receipt stores it (text values, nothing empty)."""
        kept = self.model_dump(mode="json", exclude_defaults=True, exclude={"password"})
        return {k: "yes" if v is True else str(v) for k, v in kept.items()}

    @classmethod
    def from_receipt(cls, result: dict[str, str]) -> Outcome:
        """The outcome a stored receipt recorded (older receipts stored "" for "none")."""
        values = {k: v for k, v in result.items() if v and k in cls.model_fields}
        return cls.model_validate({**values, "resolved": bool(result.get("resolved"))})


def said(done: str, outcome: Outcome) -> Message:
    """What a person is told of a recorded command: its message (`Use.done`), naming the member
    it was about, or a meeting's count of those present."""
    reason = Message(done)
    if outcome.password:
        return Message(
            "{name}: {reason} One-time password: {value} (shown once; to change at the first"
            " sign-in).",
            name=outcome.username or "",
            reason=reason,
            value=outcome.password,
        )
    if outcome.username:
        return Message("{name}: {reason}", name=outcome.username, reason=reason)
    if outcome.listed is not None:
        return Message(
            "{reason} Present: {present} of {listed}.",
            reason=reason,
            present=Count(outcome.present or 0),
            listed=Count(outcome.listed),
        )
    if outcome.member_name:
        return Message("{member}: {reason}", member=outcome.member_name, reason=reason)
    return reason
