"""A fake X API v2 on loopback: recent search, user timelines, posting; no real network."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse


class FakeX:
    """Serves ``tweets`` (newest first) in pages of ``page_size``; records posts."""

    def __init__(self, tweets: list[dict[str, Any]], page_size: int = 3,
                 rate_limit_once: bool = False) -> None:
        self.tweets = tweets
        self.page_size = page_size
        self.rate_limit_once = rate_limit_once
        self.requests: list[str] = []
        self.posted: list[str] = []
        self.auth_headers: list[str] = []
        self.fail_after: int | None = None  # serve this many pages, then 500
        self.post_errors: list[tuple[int, dict[str, Any]]] = []  # answers to the next posts
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, code: int, body: Any, headers: dict[str, str] | None = None) -> None:
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # noqa: N802
                url = urlparse(self.path)
                q = {k: v[0] for k, v in parse_qs(url.query).items()}
                fake.requests.append(self.path)
                fake.auth_headers.append(self.headers.get("Authorization", ""))
                if fake.rate_limit_once:
                    fake.rate_limit_once = False
                    self._send(429, {"title": "Too Many Requests"},
                               {"x-rate-limit-reset": str(int(time.time()))})
                    return
                if self.headers.get("Authorization") == "Bearer bad":
                    self._send(401, {"title": "Unauthorized"})
                    return
                if url.path.startswith("/2/users/by/username/"):
                    name = url.path.rsplit("/", 1)[1]
                    self._send(200, {"data": {"id": "42", "username": name}})
                    return
                if url.path in ("/2/tweets/search/recent", "/2/users/42/tweets"):
                    pages_served = sum(1 for r in fake.requests if "/tweets" in r) - 1
                    if fake.fail_after is not None and pages_served >= fake.fail_after:
                        self._send(503, {"title": "Service Unavailable"})
                        return
                    pool = [t for t in fake.tweets
                            if "since_id" not in q or int(t["id"]) > int(q["since_id"])]
                    start = int(q.get("pagination_token") or q.get("next_token") or 0)
                    page = pool[start:start + fake.page_size]
                    meta: dict[str, Any] = {"result_count": len(page)}
                    if page:
                        meta["newest_id"] = page[0]["id"]
                    if start + fake.page_size < len(pool):
                        meta["next_token"] = str(start + fake.page_size)
                    self._send(200, {"data": page, "meta": meta,
                                     "includes": {"users": [{"id": "7", "username": "ana"}]}})
                    return
                self._send(404, {"title": "Not Found"})

            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                auth = self.headers.get("Authorization", "")
                fake.auth_headers.append(auth)
                if 'oauth_consumer_key="bad"' in auth:
                    self._send(401, {"title": "Unauthorized"})
                    return
                if self.path != "/2/tweets":
                    self._send(404, {"title": "Not Found"})
                    return
                if fake.post_errors:
                    self._send(*fake.post_errors.pop(0))
                    return
                fake.posted.append(body["text"])
                self._send(201, {"data": {"id": str(1000 + len(fake.posted)),
                                          "text": body["text"]}})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> FakeX:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def make_tweets(n: int) -> list[dict[str, Any]]:
    """v2 tweet objects, newest first (ids descending)."""
    return [{"id": str(100 + i), "text": f"tweet number {i} #x", "author_id": "7",
             "created_at": f"2024-05-{1 + i % 28:02d}T10:00:00.000Z", "lang": "en"}
            for i in reversed(range(n))]
