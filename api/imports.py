"""Imports from the board: an uploaded file runs as a background job whose progress a page shows.

The importer itself is a port: the composition root (`workers/web.py`) passes the province
importer in, so the board never imports `workers/`. Jobs live in the web process's memory; an
import interrupted by a restart is simply run again (a re-run records nothing twice).
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from domain.errors import Language
from domain.roles import Actor

SUFFIXES = (".csv", ".xlsx")
MAX_BYTES = 64 * 1024 * 1024
"""The largest file accepted (a 100,000-member province with its history is about 30 MB)."""
KEPT_JOBS = 20


@dataclass(frozen=True)
class Words:
    """A text in both languages."""

    vi: str
    en: str

    def __call__(self, language: Language) -> str:
        """The text in the user's language."""
        return self.vi if language == "vi" else self.en


@dataclass(frozen=True)
class ImportProblem:
    """One reason a row was not imported: the sheet, row, column heading and value, and why."""

    table: Words
    row: int
    column: Words
    value: str
    reason: Words


@dataclass(frozen=True)
class ImportOutcome:
    """What an import found and did."""

    members: int
    valid: int
    events: int
    meetings: int
    problems: tuple[ImportProblem, ...]
    seconds: float
    dry_run: bool


Progress = Callable[[int, int, int], None]
"""(members done, members in the file, events so far)."""


class Importer(Protocol):
    """Validates (dry run) or imports a members file with its optional history file."""

    def __call__(
        self,
        members: Path,
        history: Path | None,
        actor: Actor,
        dry_run: bool,
        progress: Progress,
    ) -> ImportOutcome:
        """Run the import; never raises for bad rows (they are the outcome's problems)."""
        ...


@dataclass
class ImportJob:
    """One run over an uploaded file, as its page shows it."""

    job_id: str
    owner: str
    members_name: str
    history_name: str | None
    dry_run: bool
    folder: Path
    started: float = field(default_factory=time.monotonic)
    total: int = 0
    done: int = 0
    events: int = 0
    outcome: ImportOutcome | None = None
    error: str | None = None

    @property
    def finished(self) -> bool:
        """True once the run ended, with an outcome or an error."""
        return self.outcome is not None or self.error is not None

    @property
    def percent(self) -> int:
        """How far the run is, in whole percent of the file's members."""
        return 100 if self.finished else (100 * self.done // self.total if self.total else 0)

    @property
    def rate(self) -> float:
        """Events per second so far."""
        elapsed = time.monotonic() - self.started
        return self.events / elapsed if elapsed > 0 else 0.0

    @property
    def seconds_left(self) -> float | None:
        """A linear estimate of the time left, once some members are done."""
        if self.finished or not self.done or not self.total:
            return None
        elapsed = time.monotonic() - self.started
        return elapsed * (self.total - self.done) / self.done

    def files(self) -> tuple[Path, Path | None]:
        """The uploaded files as saved for the run."""
        history = self.folder / self.history_name if self.history_name else None
        return self.folder / self.members_name, history


class UploadRefused(ValueError):
    """An upload that cannot be imported at all (wrong type, empty, too large)."""

    def __init__(self, en: str, vi: str) -> None:
        super().__init__(en)
        self.en, self.vi = en, vi

    def message(self, language: Language) -> str:
        """The reason in the user's language."""
        return self.vi if language == "vi" else self.en


def safe_name(name: str, what: str) -> str:
    """The file's own name, once it is a CSV or XLSX file; refuses anything else."""
    base = Path(name.replace("\\", "/")).name
    if not base or Path(base).suffix.lower() not in SUFFIXES:
        raise UploadRefused(
            f"The {what} file must be .csv or .xlsx (got {base or 'no file'!r}).",
            f"Tệp {'đảng viên' if what == 'members' else 'lịch sử'} phải là .csv hoặc .xlsx"
            f" (nhận được {base or 'không có tệp'!r}).",
        )
    return base


class ImportJobs:
    """The web process's import jobs: start one on saved uploads, follow it, run it for real."""

    def __init__(self, importer: Importer | None, templates: Path | None = None) -> None:
        self.importer, self.templates = importer, templates
        self._jobs: dict[str, ImportJob] = {}
        self._lock = threading.Lock()

    @property
    def available(self) -> bool:
        """False when this process was built without an importer (nothing to run imports)."""
        return self.importer is not None

    def template_names(self) -> list[str]:
        """The template files boards may download (none without a templates folder)."""
        if self.templates is None or not self.templates.is_dir():
            return []
        return sorted(p.name for p in self.templates.iterdir() if p.suffix in SUFFIXES)

    def save(self, uploads: list[tuple[str, bytes]]) -> Path:
        """Keep the uploaded (name, content) pairs in a fresh folder for the runs over them."""
        folder = Path(tempfile.mkdtemp(prefix="liaison-import-"))
        for name, content in uploads:
            (folder / name).write_bytes(content)
        return folder

    def start(
        self,
        owner: str,
        actor: Actor,
        folder: Path,
        members_name: str,
        history_name: str | None,
        dry_run: bool,
    ) -> ImportJob:
        """Run the importer over the saved files in a thread; the job reports its progress."""
        importer = self.importer
        if importer is None:
            raise UploadRefused("Imports are not available here.", "Không nhập được ở đây.")
        job = ImportJob(uuid.uuid4().hex, owner, members_name, history_name, dry_run, folder)

        def progress(done: int, total: int, events: int) -> None:
            job.done, job.total, job.events = done, total, events

        def run() -> None:
            members, history = job.files()
            try:
                job.outcome = importer(members, history, actor, dry_run, progress)
            except Exception as error:  # the page shows it; nothing half-written (the importer)
                job.error = f"{type(error).__name__}: {error}"

        with self._lock:
            self._jobs[job.job_id] = job
            self._forget_old()
        threading.Thread(target=run, name=f"import-{job.job_id[:8]}", daemon=True).start()
        return job

    def get(self, job_id: str, owner: str) -> ImportJob | None:
        """The job, if it is this user's."""
        job = self._jobs.get(job_id)
        return job if job is not None and job.owner == owner else None

    def _forget_old(self) -> None:
        """Keep the newest jobs; remove the files of finished ones no other job still uses."""
        while len(self._jobs) > KEPT_JOBS:
            oldest = next((j for j in self._jobs.values() if j.finished), None)
            if oldest is None:
                return
            del self._jobs[oldest.job_id]
            if all(j.folder != oldest.folder for j in self._jobs.values()):
                shutil.rmtree(oldest.folder, ignore_errors=True)
