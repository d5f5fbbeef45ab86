"""Imports from the board: each uploaded file runs as a job in a child process; a page follows it.

The importer itself is a port: the composition root (`workers/web.py`) passes the province
importer in as plain data, from which the child builds its own office, so the board never imports
`workers/` and a file never costs the web process more than its upload. A run is limited in
number (per user and in all), in time and in memory; a run stopped by a limit or a restart is
simply run again (a re-run records nothing twice). Jobs are remembered in the web process.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import resource
import shutil
import signal
import tempfile
import threading
import time
import traceback
import unicodedata
import uuid
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any, Protocol, Unpack

from api.messages import Translated
from domain.errors import Language
from domain.messages import Message, Params, gettext_noop
from domain.roles import Actor

SUFFIXES = (".csv", ".xlsx")
MAX_BYTES = 64 * 1024 * 1024
"""The largest file accepted (a 100,000-member province with its history is about 30 MB)."""
KEPT_JOBS = 20
CHILD_NICENESS = 10
"""A run's child yields the processor to the web process's requests."""
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Words:
    """A text that data gives in each language (an import file's sheet names and headings)."""

    vi: str
    en: str

    def __call__(self, language: Language) -> str:
        """The text in the user's language."""
        return str(getattr(self, language))


@dataclass(frozen=True)
class ImportProblem:
    """One reason a row was not imported: the sheet, row, column heading and value, and why."""

    table: Words
    row: int
    column: Words
    value: str
    reason: Translated


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
    """Validates (dry run) or imports a members file with its optional history file.

    Passed to a child process, so it must pickle: settings, not connections.
    """

    def screen(self, members: Path, history: Path | None) -> None:
        """Refuse (`UploadRefused`) a file not to be read at all; cheap, in the web process."""
        ...

    def __call__(self, order: ImportOrder, progress: Progress) -> ImportOutcome:
        """Run the import, in the child; never raises for bad rows (they are the problems)."""
        ...


@dataclass(frozen=True)
class ImportOrder:
    """One run to make: the saved members file, its optional history file, who asked for it,
    and whether it only checks (a dry run)."""

    members: Path
    history: Path | None
    actor: Actor
    dry_run: bool


@dataclass(frozen=True)
class ImportLimits:
    """How many runs at once, and what each may take before its child is stopped."""

    per_user: int = 2
    running: int = 4
    seconds: float = 30 * 60
    """Wall-clock time of a run (a 50,000-member province imports in about five minutes)."""
    memory_bytes: int | None = 8 * 2**30
    """Address space of the child and of its workers, each (RLIMIT_AS; None: unlimited)."""


class UploadRefused(ValueError):
    """An upload that cannot be imported at all (wrong type, empty, too large)."""

    status = 422

    def __init__(self, template: str, /, **params: Unpack[Params]) -> None:
        self.message = Message(template, **params)
        super().__init__(self.message.en)

    @classmethod
    def saying(cls, message: Message) -> UploadRefused:
        """The refusal with a message already built (a reader's problem with the file)."""
        refused = cls(message.template)
        refused.message = message
        return refused


class TooManyImports(UploadRefused):
    """The user, or the board as a whole, already runs as many imports as allowed."""

    status = 429


_NOT_A_TABLE = {
    "members": gettext_noop("The members file must be .csv or .xlsx (this one is “{name}”)."),
    "history": gettext_noop("The history file must be .csv or .xlsx (this one is “{name}”)."),
}
_BAD_NAME = {
    "members": gettext_noop(
        "The members file's name holds control characters or is too long; rename it."
    ),
    "history": gettext_noop(
        "The history file's name holds control characters or is too long; rename it."
    ),
}


def safe_name(name: str, what: str) -> str:
    """The file's own name, once it is a CSV or XLSX file; refuses anything else."""
    base = Path(name.replace("\\", "/")).name
    if not base or Path(base).suffix.lower() not in SUFFIXES:
        raise UploadRefused(_NOT_A_TABLE[what], name=base)
    # The name goes into every imported event's comment and the access trail: plain text only.
    if len(base) > 200 or any(unicodedata.category(ch)[0] in "CZ" and ch != " " for ch in base):
        raise UploadRefused(_BAD_NAME[what])
    return base


@dataclass(frozen=True)
class JobView:
    """A job as it stood at one moment: the page draws from this, never from the live job."""

    job_id: str
    members_name: str
    history_name: str | None
    dry_run: bool
    total: int
    done: int
    events: int
    elapsed: float
    outcome: ImportOutcome | None
    stopped: Translated | None

    @property
    def finished(self) -> bool:
        """True once the run ended, with an outcome or stopped."""
        return self.outcome is not None or self.stopped is not None

    @property
    def percent(self) -> int:
        """How far the run is, in whole percent of the file's members."""
        return 100 if self.finished else (100 * self.done // self.total if self.total else 0)

    @property
    def rate(self) -> float:
        """Events per second so far."""
        return self.events / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def seconds_left(self) -> float | None:
        """A linear estimate of the time left, once some members are done."""
        if self.finished or not self.done or not self.total:
            return None
        return self.elapsed * (self.total - self.done) / self.done


@dataclass
class ImportJob:
    """One run over an uploaded file; changed only under its `ImportJobs`' lock."""

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
    stopped: Translated | None = None

    @property
    def finished(self) -> bool:
        """True once the run ended, with an outcome or stopped."""
        return self.outcome is not None or self.stopped is not None

    def view(self) -> JobView:
        """The job as it stands now."""
        return JobView(
            self.job_id,
            self.members_name,
            self.history_name,
            self.dry_run,
            self.total,
            self.done,
            self.events,
            time.monotonic() - self.started,
            self.outcome,
            self.stopped,
        )

    def files(self) -> tuple[Path, Path | None]:
        """The uploaded files as saved for the run."""
        history = self.folder / self.history_name if self.history_name else None
        return self.folder / self.members_name, history


def _time_limit(seconds: float) -> Translated:
    if seconds < 120:
        return Translated(
            Message(
                "The import was stopped at its time limit ({seconds} s)", seconds=round(seconds)
            )
        )
    return Translated(
        Message(
            "The import was stopped at its time limit ({minutes} min)",
            minutes=round(seconds / 60),
        )
    )


def _memory_limit(limit: int | None) -> Translated:
    return Translated(
        Message(
            "The import was stopped at its memory limit ({gigabytes} GB)",
            gigabytes=(limit or 0) / 2**30,
        )
    )


FAILED = Translated(
    Message("The import stopped on an unexpected error (written to the server's log)")
)
SHUT_DOWN = Translated(Message("The import was stopped as the server shut down"))


class ImportJobs:
    """The web process's import jobs: start one on saved uploads, follow it, run it for real."""

    def __init__(
        self,
        importer: Importer | None,
        templates: Path | None = None,
        *,
        after_import: Callable[[], object] | None = None,
        limits: ImportLimits | None = None,
    ) -> None:
        self.importer, self.templates = importer, templates
        self.after_import = after_import
        self.limits = limits or ImportLimits()
        self._jobs: dict[str, ImportJob] = {}
        self._children: dict[str, BaseProcess] = {}
        self._lock = threading.Lock()
        # forkserver: a child is forked from a small clean server, not from the web process with
        # its threads and connections; the child builds what it needs from the importer's data.
        self._context = multiprocessing.get_context("forkserver")
        # Runs still going when the web process ends are ended with it (the children are not
        # daemons, since their own worker pools need children of their own).
        self._finalizer = weakref.finalize(self, _stop_all, self._children)

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

    def discard(self, folder: Path) -> None:
        """Remove saved uploads that no job uses (a refused start)."""
        with self._lock:
            if all(j.folder != folder for j in self._jobs.values()):
                shutil.rmtree(folder, ignore_errors=True)

    def admit(self, owner: str) -> None:
        """Refuse (`TooManyImports`) when the user or the board runs as many imports as allowed."""
        with self._lock:
            self._admit(owner)

    def _admit(self, owner: str) -> None:
        running = [j for j in self._jobs.values() if not j.finished]
        mine = sum(1 for j in running if j.owner == owner)
        if mine >= self.limits.per_user:
            raise TooManyImports(
                "You already have {running} imports running, the most at once; wait for one to"
                " finish.",
                running=mine,
            )
        if len(running) >= self.limits.running:
            raise TooManyImports(
                "The board is running {running} imports, the most at once; try again in a few"
                " minutes.",
                running=len(running),
            )

    def start(
        self,
        owner: str,
        actor: Actor,
        folder: Path,
        members_name: str,
        history_name: str | None,
        dry_run: bool,
    ) -> ImportJob:
        """Run the importer over the saved files in a child process; the job reports progress."""
        importer = self.importer
        if importer is None:
            raise UploadRefused("Imports are not available here.")
        job = ImportJob(uuid.uuid4().hex, owner, members_name, history_name, dry_run, folder)
        members, history = job.files()
        with self._lock:
            self._admit(owner)
            self._jobs[job.job_id] = job  # counts as running from now on
            self._forget_old()
        try:
            importer.screen(members, history)
            receiver, sender = self._context.Pipe(duplex=False)
            child = self._context.Process(
                target=run_child,
                args=(importer, ImportOrder(members, history, actor, dry_run), sender, self.limits),
                name=f"import-{job.job_id[:8]}",
            )
            child.start()
            sender.close()
        except BaseException:
            with self._lock:
                del self._jobs[job.job_id]
            raise
        with self._lock:
            self._children[job.job_id] = child
        watcher = threading.Thread(
            target=self._watch, args=(job, child, receiver), name=child.name, daemon=True
        )
        watcher.start()
        return job

    def _watch(self, job: ImportJob, child: BaseProcess, receiver: Connection) -> None:
        """Follow the child's reports until its outcome, its end, or its time limit."""
        deadline = job.started + self.limits.seconds
        outcome: ImportOutcome | None = None
        stopped: Translated | None = None
        try:
            while outcome is None and stopped is None:
                left = deadline - time.monotonic()
                if left <= 0:
                    stopped = _time_limit(self.limits.seconds)
                    break
                ready = wait([receiver, child.sentinel], timeout=left)
                if receiver in ready or child.sentinel in ready:
                    outcome, stopped = self._receive(job, child, receiver)
        except Exception:  # the page must still show an end, whatever went wrong here
            log.exception("import %s: following the child failed", job.job_id)
            stopped = FAILED
        finally:
            _stop(child, grace=5.0 if outcome is not None else 0.0)
            receiver.close()
            with self._lock:
                self._children.pop(job.job_id, None)
                # One change under the lock: a page sees the run going, or its whole end.
                job.outcome = outcome
                job.stopped = None if outcome is not None else (job.stopped or stopped or FAILED)
        if outcome is not None and not job.dry_run and outcome.valid and self.after_import:
            try:
                self.after_import()
            except Exception:
                log.exception("import %s: starting the workflows failed", job.job_id)

    def _receive(
        self, job: ImportJob, child: BaseProcess, receiver: Connection
    ) -> tuple[ImportOutcome | None, Translated | None]:
        """Take every report waiting; (outcome, None) at the end, (None, why) if it died."""
        while receiver.poll():
            try:
                message: tuple[Any, ...] = receiver.recv()
            except EOFError:  # the child closed its end: it is ending
                child.join(5)
                break
            kind = message[0]
            if kind == "progress":
                with self._lock:
                    job.done, job.total, job.events = message[1:]
            elif kind == "outcome":
                return message[1], None
            elif kind == "memory":
                return None, _memory_limit(self.limits.memory_bytes)
            else:
                return None, FAILED
        if child.is_alive():
            return None, None
        with self._lock:
            if job.stopped is not None:  # stopped on purpose (`close`)
                return None, job.stopped
        log.error("import %s: the child ended (exit code %s) without a report", job.job_id,
                  child.exitcode)  # fmt: skip
        return None, FAILED

    def get(self, job_id: str, owner: str) -> ImportJob | None:
        """The job, if it is this user's."""
        with self._lock:
            job = self._jobs.get(job_id)
        return job if job is not None and job.owner == owner else None

    def exists(self, job_id: str) -> bool:
        """True if some user's job has this id (for the access trail, never for the answer)."""
        with self._lock:
            return job_id in self._jobs

    def view(self, job: ImportJob) -> JobView:
        """The job as it stands, taken whole under the lock (its fields change together)."""
        with self._lock:
            return job.view()

    def close(self) -> None:
        """Stop every run still going (the web process is ending)."""
        with self._lock:
            for job in self._jobs.values():
                if not job.finished:
                    job.stopped = SHUT_DOWN
        _stop_all(self._children)

    def _forget_old(self) -> None:
        """Keep the newest jobs; remove the files of finished ones no other job still uses."""
        while len(self._jobs) > KEPT_JOBS:
            oldest = next((j for j in self._jobs.values() if j.finished), None)
            if oldest is None:
                return
            del self._jobs[oldest.job_id]
            if all(j.folder != oldest.folder for j in self._jobs.values()):
                shutil.rmtree(oldest.folder, ignore_errors=True)


def _stop(child: BaseProcess, grace: float = 0.0) -> None:
    """Unless the child ends within `grace` s, kill its process group (it and its workers)."""
    if grace:
        child.join(grace)
    if child.pid is not None and child.exitcode is None:
        try:
            os.killpg(child.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):  # not yet a group leader
            child.kill()
    child.join(10)


def _stop_all(children: dict[str, BaseProcess]) -> None:
    for child in list(children.values()):
        _stop(child)


def run_child(
    importer: Importer, order: ImportOrder, sender: Connection, limits: ImportLimits
) -> None:
    """The child process of one run: limits first, then the import, reporting to the web."""
    os.setpgid(0, 0)  # a group of its own, so that its workers die with it
    os.nice(CHILD_NICENESS)
    # A second line behind the web process's watch: the run ends itself if nobody does.
    signal.alarm(int(limits.seconds) + 5)
    if limits.memory_bytes is not None:
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        soft = (
            limits.memory_bytes
            if hard == resource.RLIM_INFINITY
            else min(hard, limits.memory_bytes)
        )
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))

    def progress(done: int, total: int, events: int) -> None:
        sender.send(("progress", done, total, events))

    report: tuple[Any, ...] = ("failed",)
    try:
        report = ("outcome", importer(order, progress))
    except MemoryError:
        report = ("memory",)
    except BaseException:
        traceback.print_exc()
    # Outside the handlers: the failed run's frames (and their memory) are released by now.
    sender.send(report)
    sender.close()
