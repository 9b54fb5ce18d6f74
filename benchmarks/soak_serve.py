"""Soak `tweetlab serve` at a moderate, paced load: errors and memory over time.

Starts the server (bundled models by default) as its own process; 4 client threads
send single-text and small-batch requests on keep-alive connections, paced to --rate
requests/s in all, for --seconds (default 600, bounded). Every 10 s the server's RSS is
sampled. Reports requests, errors (any status other than 200, or a connection error),
latency percentiles and RSS at the start (after warm-up) and end.
Usage: python benchmarks/soak_serve.py [--seconds 600] [--rate 100] [--model en-sentiment]
"""

from __future__ import annotations

import argparse
import http.client
import json
import subprocess
import sys
import threading
import time
import urllib.request

from bench_serve import free_port, rss_mb
from common import data_dir, machine, save, stamp

from tweetlab.data import load_dataset


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=600)
    parser.add_argument("--rate", type=float, default=100, help="requests per second in all")
    parser.add_argument("--model", default=None, help="default: all bundled models")
    args = parser.parse_args()
    tweets = [t for t in load_dataset(data_dir() / "disaster_train.csv.gz").texts if t.strip()]
    port = free_port()
    cmd = [sys.executable, "-m", "tweetlab.cli", "-q", "serve", "--port", str(port)]
    server = subprocess.Popen(cmd + ([args.model] if args.model else []))
    models = ["en-sentiment", "es-sentiment", "disaster"] if not args.model else [None]
    for _ in range(300):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            break
        except OSError:
            time.sleep(0.2)
    stop = time.time() + args.seconds
    lock = threading.Lock()
    latencies: list[float] = []
    errors: list[str] = []
    samples: list[tuple[float, float]] = []
    threads = 4
    interval = threads / args.rate

    def client(k: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        i = k
        next_at = time.time()
        while time.time() < stop:
            i += threads
            n = 1 if i % 5 else 20  # mostly single texts, some small batches
            body = json.dumps({"model": models[i % len(models)],
                               "texts": [tweets[(i + j) % len(tweets)] for j in range(n)]})
            start = time.perf_counter()
            try:
                conn.request("POST", "/v1/predict", body, {"Content-Type": "application/json"})
                resp = conn.getresponse()
                resp.read()
                ok = resp.status == 200
                detail = str(resp.status)
            except OSError as exc:
                ok, detail = False, type(exc).__name__
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            with lock:
                latencies.append(time.perf_counter() - start)
                if not ok:
                    errors.append(detail)
            next_at += interval
            time.sleep(max(0.0, next_at - time.time()))

    workers = [threading.Thread(target=client, args=(k,)) for k in range(threads)]
    t0 = time.time()
    for w in workers:
        w.start()
    while any(w.is_alive() for w in workers):
        samples.append((time.time() - t0, rss_mb(server.pid)))
        time.sleep(10)
    for w in workers:
        w.join()
    server.terminate()
    server.wait(10)
    lat = sorted(latencies)
    start_rss = samples[1][1] if len(samples) > 1 else samples[0][1]
    result = {"date": stamp(), "machine": machine(), "seconds": args.seconds, "rate": args.rate,
              "requests": len(lat), "errors": len(errors), "error_kinds": sorted(set(errors)),
              "p50_ms": lat[len(lat) // 2] * 1000, "p99_ms": lat[int(len(lat) * 0.99)] * 1000,
              "rss_mb": samples, "rss_start_mb": start_rss, "rss_end_mb": samples[-1][1],
              "rss_max_mb": max(s for _, s in samples)}
    save("soak", result)
    print(f"soak {args.seconds:.0f} s at {args.rate:.0f} req/s: {len(lat):,} requests, "
          f"{len(errors)} errors; p50 {result['p50_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms; "
          f"RSS {start_rss:.0f} -> {samples[-1][1]:.0f} MB (max {result['rss_max_mb']:.0f})")


if __name__ == "__main__":
    main()
