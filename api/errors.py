"""Refusals and malformed input as JSON: a stable code, the message in the caller's language."""

from __future__ import annotations

from typing import Any, Unpack, cast

from asyncpg.exceptions import UndefinedTableError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.messages import said
from domain.errors import Malformed, Refused
from domain.messages import Message, Params
from domain.validation import malformed

STATUS: dict[str, int] = {
    "out_of_scope": 403,
    "unknown_member": 404,
    "unknown_unit": 404,
    "unknown_user": 404,
    "wrong_state": 409,
    "duplicate": 409,
    "conflict": 409,
    "future_date": 422,
    "grade_not_in_scale": 422,
    "malformed": 422,
    "out_of_order": 422,
    "outside_window": 422,
}


class ErrorPublic(BaseModel):
    """Every error the API returns: a stable code, a message, and the field when one is at fault."""

    code: str
    message: str
    field: str | None = None


class BoardError(Exception):
    """An error of the board itself (sign-in, CSRF), with its status and its message."""

    def __init__(self, status: int, code: str, template: str, /, **params: Unpack[Params]) -> None:
        self.message = Message(template, **params)
        super().__init__(self.message.en)
        self.status, self.code = status, code


class Building(BoardError):
    """The read models are being built in bulk (`projections.reads.building`): the message says
    how far, `percent` draws it. Answered 503, to be asked again in `RETRY_SECONDS`; the board
    shows the progress on a page that refreshes itself."""

    RETRY_SECONDS = 10

    def __init__(self, message: Message, percent: int) -> None:
        super().__init__(503, "building", message.template, **cast(Params, message.params))
        self.percent = percent


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorPublic} for status in (400, 401, 403, 404, 409, 422, 429, 503)
}


def _respond(
    request: Request,
    status: int,
    code: str,
    message: str,
    field: str | None = None,
    building: Building | None = None,
) -> Response:
    """JSON for the API; for the board's pages a sign-in redirect or the error page (with the
    progress of a build, refreshing itself, if `building`)."""
    if not request.url.path.startswith(("/api/", "/docs", "/openapi")):
        if status == 401:
            return RedirectResponse("/login", status_code=303)
        render: Any = getattr(request.app.state, "render_error", None)
        if render is not None:
            response: Response = render(request, status, message, building)
            return response
    body = ErrorPublic(code=code, message=message, field=field).model_dump()
    retry = {} if building is None else {"Retry-After": str(building.RETRY_SECONDS)}
    return JSONResponse(body, status_code=status, headers=retry)


def install(app: FastAPI) -> None:
    """Register the handlers that turn refusals and bad input into `ErrorPublic` responses."""

    @app.exception_handler(Refused)
    async def refused(request: Request, error: Refused) -> Response:
        field = error.field if isinstance(error, Malformed) else None
        status = STATUS.get(error.code, 409)
        return _respond(request, status, error.code, await said(request, error), field)

    @app.exception_handler(BoardError)
    async def board(request: Request, error: BoardError) -> Response:
        message = await said(request, error.message)
        building = error if isinstance(error, Building) else None
        return _respond(request, error.status, error.code, message, building=building)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError) -> Response:
        desk: Any = getattr(request.state, "desk", None)
        if desk is not None and request.method == "POST":  # a signed-in user's refused command
            await desk.refused(request.url.path.rpartition("/")[2], "", "malformed")
        refusal = malformed(error.errors())
        return _respond(request, 422, refusal.code, await said(request, refusal), refusal.field)

    @app.exception_handler(UndefinedTableError)
    async def not_built(request: Request, error: UndefinedTableError) -> Response:
        # The projector creates the read models at its first start: a board started before it
        # (or pointed at a store it has not reached) says so instead of failing.
        message = Message(
            "The read models are not built yet; the projector is on it, try again shortly."
        )
        return _respond(request, 503, "not_built", await said(request, message))

    @app.exception_handler(StarletteHTTPException)
    async def http(request: Request, error: StarletteHTTPException) -> Response:
        return _respond(request, error.status_code, "http_error", str(error.detail))
