"""The first request to a freshly started server, per bundled model, and what a model's
first call costs right after loading (what the server now pays while starting, by scoring
one tweet per model before it takes requests).

Usage: python benchmarks/bench_first_request.py   (~15 s; each model in this one process)
"""

from __future__ import annotations

import time

from common import save, stamp
from fastapi.testclient import TestClient

from tweetlab.bundled import available, resolve
from tweetlab.models import load_model
from tweetlab.serving import ServeSettings, create_app

TWEET = ["what a day it is"]


def main() -> None:
    rows = []
    for name in available():
        model = load_model(resolve(name))
        start = time.perf_counter()
        model.predict_proba(TWEET)
        first_call = time.perf_counter() - start
        start = time.perf_counter()
        model.predict_proba(TWEET)
        second_call = time.perf_counter() - start
        start = time.perf_counter()
        with TestClient(create_app([name], ServeSettings())) as client:
            started = time.perf_counter() - start
            requests = []
            for _ in range(3):
                t = time.perf_counter()
                assert client.post("/v1/predict", json={"texts": TWEET}).status_code == 200
                requests.append(time.perf_counter() - t)
        rows.append({"model": name, "first_call_ms": 1000 * first_call,
                     "second_call_ms": 1000 * second_call, "server_start_s": started,
                     "requests_ms": [1000 * r for r in requests]})
        print(f"{name:<24} first call after loading {1000 * first_call:7.1f} ms, then "
              f"{1000 * second_call:5.1f} ms | server start {started:4.1f} s, first requests "
              + ", ".join(f"{1000 * r:.1f}" for r in requests) + " ms", flush=True)
    save("first_request", {"when": stamp(), "rows": rows})


if __name__ == "__main__":
    main()
