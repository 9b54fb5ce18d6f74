"""Load on loopback: throughput and p50/p99 latency of `tweetlab serve`, errors counted.

The server runs as its own process (`python -m tweetlab.cli serve MODEL`, one uvicorn
worker); the load comes from wrk (Debian's package) with one thread, so each gets about
one of the two cores. Every run is bounded in time (--seconds, default 10 s per level).

* single-text requests (`{"texts": [one tweet]}`, tweets cycling over real ones) at
  concurrency 1, 16 and 64: requests/s, p50 and p99 latency;
* batch requests of --batch tweets (default 500) at concurrency 2: tweets/s.
* --soak N: N seconds at moderate load (concurrency 4, single texts), sampling the
  server's RSS every 10 s: errors and memory growth.

Usage: python benchmarks/bench_serve.py [--model en-sentiment] [--seconds 10] [--soak 600]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from common import OUT, data_dir, machine, save, stamp

from tweetlab.data import load_dataset


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def lua_script(bodies: list[str], path: Path) -> Path:
    items = ",\n".join(f"[==[{b}]==]" for b in bodies)
    path.write_text(
        f"local bodies = {{\n{items}\n}}\nlocal i = 0\n"
        'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
        "request = function()\n  i = i % #bodies + 1\n"
        '  return wrk.format("POST", "/v1/predict", nil, bodies[i])\nend\n', encoding="utf-8")
    return path


def to_ms(text: str) -> float:
    m = re.match(r"([\d.]+)(us|ms|s)", text)
    assert m, text
    value, unit = float(m.group(1)), m.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


def run_wrk(url: str, script: Path, conns: int, seconds: float) -> dict:
    proc = subprocess.run(["wrk", "-t1", f"-c{conns}", f"-d{int(seconds)}s", "--latency",
                           "--timeout", "30s",
                           "-s", str(script), url], capture_output=True, text=True,
                          timeout=seconds + 60)
    out = proc.stdout
    if "Requests/sec" not in out:
        raise SystemExit(f"wrk failed (exit {proc.returncode}):\n{out}\n{proc.stderr}")
    lat = dict(re.findall(r"^\s+(50|75|90|99)%\s+(\S+)\s*$", out, re.M))
    if "99" not in lat:
        raise SystemExit(f"no latency distribution in wrk's output:\n{out}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = (int(non2xx.group(1)) if non2xx else 0) + \
        (sum(int(x) for x in sock.groups()) if sock else 0)
    total = int(re.search(r"(\d+) requests in", out).group(1))
    return {"concurrency": conns, "requests": total, "requests_per_s": rps,
            "p50_ms": to_ms(lat["50"]), "p99_ms": to_ms(lat["99"]), "errors": errors}


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="en-sentiment")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--levels", default="1,16,64")
    parser.add_argument("--workers", type=int, default=1, help="server processes")
    parser.add_argument("--soak", type=float, default=0, help="soak seconds (0: none)")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("skipped: wrk is not installed (apt-get install wrk)")
        return
    tweets = [t for t in load_dataset(data_dir() / "disaster_train.csv.gz").texts if t.strip()]
    OUT.mkdir(parents=True, exist_ok=True)
    single = lua_script([json.dumps({"texts": [t]}) for t in tweets[:500]], OUT / "single.lua")
    batch = lua_script([json.dumps({"texts": tweets[i:i + args.batch]})
                        for i in range(0, 5 * args.batch, args.batch)], OUT / "batch.lua")
    port = free_port()
    env = {**os.environ, "TWEETLAB_MAX_TEXTS": str(max(1000, args.batch))}
    server = subprocess.Popen([sys.executable, "-m", "tweetlab.cli", "-q", "serve", args.model,
                               "--port", str(port), "--workers", str(args.workers)], env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(url + "/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        run_wrk(url, single, 4, 2)  # warm-up
        rows = []
        for c in [int(x) for x in args.levels.split(",")]:
            r = run_wrk(url, single, c, args.seconds)
            r["kind"] = "single"
            rows.append(r)
            print(f"single text, concurrency {c:>3}: {r['requests_per_s']:8,.0f} req/s  "
                  f"p50 {r['p50_ms']:6.2f} ms  p99 {r['p99_ms']:6.2f} ms  errors {r['errors']}",
                  flush=True)
        r = run_wrk(url, batch, 2, args.seconds)
        r.update(kind="batch", batch=args.batch, tweets_per_s=r["requests_per_s"] * args.batch)
        rows.append(r)
        print(f"batch of {args.batch}, concurrency 2: {r['tweets_per_s']:,.0f} tweets/s "
              f"p50 {r['p50_ms']:.1f} ms p99 {r['p99_ms']:.1f} ms errors {r['errors']}", flush=True)
        soak = None
        if args.soak:
            samples: list[tuple[float, float]] = []
            stop = threading.Event()

            def sample() -> None:
                t0 = time.time()
                while not stop.is_set():
                    samples.append((time.time() - t0, rss_mb(server.pid)))
                    stop.wait(10)

            th = threading.Thread(target=sample)
            th.start()
            r = run_wrk(url, single, 4, args.soak)
            stop.set()
            th.join()
            first = samples[1][1] if len(samples) > 1 else samples[0][1]
            soak = {**r, "seconds": args.soak, "rss_mb": samples,
                    "rss_start_mb": first, "rss_end_mb": samples[-1][1],
                    "rss_max_mb": max(s for _, s in samples)}
            print(f"soak {args.soak:.0f} s at concurrency 4: {r['requests']:,} requests, "
                  f"errors {r['errors']}, RSS {first:.0f} -> {samples[-1][1]:.0f} MB "
                  f"(max {soak['rss_max_mb']:.0f})", flush=True)
        metrics = urllib.request.urlopen(url + "/metrics").read().decode()
        batches = re.search(r"tweetlab_microbatches_total (\d+)", metrics)
        texts = re.search(r"tweetlab_microbatched_texts_total (\d+)", metrics)
        mean_batch = int(texts.group(1)) / max(int(batches.group(1)), 1)
        print(f"micro-batches: {batches.group(1)}, mean size {mean_batch:.1f}")
    finally:
        server.terminate()
        server.wait(10)
    tag = f"_w{args.workers}" if args.workers > 1 else ""
    save(f"serve_{Path(args.model).name}{tag}", {"date": stamp(), "machine": machine(), "workers": args.workers,
                                            "model": args.model, "rows": rows, "soak": soak,
                                            "mean_microbatch": mean_batch})


if __name__ == "__main__":
    main()
