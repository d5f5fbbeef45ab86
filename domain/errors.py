"""Named refusals: every refused command raises one of these, in Vietnamese and English."""

from __future__ import annotations

from typing import ClassVar, Literal

Language = Literal["vi", "en"]


class Refused(Exception):
    """Base of every refusal; carries a stable code and the message in both languages."""

    code: ClassVar[str] = "refused"

    def __init__(self, en: str, vi: str) -> None:
        super().__init__(en)
        self.en = en
        self.vi = vi

    def message(self, language: Language = "vi") -> str:
        """The refusal in the caller's language."""
        return self.vi if language == "vi" else self.en


class WrongState(Refused):
    """The liaison is not in a state where this command makes sense."""

    code = "wrong_state"


class OutOfScope(Refused):
    """The actor's role or organisation does not cover this command."""

    code = "out_of_scope"


class UnknownMember(Refused):
    """No member, liaison, meeting or request with that id."""

    code = "unknown_member"


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


class Conflict(Refused):
    """Somebody else changed the same record at the same moment; nothing was written, retry."""

    code = "conflict"
