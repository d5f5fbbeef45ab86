"""Import from the board: upload a members file (and its history), check it, then import it."""

from __future__ import annotations

from typing import Annotated, Any, cast

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from api import i18n
from api.deps import Desk, ReadsDep
from api.errors import BoardError
from api.i18n import language_of
from api.imports import MAX_BYTES, ImportJob, ImportJobs, UploadRefused, safe_name
from api.messages import render
from api.routes_queries import scope_of
from api.users import Session
from api.web.render import CheckedForm, WebDesk, WebSession, page
from domain.errors import Language, OutOfScope
from domain.messages import Count
from domain.roles import may_import

router = APIRouter(prefix="/import", include_in_schema=False)


def _jobs(request: Request) -> ImportJobs:
    jobs: ImportJobs = request.app.state.imports
    return jobs


Jobs = Annotated[ImportJobs, Depends(_jobs)]


async def _may_import(session: Session, desk: Desk) -> None:
    """Refuse, and put in the access trail, a role that does not import members."""
    if not may_import(session.user.role):
        await desk.refused("import", "import", OutOfScope.code)
        raise BoardError(
            403,
            "forbidden",
            "Your role does not import members.",
        )


async def _upload(value: object, what: str, required: bool) -> tuple[str, bytes] | None:
    """The uploaded file's safe name and content; refuses a missing, empty or oversized one."""
    if not isinstance(value, UploadFile) or not value.filename:
        if required:
            raise UploadRefused("Choose the members file.")
        return None
    name = safe_name(value.filename, what)
    content = await value.read(MAX_BYTES + 1)
    if not content:
        raise UploadRefused("The file {name} is empty.", name=name)
    if len(content) > MAX_BYTES:
        raise UploadRefused(
            "The file {name} is larger than {megabytes} MB.",
            name=name,
            megabytes=Count(MAX_BYTES // 2**20),
        )
    return name, content


@router.get("")
async def import_form(
    request: Request, session: WebSession, desk: WebDesk, jobs: Jobs, reads: ReadsDep
) -> HTMLResponse:
    """The upload form, with the templates to start from."""
    await _may_import(session, desk)
    scope = await scope_of(desk, session.user.unit_id, None, None, None)
    unfinished = await reads.incomplete_imports(scope)
    return page(request, "import.html", session, unfinished=unfinished, **_form_context(jobs))


def _form_context(jobs: ImportJobs) -> dict[str, Any]:
    return {"available": jobs.available, "templates": _by_language(jobs.template_names())}


def _by_language(names: list[str]) -> list[tuple[str, list[str]]]:
    """The template files under the name of their language (`members.vi.csv`: Tiếng Việt),
    Vietnamese first; a file named for no language of the board is listed apart."""
    found: dict[str, list[str]] = {}
    for name in names:
        language = name.rsplit(".", 2)[-2] if name.count(".") >= 2 else ""
        found.setdefault(language if language in i18n.LANGUAGES else "", []).append(name)
    return [
        (i18n.language_name(cast(Language, language)) if language else "", found[language])
        for language in (*i18n.LANGUAGES, "")
        if language in found
    ]


@router.get("/templates/{name}")
async def template_file(session: WebSession, jobs: Jobs, name: str) -> FileResponse:
    """A template file to fill in (the names the form lists, nothing else)."""
    if name not in jobs.template_names() or jobs.templates is None:
        raise BoardError(404, "not_found", "No such template.")
    return FileResponse(jobs.templates / name, filename=name)


def _refused(
    request: Request, session: Session, jobs: ImportJobs, refused: UploadRefused
) -> HTMLResponse:
    """The form again, saying why nothing was started."""
    return page(
        request,
        "import.html",
        session,
        refused.status,
        error=render(refused.message, language_of(request)),
        **_form_context(jobs),
    )


@router.post("")
async def start_import(
    request: Request, session: WebSession, desk: WebDesk, jobs: Jobs, form: CheckedForm
) -> Response:
    """Save the uploads and start a dry run (the default) or the import; show its progress."""
    await _may_import(session, desk)
    folder = None
    try:
        jobs.admit(session.user.username)  # before the uploads are kept (checked again at start)
        members = await _upload(form.get("members"), "members", required=True)
        history = await _upload(form.get("history"), "history", required=False)
        assert members is not None
        if history is not None and history[0] == members[0]:
            raise UploadRefused(
                "The history file must not be the members file.",
            )
        # Off the event loop: writing the files and starting the child take a moment.
        folder = await run_in_threadpool(jobs.save, [members, *([history] if history else [])])
        job = await run_in_threadpool(
            jobs.start,
            session.user.username,
            session.user.actor,
            folder,
            members[0],
            history[0] if history else None,
            form.get("dry_run") is not None,
        )
    except UploadRefused as refused:
        if folder is not None:
            jobs.discard(folder)
        return _refused(request, session, jobs, refused)
    return RedirectResponse(f"/import/{job.job_id}", status_code=303)


async def _job_or_404(jobs: ImportJobs, job_id: str, session: Session, desk: Desk) -> ImportJob:
    """The user's own job; another's is answered exactly as one that does not exist."""
    job = jobs.get(job_id, session.user.username)
    if job is None:
        if jobs.exists(job_id):  # someone else's: a refusal for the trail, not for the answer
            await desk.refused("import", f"import job {job_id}", OutOfScope.code)
        raise BoardError(404, "not_found", "No such import.")
    return job


@router.get("/{job_id}")
async def import_job(
    request: Request, session: WebSession, desk: WebDesk, jobs: Jobs, job_id: str
) -> HTMLResponse:
    """The run's progress (the page refreshes itself until it ends), then its report."""
    await _may_import(session, desk)
    view = jobs.view(await _job_or_404(jobs, job_id, session, desk))
    problems = view.outcome.problems[:SHOWN] if view.outcome is not None else ()
    return page(
        request, "import_job.html", session, job=view, outcome=view.outcome, problems=problems
    )


SHOWN = 500
"""Problems listed on the page (the count says how many more)."""


@router.post("/{job_id}/run")
async def run_for_real(
    request: Request, session: WebSession, desk: WebDesk, jobs: Jobs, job_id: str, form: CheckedForm
) -> Response:
    """Import the files a finished dry run checked (its invalid rows are left out)."""
    await _may_import(session, desk)
    source = await _job_or_404(jobs, job_id, session, desk)
    checked = jobs.view(source)
    if not (checked.dry_run and checked.outcome is not None):
        raise BoardError(
            409,
            "not_checked",
            "Only a finished dry run can be imported.",
        )
    try:
        job = await run_in_threadpool(
            jobs.start,
            session.user.username,
            session.user.actor,
            source.folder,
            source.members_name,
            source.history_name,
            False,
        )
    except UploadRefused as refused:
        return _refused(request, session, jobs, refused)
    return RedirectResponse(f"/import/{job.job_id}", status_code=303)
