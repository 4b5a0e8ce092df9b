"""Every error of the API as JSON: `{"error": {"code": "...", "message": "..."}}`.

The hall core raises errors from one tree (`qms.core.errors`) with stable codes; this module
maps each class to an HTTP status and never parses messages. Errors of the web layer itself
(authentication, throttling, body size) join the same tree as `WebError`, which carries its
status and headers. Starlette's own 404 and 405 are rendered the same way, and anything
unexpected becomes a logged 500 `internal_error` in JSON: a client of this API never has to
read an HTML error page.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from qms.core.errors import Conflict, InvalidInput, NotFound, QmsError
from qms.service import HallStopped, StorageUnavailable
from qms.storage.errors import StorageError

log = logging.getLogger(__name__)


class JSON(JSONResponse):
    """A JSON response that keeps Chinese readable (no `\\uXXXX` escapes) and compact."""

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")


class WebError(QmsError):
    """An error of the web layer, with its own HTTP status and response headers."""

    status = 400

    def __init__(self, message: str, *, code: str | None = None, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message, code=code)
        self.headers = dict(headers or {})


class Unauthorized(WebError):
    """No valid bearer token (401). Always names the scheme, as RFC 6750 asks."""

    status = 401
    code = "unauthorized"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        challenge = 'Bearer realm="qms"'
        if code not in (None, "auth_required"):
            challenge += ', error="invalid_token"'
        super().__init__(message, code=code, headers={"WWW-Authenticate": challenge})


class Forbidden(WebError):
    """A valid token, but this staff member may not do this (403)."""

    status = 403
    code = "forbidden"


class TooManyAttempts(WebError):
    """Too many failed logins for one username (429)."""

    status = 429
    code = "too_many_attempts"


class BodyTooLarge(WebError):
    status = 413
    code = "body_too_large"


# Checked in order, so a subclass must come before its base (IllegalTransition and Refused
# are Conflicts and share 409).
_STATUS: tuple[tuple[type[QmsError], int], ...] = (
    (InvalidInput, 422),
    (NotFound, 404),
    (Conflict, 409),
    (StorageUnavailable, 503),
    (HallStopped, 503),
    (StorageError, 503),
)


def status_for(exc: QmsError) -> int:
    """The HTTP status of an error of the qms tree; 500 for one nobody mapped (a bug)."""
    if isinstance(exc, WebError):
        return exc.status
    for cls, status in _STATUS:
        if isinstance(exc, cls):
            return status
    return 500


def error_response(status: int, code: str, message: str, headers: Mapping[str, str] | None = None) -> JSON:
    return JSON({"error": {"code": code, "message": message}}, status_code=status, headers=headers)


async def on_qms_error(request: Request, exc: Exception) -> Response:
    """Exception handler for the whole QmsError tree."""
    assert isinstance(exc, QmsError)
    status = status_for(exc)
    if status == 500:
        log.error("unmapped %s on %s %s: %s", type(exc).__name__, request.method, request.url.path, exc)
    headers = exc.headers if isinstance(exc, WebError) else None
    if status == 503:
        headers = {"Retry-After": "1"}  # the hall restarts or the disk comes back: retry soon
    return error_response(status, exc.code, exc.message, headers)


_HTTP_CODES = {404: "not_found", 405: "method_not_allowed", 413: "body_too_large"}


async def on_http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own errors (no such route, wrong method) in the same JSON shape."""
    assert isinstance(exc, HTTPException)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    message = exc.detail
    if exc.status_code == 404:
        message = f"no such resource: {request.url.path}"
    elif exc.status_code == 405:
        message = f"{request.method} is not allowed on {request.url.path}"
    return error_response(exc.status_code, code, message, exc.headers)


class CatchAll:
    """Pure ASGI middleware: an unexpected exception becomes a logged 500 in JSON.

    Starlette's own ServerErrorMiddleware answers in plain text and re-raises; this one sits
    inside it, so the client gets the API's error shape and the server log gets the trace.
    WebSocket connections pass through: their endpoint closes with 1011 on its own.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def sender(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, sender)
        except Exception:
            log.exception("unexpected error on %s %s", scope.get("method"), scope.get("path"))
            if started:  # too late for a clean answer; let the server drop the connection
                raise
            response = error_response(500, "internal_error", "the server failed on this request; it has been logged")
            await response(scope, receive, send)
