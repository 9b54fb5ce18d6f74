"""Scoring 1M tweets: one process vs the built-in process pool vs Ray Data on a local Ray.

    python benchmarks/bench_ray.py [--tweets 1000000] [--model en-sentiment]

The file: Sentiment140's 100,000 tweets (`../shared/data`), shuffled and repeated to
`--tweets` rows, with an id and a date, as one CSV (the built-in paths read one file) and
as 8 CSV parts (what Ray reads in parallel). Each way runs in a fresh process, one after
the other, on the same machine:

* predict, one process:  `predict_file(..., workers=1)` -> Parquet
* predict, pool:         `predict_file(..., workers=<cores>)` -> Parquet (the CLI's default
                          for a file this size)
* predict, ray:          `raydata.predict` (`--engine ray`), one actor per core -> Parquet
                          dataset; timed from `ray.init`, start-up included, and without it
* analyze, the same three ways (by day, no group).

Peak memory per process: the high-water mark of resident memory (VmHWM) of the process
itself, of each pool worker, of each Ray actor. Also measured: the scoring rate of one
core alone (`score_frame` on 10,000-tweet batches in memory, no reading or writing), for
the on-paper estimate of N machines (`render`).

Writes out/ray.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from common import data_dir, machine, save, stamp


def hwm(pid: int) -> float:
    """The peak resident memory of process ``pid`` so far, in MB (0 when gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _is_child(pid: str, me: str) -> bool:
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return any(line.startswith("PPid:") and line.split()[1] == me for line in text.splitlines())


def _is_actor(pid: str, me: str) -> bool:
    try:
        title = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return False
    return title.startswith("ray::") and "Batch" in title


class Sampler(threading.Thread):
    """Every 0.2 s, the peak memory of the processes ``match`` picks (pool workers, which
    are gone when the call returns; Ray actors), kept per process."""

    def __init__(self, match: Callable[[str, str], bool]) -> None:
        super().__init__(daemon=True)
        self.match, self.peaks, self.done = match, {}, threading.Event()

    def run(self) -> None:
        me = str(os.getpid())
        while not self.done.wait(0.2):
            for entry in Path("/proc").glob("[0-9]*"):
                if self.match(entry.name, me):
                    self.peaks[entry.name] = max(self.peaks.get(entry.name, 0.0), hwm(int(entry.name)))

    def stop(self) -> list[float]:
        self.done.set()
        self.join()
        return list(self.peaks.values())


def run_one(mode: str, args: argparse.Namespace) -> dict[str, object]:
    """One way, in this (fresh) process."""
    import pandas as pd  # noqa: F401 (imported before the clock starts, as the CLI has it)

    from tweetlab import raydata
    from tweetlab.analysis import analyze
    from tweetlab.api import predict_file

    task, engine = mode.split("-")
    cores = os.cpu_count() or 1
    tmp = Path(args.tmp)
    out = tmp / f"{mode}.parquet"
    sampler = Sampler(_is_actor if engine == "ray" else _is_child)
    sampler.start()
    start = time.perf_counter()
    ray_ready = start
    if engine == "ray":
        import ray

        ray.init(num_cpus=cores + 1, include_dashboard=False, log_to_driver=False,
                 logging_level="WARNING")
        ray_ready = time.perf_counter()
        if task == "predict":
            raydata.predict(args.model, tmp / "parts", out, progress=False)
        else:
            raydata.analyze(tmp / "parts", args.model, by="day", progress=False)
    else:
        workers = 1 if engine == "one" else cores
        if task == "predict":
            predict_file(args.model, tmp / "all.csv", out, workers=workers)
        else:
            analyze(tmp / "all.csv", args.model, by="day", progress=False, workers=workers)
    seconds = time.perf_counter() - start
    sampled = sampler.stop()
    if engine == "ray":
        import ray

        ray.shutdown()
    return {"mode": mode, "tweets": args.tweets, "seconds": seconds,
            "tweets_per_s": args.tweets / seconds,
            "seconds_after_start": seconds - (ray_ready - start),
            "tweets_per_s_after_start": args.tweets / (seconds - (ray_ready - start)),
            "driver_peak_mb": hwm(os.getpid()),
            "worker_peak_mb": sorted(round(m) for m in sampled)}


def core_rate(args: argparse.Namespace) -> dict[str, float]:
    """Tweets/s of one core scoring 10,000-tweet batches in memory (`score_frame`), and
    the seconds the driver of `analyze` on Ray takes to add up one block's tally."""
    import pandas as pd
    import torch

    import tweetlab

    torch.set_num_threads(1)
    frame = pd.read_csv(Path(args.tmp) / "all.csv", nrows=200_000)
    model = tweetlab.load(args.model)
    tweetlab.score_frame(model, frame.iloc[:1000])
    start = time.perf_counter()
    for i in range(0, len(frame), 10_000):
        tweetlab.score_frame(model, frame.iloc[i:i + 10_000])
    rate = len(frame) / (time.perf_counter() - start)
    from tweetlab import raydata
    from tweetlab.analysis import Tally
    from tweetlab.bundled import resolve

    layout = raydata.Layout([str(Path(args.tmp) / "all.csv")], "csv", None)
    labels = list(model.output_labels)
    counter = raydata._AnalyzeBatch(resolve(args.model), layout.roles, "day", None, 5, None,
                                    labels)
    parts = [counter(frame.iloc[i:i + 10_000]) for i in range(0, 100_000, 10_000)]
    tally = Tally(labels, None, 5, False)
    start = time.perf_counter()
    for part in parts:
        tally.merge_frame(part[part["kind"] != "skipped"])
    return {"core_tweets_per_s": rate, "merge_seconds_per_block":
            (time.perf_counter() - start) / len(parts)}


def make_data(tmp: Path, n: int) -> None:
    import pandas as pd

    s140 = pd.read_csv(data_dir() / "sentiment140_100k.csv.gz", encoding="latin-1")
    texts = s140["text"].astype(str).tolist()
    random.Random(0).shuffle(texts)
    texts = (texts * (n // len(texts) + 1))[:n]
    frame = pd.DataFrame({"id": range(n), "text": texts})
    # about a year of tweets, in order
    frame["date"] = (pd.Timestamp("2024-01-01")
                     + pd.to_timedelta(frame["id"] * (365 * 86400 // n), unit="s")).astype(str)
    frame.to_csv(tmp / "all.csv", index=False)
    (tmp / "parts").mkdir()
    size = -(-n // 8)
    for i in range(8):
        frame.iloc[i * size:(i + 1) * size].to_csv(tmp / "parts" / f"part-{i}.csv", index=False)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--tweets", type=int, default=1_000_000)
    p.add_argument("--model", default="en-sentiment")
    p.add_argument("--mode")
    p.add_argument("--tmp")
    args = p.parse_args()
    if args.mode:  # a child: one way, its figures as JSON on the last line
        result = core_rate(args) if args.mode == "core" else run_one(args.mode, args)
        print(json.dumps(result))
        return
    data_dir()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        make_data(Path(tmp), args.tweets)
        for mode in ("core", "predict-one", "predict-pool", "predict-ray",
                     "analyze-one", "analyze-pool", "analyze-ray"):
            done = subprocess.run([sys.executable, __file__, "--mode", mode, "--tmp", tmp,
                                   "--tweets", str(args.tweets), "--model", args.model],
                                  capture_output=True, text=True)
            if done.returncode:
                raise SystemExit(f"{mode} failed:\n{done.stderr[-3000:]}")
            got = json.loads(done.stdout.strip().splitlines()[-1])
            rows.append({"mode": mode, **got} if mode == "core" else got)
            print(rows[-1], flush=True)
    result = {"date": stamp(), "machine": machine(), "tweets": args.tweets,
              "model": args.model, "rows": rows}
    save("ray", result)
    render(result)


def render(result: dict) -> None:
    rows = {r["mode"]: r for r in result["rows"]}
    print("| task | way | seconds | tweets/s | vs pool | without Ray's start | "
          "peak MB: main process | peak MB: each worker / actor |")
    print("|---|---|---:|---:|---:|---:|---:|---|")
    for task in ("predict", "analyze"):
        pool = rows[f"{task}-pool"]["tweets_per_s"]
        for way in ("one", "pool", "ray"):
            r = rows[f"{task}-{way}"]
            after = f"{r['tweets_per_s_after_start']:,.0f}/s" if way == "ray" else ""
            print(f"| {task} | {way} | {r['seconds']:.1f} | {r['tweets_per_s']:,.0f} | "
                  f"{r['tweets_per_s'] / pool:.2f}x | {after} | {r['driver_peak_mb']:,.0f} | "
                  f"{', '.join(map(str, r['worker_peak_mb'])) or '-'} |")
    core = rows["core"]["core_tweets_per_s"]
    merge = rows["core"].get("merge_seconds_per_block")
    print(f"one core scoring in memory: {core:,.0f} tweets/s")
    if merge:
        print(f"analyze: the driver adds up a 10,000-tweet block's tally in {merge * 1000:.0f} ms:"
              f" at most {10_000 / merge:,.0f} tweets/s however many machines score")
    cores = int(result["machine"].split()[0])
    for task in ("predict", "analyze"):
        r = rows[f"{task}-ray"]
        n, after = r["tweets"], r["seconds_after_start"]
        start = r["seconds"] - after
        per_core = n / (after * cores)  # end to end, all Ray's costs included
        blocks = n / 10_000
        beyond = (after - n / (cores * core)) / blocks  # per block, beyond scoring
        print(f"{task} on Ray: {per_core:,.0f} tweets/s per core end to end; beyond scoring "
              f"{beyond * 1000:,.0f} ms per 10,000-tweet block (reading, moving, writing, "
              f"Ray's own processes); start-up {start:.1f} s")
        for machines in (1, 10, 100):
            rate = machines * 16 * per_core
            print(f"  on paper, {machines} x 16 cores: {rate:,.0f} tweets/s, 100M tweets in "
                  f"{start + 1e8 / rate:,.0f} s")


if __name__ == "__main__":
    main()
