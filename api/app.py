"""The FastAPI application: the HTTP API, the board's pages, error mapping, static assets."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send

from api import (
    errors,
    health,
    routes_audit,
    routes_auth,
    routes_commands,
    routes_documents,
    routes_queries,
)
from api.config import BoardConfig
from api.edge import BodyCap, BodyTooLarge, SecurityHeaders, docs_policy, too_large
from api.errors import BoardError, Building
from api.imports import ImportJobs
from api.one_time import PASSWORD_PAGE, PasswordChangeRequired
from api.reads import BoardReads
from api.signin import TooManyAttempts
from api.users import AccountRows, UserStore
from api.web import (
    forms,
    pages_admin,
    pages_auth,
    pages_board,
    pages_home,
    pages_import,
    pages_inbox,
    pages_member,
    pages_policy,
    pages_search,
    pages_work,
    pages_year,
)
from api.web.render import page
from application.office import LiaisonOffice

UPLOAD = ("POST", "/import")
"""The board's upload form, the one request allowed a body beyond `body_max_bytes`."""
API_ROUTERS = (
    routes_auth.router,
    routes_auth.users_router,
    routes_commands.router,
    routes_queries.router,
    routes_audit.router,
    routes_documents.router,
)
"""The JSON API's routers, mounted by `create_app` and read by the catalogue tests."""
DOCS, REDOC, OAUTH2_REDIRECT = "/docs", "/redoc", "/docs/oauth2-redirect"


class Board(FastAPI):
    """FastAPI with the security headers outermost, on even its last-resort 500 answer.

    They wrap the application itself rather than its middleware stack, which stays as Starlette
    builds it (OpenTelemetry's instrumentation inserts itself there when tracing is on)."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._secured = SecurityHeaders(super().__call__)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._secured(scope, receive, send)


def _render_error(
    request: Request, status: int, message: str, building: Building | None = None
) -> HTMLResponse:
    session = getattr(request.state, "session", None)  # set once the page's session was read
    return page(request, "error.html", session, status, code=status, text=message,
                building=building)  # fmt: skip


def _documented(page_html: HTMLResponse) -> HTMLResponse:
    """An API documentation page with the policy that lets its own scripts run."""
    page_html.headers["Content-Security-Policy"] = docs_policy(bytes(page_html.body).decode())
    return page_html


async def _swagger(request: Request) -> HTMLResponse:
    root, app = request.scope.get("root_path", ""), request.app
    return _documented(
        get_swagger_ui_html(
            openapi_url=root + app.openapi_url,
            title=f"{app.title} - Swagger UI",
            oauth2_redirect_url=root + OAUTH2_REDIRECT,
        )
    )


async def _swagger_redirect(request: Request) -> HTMLResponse:
    return _documented(get_swagger_ui_oauth2_redirect_html())


async def _redoc(request: Request) -> HTMLResponse:
    root, app = request.scope.get("root_path", ""), request.app
    return _documented(
        get_redoc_html(openapi_url=root + app.openapi_url, title=f"{app.title} - ReDoc")
    )


def _install_docs(app: FastAPI) -> None:
    """Swagger UI and ReDoc as FastAPI draws them, each with its own Content-Security-Policy."""
    # Plain Starlette routes, as FastAPI adds its own docs: no endpoint closes over the app.
    for path, endpoint in ((DOCS, _swagger), (OAUTH2_REDIRECT, _swagger_redirect), (REDOC, _redoc)):
        app.add_route(path, endpoint, include_in_schema=False)


def _install_refusals(app: FastAPI) -> None:
    """Answers of the sign-in rules that go beyond a plain `BoardError`: a wait, a redirect."""
    plain = app.exception_handlers[BoardError]

    async def as_board_error(request: Request, error: Exception) -> Response:
        answer = plain(request, error)
        response: Response = await answer if inspect.isawaitable(answer) else answer
        return response

    async def wait(request: Request, error: Exception) -> Response:
        response = await as_board_error(request, error)
        if isinstance(error, TooManyAttempts):
            response.headers["Retry-After"] = str(error.retry_after)
        return response

    async def change_password_first(request: Request, error: Exception) -> Response:
        if request.url.path.startswith("/api/"):
            return await as_board_error(request, error)
        return RedirectResponse(PASSWORD_PAGE, status_code=303)

    async def body_too_large(request: Request, error: Exception) -> Response:
        limit = error.limit if isinstance(error, BodyTooLarge) else 0
        return too_large(request, limit)

    app.add_exception_handler(TooManyAttempts, wait)
    app.add_exception_handler(PasswordChangeRequired, change_password_first)
    app.add_exception_handler(BodyTooLarge, body_too_large)


def create_app(
    office: LiaisonOffice,
    reads: BoardReads,
    users: UserStore,
    config: BoardConfig,
    imports: ImportJobs | None = None,
    probes: health.Health | None = None,
) -> FastAPI:
    """The web application over an office, a read port, a user store, an import port and the
    process's readiness checks and metrics."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await users.setup()
        yield
        await reads.close()
        await users.close()

    app = Board(
        title="Liaison",
        summary="Residence liaison of working Party members (Regulation 213-QĐ/TW)",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.office, app.state.reads, app.state.users = office, reads, users
    if getattr(office, "accounts", False) is None:  # the accounts it signs people in with
        office.accounts = AccountRows(users.url, users.hasher)
    app.state.config, app.state.render_error = config, _render_error
    app.state.imports = imports or ImportJobs(None)
    app.state.health = probes or health.Health()
    app.add_middleware(
        BodyCap, cap=config.body_max_bytes, larger={UPLOAD: config.upload_body_max_bytes}
    )
    errors.install(app)
    _install_refusals(app)
    _install_docs(app)
    for router in (health.router, *API_ROUTERS, routes_documents.pages):
        app.include_router(router)
    for pages in (
        pages_auth,
        pages_home,
        pages_board,
        pages_inbox,
        pages_import,
        pages_search,
        forms,
    ):
        app.include_router(pages.router)
    app.state.form_pages = forms.pages_by_name(
        *pages_work.PAGES,
        *pages_year.PAGES,
        *pages_member.PAGES,
        *pages_inbox.PAGES,
        *pages_admin.PAGES,
        *pages_policy.PAGES,
    )
    static = Path(__file__).parent / "static"
    app.mount("/static", StaticFiles(directory=static), name="static")
    return app
