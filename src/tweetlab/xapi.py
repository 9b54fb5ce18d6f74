"""The X (Twitter) API v2 through tweepy: credentials from the environment, never logged.

``TWEETLAB_X_API_BASE`` (e.g. ``http://127.0.0.1:8123``) sends every request to another
server instead of ``https://api.twitter.com``: a local fake API in tests, or a proxy.

Credentials:

* reading (``collect``): ``X_BEARER_TOKEN``;
* posting (``bot --publish``): ``X_API_KEY``, ``X_API_SECRET``, ``X_ACCESS_TOKEN``,
  ``X_ACCESS_TOKEN_SECRET`` (OAuth 1.0a user context).
"""

from __future__ import annotations

import os
from typing import Any

from .errors import TweetlabError

API_HOST = "https://api.twitter.com"
READ_VARS = ("X_BEARER_TOKEN",)
POST_VARS = ("X_API_KEY", "X_API_SECRET", "X_ACCESS_TOKEN", "X_ACCESS_TOKEN_SECRET")


class XAPIError(TweetlabError):
    """A missing credential, a rejected one, or an API failure, said plainly.

    ``transient``: worth trying again later (rate limit, server error, no connection);
    ``duplicate``: X refused the text as one the account already posted.
    """

    def __init__(self, message: str, *, transient: bool = False,
                 duplicate: bool = False) -> None:
        super().__init__(message)
        self.transient = transient
        self.duplicate = duplicate


def _tweepy() -> Any:
    try:
        import tweepy  # lazy: optional dependency
    except ImportError:
        raise XAPIError("the X API needs tweepy: pip install 'tweetlab[x]'") from None
    return tweepy


def _redirect(client: Any, base: str) -> None:
    """Send the client's requests for ``API_HOST`` to ``base`` (tests, proxies)."""
    import requests  # lazy: optional dependency

    class Redirect(requests.adapters.HTTPAdapter):
        def send(self, request: Any, **kwargs: Any) -> Any:  # type: ignore[override]
            request.url = base.rstrip("/") + request.url[len(API_HOST):]
            return super().send(request, **kwargs)

    client.session.mount(API_HOST, Redirect())


def _env(names: tuple[str, ...], purpose: str, env: dict[str, str] | None) -> list[str]:
    source = os.environ if env is None else env
    missing = [n for n in names if not source.get(n)]
    if missing:
        raise XAPIError(f"{purpose} needs the environment variable(s) {', '.join(missing)} "
                        "(from your X developer app); they are read, never logged")
    return [source[n] for n in names]


def read_client(env: dict[str, str] | None = None) -> Any:
    """A tweepy ``Client`` with the bearer token, returning plain dicts."""
    tweepy = _tweepy()
    (token,) = _env(READ_VARS, "collecting tweets", env)
    client = tweepy.Client(bearer_token=token, return_type=dict, wait_on_rate_limit=False)
    base = (env if env is not None else os.environ).get("TWEETLAB_X_API_BASE")
    if base:
        _redirect(client, base)
    return client


def post_client(env: dict[str, str] | None = None) -> Any:
    """A tweepy ``Client`` with OAuth 1.0a user credentials, for posting."""
    tweepy = _tweepy()
    key, secret, token, token_secret = _env(POST_VARS, "publishing", env)
    client = tweepy.Client(consumer_key=key, consumer_secret=secret, access_token=token,
                           access_token_secret=token_secret, return_type=dict,
                           wait_on_rate_limit=False)
    base = (env if env is not None else os.environ).get("TWEETLAB_X_API_BASE")
    if base:
        _redirect(client, base)
    return client


def explain(exc: Exception) -> XAPIError:
    """A tweepy exception as one clear sentence (no credentials, no traceback)."""
    tweepy = _tweepy()
    if isinstance(exc, tweepy.Unauthorized):
        return XAPIError("the X API rejected the credentials (401 Unauthorized): check the "
                         "token and keys in the environment")
    if isinstance(exc, tweepy.Forbidden):
        if "duplicate" in _detail(exc).lower():
            return XAPIError(f"the X API refused a duplicate post (403): {_detail(exc)}",
                             duplicate=True)
        return XAPIError(f"the X API refused the request (403 Forbidden): your app's access "
                         f"level may not allow it ({_detail(exc)})")
    if isinstance(exc, tweepy.BadRequest):
        return XAPIError(f"the X API said the request is invalid (400): {_detail(exc)}")
    if isinstance(exc, tweepy.TooManyRequests):
        return XAPIError("the X API's rate limit is reached (429); try again later",
                         transient=True)
    if isinstance(exc, tweepy.TwitterServerError):
        return XAPIError("the X API had a server error; try again later", transient=True)
    if isinstance(exc, tweepy.HTTPException):
        return XAPIError(f"the X API answered {exc.response.status_code}: {_detail(exc)}")
    return XAPIError(f"cannot reach the X API ({type(exc).__name__}: {exc})", transient=True)


def _detail(exc: Any) -> str:
    msgs = getattr(exc, "api_messages", None) or getattr(exc, "api_errors", None)
    return "; ".join(str(m) for m in msgs) if msgs else str(exc)[:200]
