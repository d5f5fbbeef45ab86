"""The verifier's sentences in Vietnamese and English (its own: it needs no catalogue)."""

from __future__ import annotations

from typing import Any

WORDS: dict[str, dict[str, str]] = {
    "vi": {
        "not_evidence": "Tệp không theo định dạng {format}.",
        "digest": "Nội dung tệp chứng cứ đã bị thay đổi sau khi xuất (mã băm không khớp).",
        "signature": "Mốc niêm phong không được ký bằng khóa công khai đã cho.",
        "other_file": "Mốc niêm phong được ký cho một tệp chứng cứ khác.",
        "other_head": "Tệp chứng cứ không ở đúng vị trí niêm phong {position} của mốc đã ký.",
        "unreadable": "Không đọc được tệp hoặc khóa: {why}",
        "intact": "Tệp chứng cứ còn nguyên vẹn, cố định tại vị trí niêm phong {position}.",
        "vouched": "Mốc niêm phong ký lúc {published} xác nhận tệp này.",
    },
    "en": {
        "not_evidence": "Not a {format} file.",
        "digest": "The evidence file was changed after it was exported (its digest differs).",
        "signature": "The checkpoint is not signed by the public key given.",
        "other_file": "The checkpoint was signed for another evidence file.",
        "other_head": "The evidence file is not at the signed checkpoint's seal position"
        " {position}.",
        "unreadable": "A file or the key cannot be read: {why}",
        "intact": "The evidence file is intact, fixed at seal position {position}.",
        "vouched": "The checkpoint signed at {published} vouches for it.",
    },
}


def say(language: str, code: str, **params: Any) -> str:
    """The sentence for `code` in the language (Vietnamese when the language is not known)."""
    return WORDS.get(language, WORDS["vi"])[code].format(**params)
