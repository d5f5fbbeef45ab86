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
        self.audited = False
        """Set once the refusal is in the audit trail, so that no surface records it twice."""

    @property
    def audit_code(self) -> str:
        """The reason the audit trail keeps (the caller may be told less, see `HiddenRecord`)."""
        return self.code

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


RECORDS: dict[str, tuple[str, str]] = {
    "member": ("member", "đảng viên"),
    "liaison": ("liaison", "quan hệ sinh hoạt nơi cư trú"),
    "escalation": ("escalation", "cảnh báo"),
    "request": ("request", "yêu cầu nhận xét"),
    "meeting": ("meeting", "cuộc họp"),
}


def no_such(what: str) -> UnknownMember:
    """The answer for a record that does not exist, worded as for one outside the caller's scope."""
    en, vi = RECORDS[what]
    return UnknownMember(
        f"No such {en} within your scope.", f"Không tìm thấy {vi} này trong phạm vi của bạn."
    )


class HiddenRecord(UnknownMember):
    """A record outside the caller's subtree: answered exactly as an unknown one, audited as scope.

    Telling "not yours" from "does not exist" would let anyone test whether a party card is
    registered, or where a member of another district works."""

    def __init__(self, what: str) -> None:
        unknown = no_such(what)
        super().__init__(unknown.en, unknown.vi)

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


class Conflict(Refused):
    """Somebody else changed the same record at the same moment; nothing was written, retry."""

    code = "conflict"
