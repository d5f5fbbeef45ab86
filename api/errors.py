"""Refusals and malformed input as JSON: a stable code, the message in the caller's language."""

from __future__ import annotations

from typing import Any

from asyncpg.exceptions import UndefinedTableError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.i18n import language_of
from domain.errors import Refused

STATUS: dict[str, int] = {
    "out_of_scope": 403,
    "unknown_member": 404,
    "unknown_unit": 404,
    "wrong_state": 409,
    "duplicate": 409,
    "conflict": 409,
    "future_date": 422,
    "grade_not_in_scale": 422,
    "malformed": 422,
}


class ErrorPublic(BaseModel):
    """Every error the API returns: a stable code, a message, and the field when one is at fault."""

    code: str
    message: str
    field: str | None = None


class BoardError(Exception):
    """An error of the board itself (sign-in, CSRF), with its status and both languages."""

    def __init__(self, status: int, code: str, en: str, vi: str) -> None:
        super().__init__(en)
        self.status, self.code, self.en, self.vi = status, code, en, vi


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorPublic} for status in (400, 401, 403, 404, 409, 422, 429, 503)
}


def _respond(
    request: Request, status: int, code: str, message: str, field: str | None = None
) -> Response:
    """JSON for the API; for the board's pages a sign-in redirect or the error page."""
    if not request.url.path.startswith(("/api/", "/docs", "/openapi")):
        if status == 401:
            return RedirectResponse("/login", status_code=303)
        render: Any = getattr(request.app.state, "render_error", None)
        if render is not None:
            response: Response = render(request, status, message)
            return response
    body = ErrorPublic(code=code, message=message, field=field).model_dump()
    return JSONResponse(body, status_code=status)


def install(app: FastAPI) -> None:
    """Register the handlers that turn refusals and bad input into `ErrorPublic` responses."""

    @app.exception_handler(Refused)
    async def refused(request: Request, error: Refused) -> Response:
        language = language_of(request)
        return _respond(request, STATUS.get(error.code, 409), error.code, error.message(language))

    @app.exception_handler(BoardError)
    async def board(request: Request, error: BoardError) -> Response:
        message = error.vi if language_of(request) == "vi" else error.en
        return _respond(request, error.status, error.code, message)

    @app.exception_handler(RequestValidationError)
    async def malformed(request: Request, error: RequestValidationError) -> Response:
        first = error.errors()[0] if error.errors() else {"loc": (), "msg": "invalid"}
        loc = [str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path")]
        field = ".".join(loc) or None
        desk: Any = getattr(request.state, "desk", None)
        if desk is not None and request.method == "POST":  # a signed-in user's refused command
            await desk.refused(request.url.path.rpartition("/")[2], "", "malformed")
        vi = language_of(request) == "vi"
        prefix = f"Trường {field!r} không hợp lệ" if vi else f"Field {field!r} is invalid"
        return _respond(request, 422, "malformed", f"{prefix}: {first.get('msg', '')}", field)

    @app.exception_handler(UndefinedTableError)
    async def not_built(request: Request, error: UndefinedTableError) -> Response:
        # The projector creates the read models at its first start: a board started before it
        # (or pointed at a store it has not reached) says so instead of failing.
        vi = language_of(request) == "vi"
        message = (
            "Dữ liệu tổng hợp chưa được dựng; bộ tổng hợp (projector) đang chạy, thử lại sau."
            if vi
            else "The read models are not built yet; the projector is on it, try again shortly."
        )
        return _respond(request, 503, "not_built", message)

    @app.exception_handler(StarletteHTTPException)
    async def http(request: Request, error: StarletteHTTPException) -> Response:
        return _respond(request, error.status_code, "http_error", str(error.detail))
