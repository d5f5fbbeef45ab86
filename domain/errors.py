"""Named refusals: every refused command raises one of these, its message translated at the edge."""

from __future__ import annotations

from typing import ClassVar, Literal, Self, Unpack

from domain.messages import Message, Params, gettext_noop

Language = Literal["vi", "en"]


class Refused(Exception):
    """Base of every refusal: a stable code, and a message (an English template and parameters).

    `Refused("The {year} cycle is already open.", year=year)`; the edge shows it in the reader's
    language (`api.messages`); `en` is the English text, for logs."""

    code: ClassVar[str] = "refused"

    def __init__(self, template: str, /, **params: Unpack[Params]) -> None:
        self.message = Message(template, **params)
        super().__init__(self.message.en)
        self.audited = False
        """Set once the refusal is in the audit trail, so that no surface records it twice."""

    @classmethod
    def saying(cls, message: Message) -> Self:
        """The refusal with a message already built (a validation error explained, say)."""
        refusal = cls(message.template)
        refusal.message = message
        refusal.args = (message.en,)
        return refusal

    @property
    def en(self) -> str:
        """The refusal in English, for logs."""
        return self.message.en

    @property
    def audit_code(self) -> str:
        """The reason the audit trail keeps (the caller may be told less, see `HiddenRecord`)."""
        return self.code


class WrongState(Refused):
    """The liaison is not in a state where this command makes sense."""

    code = "wrong_state"


class OutOfScope(Refused):
    """The actor's role or organisation does not cover this command."""

    code = "out_of_scope"


class UnknownMember(Refused):
    """No member, liaison, meeting or request with that id."""

    code = "unknown_member"


NO_SUCH: dict[str, str] = {
    "member": gettext_noop("No such member within your scope."),
    "liaison": gettext_noop("No such liaison within your scope."),
    "escalation": gettext_noop("No such escalation within your scope."),
    "request": gettext_noop("No such assessment request within your scope."),
    "meeting": gettext_noop("No such meeting within your scope."),
}
"""The answer for each kind of record that does not exist (or is another subtree's)."""


def no_such(what: str) -> UnknownMember:
    """The answer for a record that does not exist, worded as for one outside the caller's scope."""
    return UnknownMember(NO_SUCH[what])


class HiddenRecord(UnknownMember):
    """A record outside the caller's subtree: answered exactly as an unknown one, audited as scope.

    Telling "not yours" from "does not exist" would let anyone test whether a party card is
    registered, or where a member of another district works."""

    def __init__(self, what: str) -> None:
        super().__init__(NO_SUCH[what])

    @property
    def audit_code(self) -> str:
        """The real reason, for the audit trail."""
        return OutOfScope.code


class UnknownUnit(Refused):
    """No organisation unit with that id in force on the date in question."""

    code = "unknown_unit"


class FutureDate(Refused):
    """The business date lies after today."""

    code = "future_date"


class GradeNotInScale(Refused):
    """The grade is not on the scale of the regulation in force."""

    code = "grade_not_in_scale"


class Duplicate(Refused):
    """The same thing was already recorded, or a command id was reused for another command."""

    code = "duplicate"


class Malformed(Refused):
    """The command is incomplete or self-contradictory."""

    code = "malformed"
    field: str | None = None
    """The input field at fault, when one is (its key, as the caller sent it)."""


class OutOfOrder(Malformed):
    """A step dated before the step of the same liaison that it depends on."""

    code = "out_of_order"


class OutsideWindow(Malformed):
    """An annual assessment dated outside the regulation's window, without a reason for it."""

    code = "outside_window"


class Conflict(Refused):
    """Somebody else changed the same record at the same moment; nothing was written, retry."""

    code = "conflict"
