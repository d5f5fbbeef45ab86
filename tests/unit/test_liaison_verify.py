"""The standalone verifier on an evidence file exported by Liaison and the checkpoint signed for
it (tests/unit/evidence/, made by tests/integration/test_seal_evidence.py): no database here."""

from __future__ import annotations

import ast
import json
import sys
from pathlib import Path

import pytest

import liaison_verify
from liaison_verify.__main__ import main

HERE = Path(__file__).parent / "evidence"
EVIDENCE, CHECKPOINT = HERE / "evidence.json", HERE / "checkpoint.json"
KEY = (HERE / "seal.pub").read_text().strip()


def run(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str]:
    code = main([str(a) for a in args])
    return code, capsys.readouterr().out


def test_the_exported_file_and_its_checkpoint_verify(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LIAISON_LANG", "vi")
    code, out = run(capsys, EVIDENCE, "--checkpoint", CHECKPOINT, "--key", KEY)
    assert code == 0, out
    assert "Tệp chứng cứ còn nguyên vẹn, cố định tại vị trí niêm phong 38." in out


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda e, c: e["audit"].pop(), "changed after it was exported"),
        (lambda e, c: e.update(digest="0" * 64), "changed after it was exported"),
        (lambda e, c: c.update(position=37), "not signed by the public key given"),
        (lambda e, c: c.update(key="11" * 32), "not signed by the public key given"),
    ],
)
def test_any_change_to_the_file_or_the_checkpoint_fails(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    change: object,
    expected: str,
) -> None:
    monkeypatch.setenv("LIAISON_LANG", "en")
    evidence, checkpoint = json.loads(EVIDENCE.read_text()), json.loads(CHECKPOINT.read_text())
    change(evidence, checkpoint)  # type: ignore[operator]
    (tmp_path / "e.json").write_text(json.dumps(evidence))
    (tmp_path / "c.json").write_text(json.dumps(checkpoint))
    code, out = run(capsys, tmp_path / "e.json", "--checkpoint", tmp_path / "c.json", "--key", KEY)
    assert code == 1
    assert expected in out


def test_a_checkpoint_signed_for_another_file_fails(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("LIAISON_LANG", "en")
    from liaison_verify.evidence import with_digest

    evidence = json.loads(EVIDENCE.read_text())
    evidence["unit_id"] = "another"
    (tmp_path / "e.json").write_text(json.dumps(with_digest(evidence)))
    code, out = run(capsys, tmp_path / "e.json", "--checkpoint", CHECKPOINT, "--key", KEY)
    assert code == 1
    assert "signed for another evidence file" in out


def test_the_verifier_needs_only_the_standard_library_and_cryptography() -> None:
    allowed = {"cryptography", "liaison_verify", "__future__"}
    for path in Path(liaison_verify.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = (
                [a.name for a in node.names] if isinstance(node, ast.Import)
                else [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            )  # fmt: skip
            for name in names:
                top = name.split(".")[0]
                assert top in allowed or top in sys.stdlib_module_names, (path.name, name)
