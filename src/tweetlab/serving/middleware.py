"""ASGI middleware of the service: the API key check with per-route request counts and
latency (:class:`Observe`), and the request body limit (:class:`BodyLimit`)."""

from __future__ import annotations

import asyncio
import hmac
import time
from collections.abc import Mapping
from typing import Any

from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .metrics import Metrics
from .settings import ServeSettings


def _error(status: int, error: str, detail: Any = None,
           headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": error, "detail": detail}, status_code=status, headers=headers)


def _key_ok(scope: Scope, expected: bytes) -> bool:
    given = dict(scope.get("headers") or []).get(b"authorization", b"")
    return hmac.compare_digest(given, expected)


class Observe:
    """ASGI middleware: the API key check, and request counts and latency per route."""

    def __init__(self, app: ASGIApp, settings: ServeSettings, metrics: Metrics,
                 routes: frozenset[str] = frozenset()) -> None:
        self.app = app
        self.routes = routes  # the app's paths: a refused request is counted under its own
        self.settings = settings
        self.metrics = metrics
        self.expected = f"Bearer {settings.api_key}".encode() if settings.api_key else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        path = scope["path"]
        status = 500
        if self.expected is not None and (path.startswith("/v1/") or path == "/metrics"):
            if not _key_ok(scope, self.expected):
                await _error(401, "missing or wrong API key",
                             "send 'Authorization: Bearer KEY'")(scope, receive, send)
                self.metrics.observe(path if path in self.routes else "other", 401,
                                     time.perf_counter() - start)
                return

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            route = scope.get("route")
            self.metrics.observe(getattr(route, "path", "other"), status,
                                 time.perf_counter() - start)


def _wrong_content_type(path: str, content_type: bytes) -> str | None:
    """Why a POST to the API is refused for its Content-Type (None: it is fine). The API
    takes ``application/json`` (``text/csv`` for ``/v1/predict-csv``) only: a web page the
    user visits can send ``text/plain`` to a loopback server without the browser asking
    first (no CORS preflight), and so make it work; JSON and CSV bodies need that asking.

    >>> _wrong_content_type("/v1/predict", b"application/json; charset=utf-8") is None
    True
    >>> _wrong_content_type("/v1/predict", b"text/plain")
    "send JSON with 'Content-Type: application/json' (got 'text/plain')"
    """
    if not path.startswith("/v1/"):
        return None
    kind = content_type.split(b";", 1)[0].strip().lower().decode("latin-1")
    wanted = ("text/csv", "application/csv") if path == "/v1/predict-csv" else ("application/json",)
    if kind in wanted:
        return None
    if path == "/v1/predict-csv" and kind.startswith("multipart/"):
        return ("send the CSV itself as the request body (curl --data-binary @tweets.csv -H "
                "'Content-Type: text/csv'), not as a form upload")
    what = "the CSV with 'Content-Type: text/csv'" if path == "/v1/predict-csv" else \
        "JSON with 'Content-Type: application/json'"
    return f"send {what} (got {kind or 'no Content-Type'!r})"


def _too_big(limit: int) -> JSONResponse:
    return _error(413, "request body too large", f"the limit is {limit:,} bytes")


async def _read_body(receive: Receive, limit: int, timeout: float | None = None
                     ) -> tuple[bytes, bool] | None:
    """The request body, read until its end or just past ``limit`` bytes, and whether more
    is left unread; ``None`` if the client disconnected. ``TimeoutError`` when the body
    has not arrived within ``timeout`` seconds (a stalled upload holds no task for long)."""
    chunks: list[bytes] = []
    seen = 0
    more = True
    async with asyncio.timeout(timeout):
        while more and seen <= limit:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            body = message.get("body", b"")
            chunks.append(body)
            seen += len(body)
            more = message.get("more_body", False)
    return b"".join(chunks), more


def _too_slow(timeout: float) -> JSONResponse:
    return _error(408, "request body too slow", f"the whole body must arrive within "
                                                f"{timeout:g} s")


def _replay(body: bytes, more: bool, receive: Receive) -> Receive:
    """A ``receive`` that hands over ``body`` (already read) first, then reads on."""
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if not replayed:
            replayed = True
            return {"type": "http.request", "body": body, "more_body": more}
        return await receive()

    return replay


class BodyLimit:
    """ASGI middleware: 413 for bodies over the limit, counted even without Content-Length."""

    def __init__(self, app: ASGIApp, settings: ServeSettings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = (self.settings.max_csv_body if scope["path"] == "/v1/predict-csv"
                 else self.settings.max_body)
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length is not None:
            try:
                declared = int(length)
            except ValueError:
                await _error(400, "invalid Content-Length header")(scope, receive, send)
                return
            if declared > limit:
                await _too_big(limit)(scope, receive, send)
                return
        if scope["method"] not in {"POST", "PUT", "PATCH"}:
            await self.app(scope, receive, send)
            return
        wrong = _wrong_content_type(scope["path"], headers.get(b"content-type", b""))
        if wrong is not None:
            await _error(415, wrong)(scope, receive, send)
            return
        # Read the whole (bounded) body first, so that nothing downstream sees a partial one.
        try:
            read = await _read_body(receive, limit, self.settings.body_timeout)
        except TimeoutError:
            await _too_slow(self.settings.body_timeout)(scope, receive, send)
            return
        if read is None:
            return
        body, more = read
        if more or len(body) > limit:
            await _too_big(limit)(scope, receive, send)
            return
        await self.app(scope, _replay(body, more, receive), send)
