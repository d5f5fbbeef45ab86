"""The HTTP edge, in pure ASGI: security headers on every answer, request bodies capped unread."""

from __future__ import annotations

import hashlib
import re
from base64 import b64encode
from collections.abc import Mapping

from fastapi.responses import JSONResponse
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import ErrorPublic
from api.i18n import language_of
from api.messages import render
from domain import messages

BOARD_POLICY = (
    "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none';"
    " object-src 'none'"
)
"""The board's own pages: stylesheets, server-drawn SVG and one script file (the search box's)
from this origin; no inline script."""

HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def docs_policy(html: str) -> str:
    """The policy of an API documentation page (FastAPI's Swagger UI or ReDoc) drawn as `html`.

    Those pages load their script and style from jsDelivr and start it with an inline script;
    each inline script is allowed by its hash, so no other inline script can run. Their
    renderers insert inline styles and ReDoc searches in a worker made from a blob.
    """
    scripts = re.findall(r"<script>(.*?)</script>", html, flags=re.DOTALL)
    hashes = " ".join(
        f"'sha256-{b64encode(hashlib.sha256(s.encode()).digest()).decode()}'" for s in scripts
    )
    return (
        f"default-src 'self'; script-src https://cdn.jsdelivr.net {hashes};"
        " style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com;"
        " font-src https://fonts.gstatic.com; img-src 'self' data: https://fastapi.tiangolo.com"
        " https://cdn.redoc.ly; worker-src blob:; frame-ancestors 'none'; form-action 'self';"
        " base-uri 'none'; object-src 'none'"
    )


class SecurityHeaders:
    """Adds the board's Content-Security-Policy (unless the answer set its own) and the other
    security headers to every HTTP answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Content-Security-Policy", BOARD_POLICY)
                for name, value in HEADERS.items():
                    headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyTooLarge(HTTPException):
    """A request body beyond its cap (an HTTPException, so that body parsers let it through)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, "Content Too Large")
        self.limit = limit


def too_large(connection: HTTPConnection, limit: int) -> JSONResponse:
    """The 413 answer, in the caller's language."""
    size = f"{limit / 2**20:g} MiB"
    message = messages.Message("The request body is too large (at most {limit}).", limit=size)
    text = render(message, language_of(connection))
    body = ErrorPublic(code="body_too_large", message=text).model_dump()
    return JSONResponse(body, status_code=413, headers={"Connection": "close"})


class BodyCap:
    """Refuses a request body beyond its cap before anything reads it (so before sign-in).

    A declared Content-Length beyond the cap is answered at once, unread; a body without one
    (chunked) is counted as it streams, and reading stops at the first chunk past the cap.
    `larger` names the (method, path) pairs allowed more than `cap`.
    """

    def __init__(self, app: ASGIApp, cap: int, larger: Mapping[tuple[str, str], int]) -> None:
        self.app, self.cap, self.larger = app, cap, dict(larger)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.larger.get((scope["method"], scope["path"]), self.cap)
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await too_large(HTTPConnection(scope), limit)(scope, receive, send)
            return
        seen = 0
        started = False

        async def counted() -> Message:
            nonlocal seen
            if seen > limit:
                raise BodyTooLarge(limit)
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge(limit)
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except BodyTooLarge:
            # The app's own handler answers it when a body parser raised it; this is the rest.
            if started:
                raise
            await too_large(HTTPConnection(scope), limit)(scope, receive, send)
