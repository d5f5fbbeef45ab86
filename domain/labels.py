"""Labels for people: events, stages and roles in Vietnamese and English."""

from __future__ import annotations

from domain.errors import Language

EVENTS: dict[str, tuple[str, str]] = {
    "Referred": ("Giới thiệu về nơi cư trú", "Referred to residence"),
    "ReceivedByCommune": ("Đảng ủy xã/phường tiếp nhận", "Received by the commune"),
    "ReceivedByCell": ("Chi bộ tiếp nhận", "Received by the cell"),
    "MeetingAttendanceRecorded": ("Ghi nhận sinh hoạt", "Meeting attendance recorded"),
    "Assessed": ("Nhận xét, đánh giá", "Assessed"),
    "AssessmentConfirmed": ("Xã/phường xác nhận đánh giá", "Assessment confirmed"),
    "ReportedBack": ("Thông báo kết quả về nơi công tác", "Reported back"),
    "CycleOpened": ("Mở chu kỳ năm mới", "Annual cycle opened"),
    "AssessmentRequested": ("Đề nghị nhận xét", "Assessment requested"),
    "AssessmentProvided": ("Trả lời đề nghị nhận xét", "Assessment provided"),
    "ExemptedFromActivities": ("Miễn sinh hoạt", "Exempted from activities"),
    "ActivitiesExemptionLifted": ("Thôi miễn sinh hoạt", "Exemption from activities lifted"),
    "CommendationProposed": ("Đề nghị khen thưởng", "Commendation proposed"),
    "DisciplineProposed": ("Đề nghị kỷ luật", "Discipline proposed"),
    "Closed": ("Kết thúc quan hệ", "Closed"),
    "SuccessorReferred": ("Đã giới thiệu nơi mới", "Successor referral made"),
}

STAGES: dict[str, tuple[str, str]] = {
    "referred": ("Đã giới thiệu", "Referred"),
    "received_by_commune": ("Xã/phường đã tiếp nhận", "Received by commune"),
    "attending": ("Đang sinh hoạt", "Attending"),
    "assessed": ("Đã đánh giá", "Assessed"),
    "reported_back": ("Đã thông báo kết quả", "Reported back"),
    "closed": ("Đã kết thúc", "Closed"),
}


def label(table: dict[str, tuple[str, str]], key: str, language: Language) -> str:
    """The label of a key in the language, or the key itself when it has none."""
    vi, en = table.get(key, (key, key))
    return vi if language == "vi" else en
