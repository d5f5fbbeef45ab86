"""The import template's columns in Vietnamese and English, and the words allowed in them."""

from __future__ import annotations

from collections.abc import Iterable

from api.i18n import LANGUAGES, label
from domain.messages import Localised
from domain.policy import REGULATIONS
from domain.state import Attendance, ClosingReason
from domain.text import fold
from workers.province.records import HISTORY, MEMBERS

# key: (Vietnamese heading, English heading, required)
MEMBER_COLUMNS: dict[str, tuple[str, str, bool]] = {
    "name": ("Họ và tên", "Name", True),
    "birth_date": ("Ngày sinh", "Birth date", True),
    "party_card_number": ("Số thẻ đảng viên", "Party card number", True),
    "citizen_id": ("Số CCCD", "Citizen ID", False),
    "workplace_unit": ("Mã đơn vị công tác", "Workplace unit", True),
    "registered_on": ("Ngày đăng ký", "Registered on", False),
    "residence_commune": ("Mã đảng ủy xã/phường cư trú", "Residence commune", False),
    "residence_cell": ("Mã chi bộ nơi cư trú", "Residence cell", False),
    "residence_kind": ("Loại cư trú", "Residence kind", False),
    "referred_on": ("Ngày giới thiệu", "Referral date", False),
    "commune_received_on": ("Ngày xã/phường tiếp nhận", "Commune receipt date", False),
    "cell_received_on": ("Ngày chi bộ tiếp nhận", "Cell receipt date", False),
    "exemption": ("Miễn", "Exemption", False),
    "exemption_reason": ("Lý do miễn", "Exemption reason", False),
    "exempt_on": ("Ngày miễn", "Exemption date", False),
}
HISTORY_COLUMNS: dict[str, tuple[str, str, bool]] = {
    "party_card_number": ("Số thẻ đảng viên", "Party card number", True),
    "kind": ("Loại", "Kind", True),
    "date": ("Ngày", "Date", True),
    "year": ("Năm", "Year", False),
    "grade": ("Xếp loại", "Grade", False),
    "attendance": ("Tham dự", "Attendance", False),
    "front_representative": ("Đại diện Mặt trận", "Front representative", False),
    "confirmed_on": ("Ngày xác nhận", "Confirmed on", False),
    "reported_on": ("Ngày báo cáo về nơi công tác", "Reported back on", False),
    "reason": ("Lý do", "Reason", False),
    "new_commune": ("Xã/phường mới", "New commune", False),
    "new_cell": ("Chi bộ mới", "New cell", False),
    "new_workplace": ("Đơn vị công tác mới", "New workplace", False),
    "new_commune_received_on": ("Ngày xã/phường mới tiếp nhận", "New commune receipt date", False),
    "new_cell_received_on": ("Ngày chi bộ mới tiếp nhận", "New cell receipt date", False),
}
TABLES = {MEMBERS: MEMBER_COLUMNS, HISTORY: HISTORY_COLUMNS}
SHEETS = {MEMBERS: ("Đảng viên", "Members"), HISTORY: ("Lịch sử", "History")}


class Words(dict[str, tuple[str, str]]):
    """Each code and its (Vietnamese, English) words, plus older spellings files may carry."""

    def __init__(
        self, words: dict[str, tuple[str, str]], older: dict[str, tuple[str, ...]]
    ) -> None:
        super().__init__(words)
        self.older = older


def labelled(
    context: str, codes: Iterable[str], older: dict[str, tuple[str, ...]] | None = None
) -> Words:
    """Each code with its catalogue labels (vi, en), and the older spellings still read."""
    vi, en = LANGUAGES
    return Words(
        {code: (label(context, code, vi), label(context, code, en)) for code in codes}, older or {}
    )


KINDS = labelled(
    "history_kind", ("meeting", "assessment", "exemption", "lift_exemption", "move", "close")
)
ATTENDANCE = labelled(
    "attendance",
    [a.value for a in Attendance],
    {"relative_sent": ("Người nhà dự thay", "Relative sent")},
)
EXEMPTIONS = labelled("exemption_kind", ("introduction", "activities"))
RESIDENCE_KINDS = labelled(
    "residence_kind", ("permanent", "temporary"), {"temporary": ("Tạm trú", "Temporary")}
)
GRADES = labelled("grade", dict.fromkeys(g.code for policy in REGULATIONS for g in policy.grades))
EXEMPTION_REASONS = labelled(
    "exemption",
    dict.fromkeys(
        r.code
        for policy in REGULATIONS
        for r in (*policy.introduction_exemptions, *policy.activities_exemptions)
    ),
)
CLOSING_REASONS = labelled("closing_reason", [r.value for r in ClosingReason])


def heading(table: str, key: str, language: str) -> str:
    """The column's heading in the language (headings are the file's data, kept per language)."""
    vi, en, _ = TABLES[table][key]
    return {"vi": vi, "en": en}[language]


def headings(table: str, key: str) -> Localised:
    """The column's heading in both languages, for a message that names it."""
    vi, en, _ = TABLES[table][key]
    return Localised(vi, en)


def sheet(table: str) -> Localised:
    """The table's sheet name in both languages, for a message that names it."""
    return Localised(*SHEETS[table])


def header_map(table: str) -> dict[str, str]:
    """Folded heading (either language, or the key itself) → column key."""
    out: dict[str, str] = {}
    for key, (vi, en, _) in TABLES[table].items():
        for name in (key, vi, en):
            out[fold(name)] = key
    return out


def vocabulary(words: dict[str, tuple[str, str]]) -> dict[str, str]:
    """Folded word (code, a label in either language, an older spelling) → code."""
    out: dict[str, str] = {}
    older = words.older if isinstance(words, Words) else {}
    for code, names in words.items():
        for name in (code, *names, *older.get(code, ())):
            out[fold(name)] = code
    return out
