"""Typesetting a document (Typst, its own embedded fonts only) and reading its code back.

Each PDF carries a verification code: the kind and parameters it was printed from, the seal's
position and link it is fixed to, and the digest of its facts. The code is printed as a QR code
(segno, as SVG) and kept in the PDF's keywords, where `liaison verify --document` reads it.
"""

from __future__ import annotations

import base64
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import segno
import typst

from liaison_verify.checkpoint import canonical, digest

TEMPLATES = Path(__file__).parent / "templates"
FORMAT = "liaison-document/1"
KEYWORD = "liaison-document"


class NotADocument(ValueError):
    """A file that is not a PDF this project printed (or whose code cannot be read)."""


@dataclass(frozen=True)
class Code:
    """The verification code: what was printed, from which record, fixed to which seal head."""

    kind: str
    params: dict[str, str]
    position: int
    link: str
    digest: str
    format: str = FORMAT

    def as_dict(self) -> dict[str, Any]:
        """The code as JSON-ready values."""
        return {
            "format": self.format,
            "kind": self.kind,
            "params": self.params,
            "position": self.position,
            "link": self.link,
            "digest": self.digest,
        }

    def text(self) -> str:
        """The code as canonical JSON (what the QR code holds)."""
        return canonical(self.as_dict()).decode()

    def keyword(self) -> str:
        """The code as one word for the PDF's keywords (base64url: no comma, no space)."""
        return base64.urlsafe_b64encode(canonical(self.as_dict())).decode()

    @classmethod
    def parse(cls, text: str) -> Code:
        """A code from its canonical JSON; refuse anything else."""
        try:
            data = json.loads(text)
            if data.get("format") != FORMAT:
                raise ValueError(data.get("format"))
            return cls(
                kind=str(data["kind"]),
                params={str(k): str(v) for k, v in dict(data["params"]).items()},
                position=int(data["position"]),
                link=str(data["link"]),
                digest=str(data["digest"]),
            )
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise NotADocument(f"not a {FORMAT} code: {error}") from None


def facts_digest(facts: dict[str, Any]) -> str:
    """The digest of a document's facts (sha256 of their canonical JSON)."""
    return digest(facts)


def qr_svg(text: str) -> str:
    """The QR code of a text, as SVG (medium error correction: it survives a stamp's smudge)."""
    out = io.BytesIO()
    segno.make(text, error="m", micro=False).save(out, kind="svg", border=1, xmldecl=False)
    return out.getvalue().decode()


def typeset(kind: str, view: dict[str, Any], code: Code, fmt: str = "pdf") -> bytes:
    """The document of that kind laid out from its view (A4; "png" gives the first page)."""
    inputs = {
        "doc": json.dumps(view, ensure_ascii=False),
        "qr": qr_svg(code.text()),
        "code": code.keyword(),
    }
    out: bytes | list[bytes] = typst.compile(
        str(TEMPLATES / f"{kind}.typ"),
        root=str(TEMPLATES),
        format="png" if fmt == "png" else "pdf",
        ppi=110 if fmt == "png" else None,
        sys_inputs=inputs,
        ignore_system_fonts=True,  # the fonts typst carries: the same page on every machine
    )
    return out[0] if isinstance(out, list) else out  # a picture of each page: the first


def code_of(pdf: bytes) -> Code:
    """The verification code kept in a printed PDF's keywords."""
    import pypdf  # here: only checking a file reads PDFs, and the `liaison` command starts faster

    try:
        metadata = pypdf.PdfReader(io.BytesIO(pdf)).metadata
        keywords = str(metadata.get("/Keywords", "")) if metadata is not None else ""
    except (pypdf.errors.PdfReadError, ValueError, OSError) as error:
        raise NotADocument(f"not a PDF: {error}") from None
    for word in keywords.replace(",", " ").split():
        if word == KEYWORD:
            continue
        try:
            text = base64.urlsafe_b64decode(word.encode()).decode()
        except ValueError:
            continue
        return Code.parse(text)
    raise NotADocument(f"no {FORMAT} code in the file")


def text_of(pdf: bytes) -> str:
    """Every page's text, in order (what a reader copies out of the PDF)."""
    import pypdf

    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() or "" for page in reader.pages)
