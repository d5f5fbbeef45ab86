"""Translation at the edge: the caller's language and the gettext catalogues (vi and en).

Catalogues are the `.po` files under `api/locale/<language>/LC_MESSAGES/`, one per domain
(`labels`: every enum value a person sees, by context; the others: words and messages), read and
compiled in memory at first use with Babel. Message ids are English; labels are keys with a
context (`pgettext("role", "workplace_clerk")`), so the English catalogue carries their words too.
"""

from __future__ import annotations

import functools
from datetime import date
from io import BytesIO
from pathlib import Path

from babel import dates
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from starlette.requests import HTTPConnection

from domain.errors import Language

LANGUAGES: tuple[Language, ...] = ("vi", "en")
LOCALE_DIR = Path(__file__).parent / "locale"


def catalogue_files(language: Language) -> list[Path]:
    """The `.po` files of a language, one per message domain."""
    return sorted((LOCALE_DIR / language / "LC_MESSAGES").glob("*.po"))


@functools.cache
def translations(language: Language) -> Translations:
    """Every catalogue of the language, compiled once and merged into one set of translations."""
    merged = Translations()
    for path in catalogue_files(language):
        with path.open("rb") as po:
            catalog = read_po(po, locale=language, domain=path.stem)
        compiled = BytesIO()
        write_mo(compiled, catalog)
        compiled.seek(0)
        merged.merge(Translations(compiled, domain=path.stem))
    return merged


def gettext(message: str, language: Language) -> str:
    """The message in the language (the English message id when it has no translation)."""
    return translations(language).gettext(message)


def label(context: str, key: str, language: Language) -> str:
    """The label of an enum value (`context` names the enum: role, stage, grade…)."""
    return str(translations(language).pgettext(context, key))


DATE_PATTERNS: dict[Language, str] = {"vi": "dd/MM/yyyy", "en": "d MMM yyyy"}
"""How people write a date: 02/12/2026 in Vietnamese, 2 Dec 2026 in English (Babel's CLDR)."""


def format_date(day: date | None, language: Language) -> str:
    """A date as people of the language write it ("" for none)."""
    return "" if day is None else dates.format_date(day, DATE_PATTERNS[language], locale=language)


def language_of(request: HTTPConnection) -> Language:
    """The `lang` cookie, else (API only) the first of vi/en in Accept-Language, else the default.

    Pages ignore Accept-Language: browsers send en-US by default, and the board is Vietnamese
    unless its user switches.
    """
    cookie = request.cookies.get("lang")
    if cookie in LANGUAGES:
        return "en" if cookie == "en" else "vi"
    api = request.url.path.startswith("/api/")
    header = request.headers.get("accept-language", "") if api else ""
    for part in header.split(","):
        tag = part.split(";")[0].strip().lower()[:2]
        if tag in LANGUAGES:
            return "en" if tag == "en" else "vi"
    config = getattr(request.app.state, "config", None)
    return "en" if getattr(config, "language", "vi") == "en" else "vi"


WORDS: dict[str, tuple[str, str]] = {
    "app": ("Liên lạc nơi cư trú", "Residence liaison"),
    "home": ("Tổng quan", "Dashboard"),
    "sign_in": ("Đăng nhập", "Sign in"),
    "sign_out": ("Đăng xuất", "Sign out"),
    "username": ("Tên đăng nhập", "User name"),
    "password": ("Mật khẩu", "Password"),
    "new_password": ("Mật khẩu mới (ít nhất 10 ký tự)", "New password (at least 10 characters)"),
    "change_password": ("Đổi mật khẩu", "Change password"),
    "current_password": ("Mật khẩu hiện tại", "Current password"),
    "wrong_current_password": ("Mật khẩu hiện tại không đúng.", "The current password is wrong."),
    "same_password": (
        "Mật khẩu mới phải khác mật khẩu hiện tại.",
        "The new password must differ from the current one.",
    ),
    "one_time_password": (
        "Bạn đang dùng mật khẩu dùng một lần: hãy đổi mật khẩu trước khi tiếp tục.",
        "You signed in with a one-time password: change it before going on.",
    ),
    "body_too_large": (
        "Nội dung gửi lên quá lớn (tối đa {limit}).",
        "The request body is too large (at most {limit}).",
    ),
    "bad_login": ("Sai tên đăng nhập hoặc mật khẩu.", "Wrong user name or password."),
    "too_many": (
        "Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau ít phút.",
        "Too many failed sign-ins. Please try again in a few minutes.",
    ),
    "refer": ("Giới thiệu sinh hoạt", "Refer a member"),
    "receive": ("Tiếp nhận", "Receive referrals"),
    "meeting": ("Ghi biên bản sinh hoạt", "Record a meeting"),
    "assess": ("Nhận xét, đánh giá", "Assess members"),
    "report": ("Thông báo kết quả", "Report back"),
    "requests": ("Đề nghị nhận xét", "On-demand requests"),
    "inspect": ("Kiểm tra", "Inspection"),
    "escalations": ("Cảnh báo", "Escalations"),
    "notifications": ("Thông báo", "Notifications"),
    "member": ("Đảng viên", "Member"),
    "unit": ("Đơn vị", "Unit"),
    "year": ("Năm", "Year"),
    "date": ("Ngày", "Date"),
    "as_of": ("Tính đến ngày", "As of"),
    "recorded_by": ("Theo dữ liệu ghi đến", "As recorded by"),
    "compare": ("So sánh với ngày", "Compare with"),
    "show": ("Xem", "Show"),
    "save": ("Ghi nhận", "Save"),
    "saved": ("Đã ghi nhận.", "Saved."),
    "previous": ("Cùng kỳ năm trước", "Same time last year"),
    "this_year": ("Năm nay", "This year"),
    "figure": ("Chỉ tiêu", "Figure"),
    "stage": ("Giai đoạn", "Stage"),
    "grade": ("Xếp loại", "Grade"),
    "attendance": ("Tham dự", "Attendance"),
    "reason": ("Lý do", "Reason"),
    "comment": ("Ghi chú", "Comment"),
    "effective_date": ("Ngày hiệu lực", "Effective date"),
    "none": ("Không có.", "None."),
    "regulation": ("Quy định đang áp dụng", "Regulation in force"),
    "timeline": ("Quá trình", "Timeline"),
    "who": ("Người thực hiện", "Who"),
    "list": ("Danh sách", "List"),
    "name": ("Họ và tên", "Name"),
    "party_card": ("Số thẻ đảng viên", "Party card number"),
    "residence_commune": ("Đảng ủy xã/phường nơi cư trú", "Residence commune/ward committee"),
    "residence_kind": ("Loại cư trú", "Residence"),
    "permanent": ("Thường trú", "Permanent"),
    "temporary": ("Tạm trú từ 1 năm", "Temporary (a year or more)"),
    "cell": ("Chi bộ", "Cell"),
    "purpose": ("Mục đích", "Purpose"),
    "front_rep": ("Đại diện Ban công tác Mặt trận", "Front work committee representative"),
    "evidence": ("Tải hồ sơ chứng cứ (JSON)", "Download the evidence (JSON)"),
    "seal": ("Niêm phong dữ liệu", "Seal"),
    "difference": ("Chênh lệch", "Difference"),
    "deadlines": ("Hạn đang chờ", "Open deadlines"),
    "overdue": ("Quá hạn", "Overdue"),
    "not_yet": (
        "Mô hình dữ liệu đọc cho trang này chưa có; chưa hiển thị số liệu.",
        "The read model for this page does not exist yet; no figures are shown.",
    ),
    "projected": (
        "Số liệu từ các bảng tổng hợp, cập nhật theo sổ sự kiện.",
        "Figures from the read models, which follow the event log.",
    ),
    "language": ("English", "Tiếng Việt"),
    "read_only": ("Chỉ xem: vai trò này không được ghi.", "Read only: this role may not record."),
    "skip_link": ("Bỏ qua, đến nội dung chính", "Skip to main content"),
}


def word(key: str, language: Language) -> str:
    """The board's word for `key` in the language (the key itself when missing)."""
    vi, en = WORDS.get(key, (key, key))
    return vi if language == "vi" else en


METRICS: dict[str, tuple[str, str]] = {
    "in_scope": ("Đảng viên đang liên hệ nơi cư trú", "Members in liaison"),
    "referred": ("Giới thiệu trong năm", "Referred this year"),
    "received_commune": ("Đảng ủy xã/phường tiếp nhận trong năm", "Received by communes this year"),
    "received": ("Chi bộ tiếp nhận trong năm", "Received by cells this year"),
    "awaiting_receipt": ("Đang chờ tiếp nhận", "Awaiting receipt"),
    "exempt_introduction": ("Miễn giới thiệu", "Exempt from introduction"),
    "exempt_activities": ("Miễn sinh hoạt", "Exempt from activities"),
    "assessments_due": ("Phải nhận xét, đánh giá trong năm", "Assessments due this year"),
    "assessed": ("Đã nhận xét, đánh giá", "Assessed"),
    "not_assessed": ("Chưa được đánh giá", "Not yet assessed"),
    "overdue": ("Quá hạn nhận xét, đánh giá", "Assessments overdue"),
    "reported": ("Đã thông báo kết quả về nơi công tác", "Reported back to the workplace"),
    "requests_open": ("Yêu cầu nhận xét đang chờ", "On-demand requests open"),
    "requests_overdue": ("Yêu cầu nhận xét quá hạn", "On-demand requests overdue"),
    "escalations_open": ("Cảnh báo đang mở", "Open escalations"),
}

ROLES: dict[str, tuple[str, str]] = {
    "workplace_clerk": ("Văn phòng cấp ủy nơi công tác", "Workplace committee clerk"),
    "commune_clerk": ("Văn phòng đảng ủy xã/phường", "Commune/ward committee clerk"),
    "cell_secretary": ("Bí thư chi bộ nơi cư trú", "Residence cell secretary"),
    "committee_member": ("Cấp ủy viên", "Committee member"),
    "supervisor": ("Cấp ủy cấp trên", "Superior committee"),
    "inspector": ("Ủy ban kiểm tra", "Inspector"),
    "administrator": ("Quản trị", "Administrator"),
}

ATTENDANCE: dict[str, tuple[str, str]] = {
    "present": ("Có mặt", "Present"),
    "absent_with_reason": ("Vắng có lý do", "Absent with reason"),
    "absent_without_reason": ("Vắng không lý do", "Absent without reason"),
    "relative_sent": (
        "Cử người nhà đi thay (không tính là dự)",
        "Sent a relative (not attendance)",
    ),
}
