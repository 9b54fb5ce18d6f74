"""Limits and switches of the service (:class:`ServeSettings`, read from ``TWEETLAB_*``
environment variables) and the check that refuses to expose it without an API key."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from ..errors import ConfigError

LOOPBACK_NAMES = {"localhost", "ip6-localhost"}


@dataclass(frozen=True)
class ServeSettings:
    """Limits and switches of the service; ``from_env`` reads ``TWEETLAB_*`` variables.

    ``api_key``: when set, every ``/v1`` and ``/metrics`` request needs
    ``Authorization: Bearer KEY``. Binding to a non-loopback address requires one.
    """

    host: str = "127.0.0.1"
    port: int = 8000
    api_key: str | None = field(default=None, repr=False)  # never printed
    max_texts: int = 1000
    max_explain_texts: int = 20  # POST /v1/explain scores each text once per word
    # ... so its cost is words x model cost: words per request (a twentieth of it for the
    # slow families, a fine-tuned transformer or sentence vectors)
    max_explain_words: int = 2000
    max_chars: int = 2000
    max_body: int = 1_000_000
    body_timeout: float = 10.0  # seconds to receive a request's whole body (then 408)
    max_connections: int = 256  # open connections and tasks at once (then 503)
    max_csv_body: int = 20_000_000
    max_batch: int = 64
    max_wait_ms: float = 2.0
    # torch threads per process; 0 = auto: 1 when every model is a fast family (under
    # load, requests are the parallelism, and idle OpenMP threads spinning for the core
    # the requests need cost ~25% of the throughput), torch's default otherwise.
    threads: int = 0

    def __post_init__(self) -> None:
        if not 1 <= self.port <= 65535:
            raise ConfigError(f"port {self.port}: must be in 1-65535")
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "threads" and value >= 0:
                continue
            if f.name not in {"host", "api_key"} and value <= 0:
                raise ConfigError(f"serve setting {f.name} = {value!r}: must be > 0")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> ServeSettings:
        """Settings from ``TWEETLAB_API_KEY``, ``TWEETLAB_MAX_TEXTS``... then ``overrides``."""
        source = os.environ if env is None else env
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = source.get(f"TWEETLAB_{f.name.upper()}")
            if raw is None or f.name in {"host", "port"}:
                continue
            if f.name == "api_key":
                values[f.name] = raw or None
                continue
            try:
                values[f.name] = float(raw) if f.name in ("max_wait_ms", "body_timeout") \
                    else int(raw)
            except ValueError:
                raise ConfigError(f"TWEETLAB_{f.name.upper()}={raw!r}: expected a number") from None
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    @property
    def loopback(self) -> bool:
        if self.host in LOOPBACK_NAMES:
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False


def check_exposure(settings: ServeSettings) -> None:
    """Refuse to listen beyond this machine without an API key."""
    if not settings.loopback and not settings.api_key:
        raise ConfigError(f"serving on {settings.host} exposes the API to the network: set "
                          "TWEETLAB_API_KEY (clients send it as 'Authorization: Bearer KEY'), "
                          "or bind to 127.0.0.1")
