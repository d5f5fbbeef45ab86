"""Each kind of document typeset from sample facts (no database): its text read back from the
PDF, its verification code read back from the file, and only the embedded serif font used —
every Vietnamese letter with its marks comes from it, none from a fallback."""

from __future__ import annotations

import io
from functools import cache

import pypdf
import pytest

from api.documents.pdf import Code, NotADocument, code_of, facts_digest, text_of
from api.documents.record import KINDS
from api.documents.samples import FACTS, MEMBER, sample

EXPECTED: dict[str, tuple[str, ...]] = {
    "letter": ("GIẤY GIỚI THIỆU", "Số: 07-GGT/2026", "Thành phố Hà Nội, ngày 10 tháng 01 năm 2026",
               "Kính gửi: Đảng ủy Phường Ba Đình", "19/08/1979", "01012345", "T/M ĐẢNG ỦY"),
    "assessment": ("PHIẾU NHẬN XÉT", "năm 2026", "Quy định 213-QĐ/TW", "Thực hiện tốt",
                   "Lê Thị Mận", "Đã xác nhận ngày 14/11/2026", "Tu dưỡng, rèn luyện phẩm chất",
                   "Gương mẫu, tích cực tham gia"),
    "register": ("SỔ THEO DÕI", "213 đảng viên", "Số: 48213-STD", "Miễn sinh hoạt"),
    "contact": ("SỔ LIÊN HỆ", "01/03/2026", "Vắng có lý do", "Nhận xét năm 2026", "25/01/2026"),
    "attendance": ("BIÊN BẢN SINH HOẠT CHI BỘ", "DANH SÁCH ĐIỂM DANH", "15/18 đảng viên",
                   "Đi công tác", "ngày 01 tháng 03 năm 2026", "Sinh hoạt định kỳ"),
    "statistics": ("BÁO CÁO", "năm 2026, tính đến ngày 31/12/2026", "Chi bộ Tổ dân phố số 5",
                   "Đảng viên trong phạm vi"),
    "evidence": ("CHỨNG CỨ KIỂM TRA", "5f0c5f0c", "311", "48.213"),
}  # fmt: skip


@cache
def pdf(kind: str) -> bytes:
    return sample(kind)


@pytest.mark.parametrize("kind", KINDS)
def test_each_document_reads_back_its_facts_in_vietnamese(kind: str) -> None:
    text = " ".join(text_of(pdf(kind)).split())
    for words in ("ĐẢNG CỘNG SẢN VIỆT NAM", "(Ký tên, đóng dấu)", "Mã xác thực", *EXPECTED[kind]):
        assert words in text, (kind, words)
    if kind in ("letter", "assessment", "contact"):
        assert MEMBER["name"] in text


@pytest.mark.parametrize("kind", KINDS)
def test_each_document_carries_its_code(kind: str) -> None:
    code = code_of(pdf(kind))
    assert code.kind == kind
    assert code.position == 48213
    assert code.digest == facts_digest(FACTS[kind])


@pytest.mark.parametrize("kind", KINDS)
def test_every_letter_comes_from_the_embedded_serif(kind: str) -> None:
    fonts = set()
    for page in pypdf.PdfReader(io.BytesIO(pdf(kind))).pages:
        for font in page["/Resources"]["/Font"].values():
            fonts.add(str(font.get_object()["/BaseFont"]))
    assert fonts
    assert all("Libertinus" in f for f in fonts), fonts


def test_the_register_of_213_members_runs_over_pages_with_every_name() -> None:
    reader = pypdf.PdfReader(io.BytesIO(pdf("register")))
    assert len(reader.pages) > 5
    text = " ".join(text_of(pdf("register")).split())
    last = FACTS["register"]["members"][-1]
    assert f"213 {last['name']}" in text
    assert "STT Họ và tên" in " ".join((reader.pages[-1].extract_text() or "").split())


def test_a_file_that_is_not_a_printed_document_is_refused() -> None:
    with pytest.raises(NotADocument):
        code_of(b"%PDF-1.4 not really")
    with pytest.raises(NotADocument):
        Code.parse('{"format": "liaison-evidence/1"}')
