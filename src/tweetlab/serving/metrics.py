"""Request counters and latency histograms in the Prometheus text format (no dependency)."""

from __future__ import annotations

import threading
from collections import defaultdict

BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class Metrics:
    """Counts requests, errors and latency per route; ``render()`` gives /metrics text.

    >>> m = Metrics(); m.observe("/v1/predict", 200, 0.004); m.observe("/v1/predict", 422, 0.001)
    >>> 'tweetlab_requests_total{route="/v1/predict",status="422"} 1' in m.render()
    True
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: dict[tuple[str, int], int] = defaultdict(int)
        self.buckets: dict[str, list[int]] = defaultdict(lambda: [0] * (len(BUCKETS) + 1))
        self.sums: dict[str, float] = defaultdict(float)
        self.texts: dict[str, int] = defaultdict(int)
        self.batches: list[int] = [0, 0]  # micro-batches run, texts in them

    def observe(self, route: str, status: int, seconds: float) -> None:
        with self._lock:
            self.requests[(route, status)] += 1
            counts = self.buckets[route]
            for i, edge in enumerate(BUCKETS):
                if seconds <= edge:
                    counts[i] += 1
                    break
            else:
                counts[-1] += 1
            self.sums[route] += seconds

    def count_texts(self, model: str, n: int) -> None:
        with self._lock:
            self.texts[model] += n

    def count_batch(self, size: int) -> None:
        with self._lock:
            self.batches[0] += 1
            self.batches[1] += size

    def render(self) -> str:
        with self._lock:
            out = ["# HELP tweetlab_requests_total HTTP requests by route and status.",
                   "# TYPE tweetlab_requests_total counter"]
            for (route, status), n in sorted(self.requests.items()):
                out.append(f'tweetlab_requests_total{{route="{route}",status="{status}"}} {n}')
            out += ["# HELP tweetlab_errors_total Responses with status >= 400 by route.",
                    "# TYPE tweetlab_errors_total counter"]
            errors: dict[str, int] = defaultdict(int)
            for (route, status), n in self.requests.items():
                if status >= 400:
                    errors[route] += n
            for route, n in sorted(errors.items()):
                out.append(f'tweetlab_errors_total{{route="{route}"}} {n}')
            out += ["# HELP tweetlab_request_seconds Request latency.",
                    "# TYPE tweetlab_request_seconds histogram"]
            for route, counts in sorted(self.buckets.items()):
                cum = 0
                for edge, n in zip((*BUCKETS, float("inf")), counts, strict=True):
                    cum += n
                    le = "+Inf" if edge == float("inf") else repr(edge)
                    out.append(f'tweetlab_request_seconds_bucket{{route="{route}",le="{le}"}} {cum}')
                out.append(f'tweetlab_request_seconds_sum{{route="{route}"}} {self.sums[route]:.6f}')
                out.append(f'tweetlab_request_seconds_count{{route="{route}"}} {cum}')
            out += ["# HELP tweetlab_texts_total Tweets labelled by model.",
                    "# TYPE tweetlab_texts_total counter"]
            for model, n in sorted(self.texts.items()):
                out.append(f'tweetlab_texts_total{{model="{model}"}} {n}')
            out += ["# HELP tweetlab_microbatches_total Micro-batches of single-text requests.",
                    "# TYPE tweetlab_microbatches_total counter",
                    f"tweetlab_microbatches_total {self.batches[0]}",
                    "# TYPE tweetlab_microbatched_texts_total counter",
                    f"tweetlab_microbatched_texts_total {self.batches[1]}"]
            return "\n".join(out) + "\n"
