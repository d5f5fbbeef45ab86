"""The import template's columns in Vietnamese and English, and the words allowed in them.

These are the file format, not the board's wording: a file written from either language's
template is read whatever the catalogues say, so its headings and words are kept here as data.
"""

from __future__ import annotations

from domain.errors import Language
from domain.messages import Localised
from domain.policy import REGULATIONS
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

KINDS = {
    "meeting": ("Sinh hoạt", "Meeting"),
    "assessment": ("Đánh giá", "Assessment"),
    "exemption": ("Miễn sinh hoạt", "Exemption from activities"),
    "lift_exemption": ("Thôi miễn sinh hoạt", "Exemption lifted"),
    "move": ("Chuyển đi", "Move"),
    "close": ("Kết thúc", "Close"),
}
ATTENDANCE = {
    "present": ("Có mặt", "Present"),
    "absent_with_reason": ("Vắng có lý do", "Absent with reason"),
    "absent_without_reason": ("Vắng không lý do", "Absent without reason"),
    "relative_sent": ("Người nhà dự thay", "Relative sent"),
}
EXEMPTIONS = {
    "introduction": ("Miễn giới thiệu", "Introduction"),
    "activities": ("Miễn sinh hoạt", "Activities"),
}
RESIDENCE_KINDS = {"permanent": ("Thường trú", "Permanent"), "temporary": ("Tạm trú", "Temporary")}
GRADES = {g.code: (g.vi, g.en) for policy in REGULATIONS for g in policy.grades}
EXEMPTION_REASONS = {
    r.code: (r.vi, r.en)
    for policy in REGULATIONS
    for r in (*policy.introduction_exemptions, *policy.activities_exemptions)
}
CLOSING_REASONS = {
    "transferred_workplace": ("Chuyển nơi công tác", "Transferred workplace"),
    "moved_residence": ("Chuyển nơi cư trú", "Moved residence"),
    "retired": ("Nghỉ hưu", "Retired"),
    "expelled": ("Khai trừ", "Expelled"),
    "removed_from_rolls": ("Xóa tên", "Removed from the rolls"),
    "died": ("Từ trần", "Died"),
}


def in_language(words: tuple[str, str], language: Language) -> str:
    """The word of a (Vietnamese, English) pair in the language."""
    return dict(zip(("vi", "en"), words, strict=True))[language]


def heading(table: str, key: str, language: Language) -> str:
    """The column's heading in the language."""
    return in_language(TABLES[table][key][:2], language)


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
    """Folded word (code, Vietnamese or English label) → code."""
    out: dict[str, str] = {}
    for code, (vi, en) in words.items():
        for name in (code, vi, en):
            out[fold(name)] = code
    return out
