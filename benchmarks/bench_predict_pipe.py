"""`tweetlab predict MODEL < lines.txt`: tweets piped in, one per line, timed end to end.

Builds 20,000 lines from the disaster tweets (repeated), pipes them into a fresh
`tweetlab predict` process (start-up and model loading included) `--runs` times, and
reports the best wall time. `--src DIR` runs another checkout's `src` (e.g. a worktree of
an older commit) for a before/after comparison in the same minutes.

Usage: python benchmarks/bench_predict_pipe.py [--lines 20000] [--model es-sentiment]
       [--runs 3] [--src DIR]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

from common import OUT, data_dir, machine, save, stamp

from tweetlab.data import load_dataset


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=20_000)
    parser.add_argument("--model", default="es-sentiment")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--src", help="another checkout's src folder to run instead")
    args = parser.parse_args()
    texts = [t.replace("\n", " ").replace("\r", " ") for t in
             load_dataset(data_dir() / "disaster_train.csv.gz", require_labels=False).texts]
    lines = (texts * (args.lines // len(texts) + 1))[:args.lines]
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / "pipe_lines.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    env = dict(os.environ)
    if args.src:
        env["PYTHONPATH"] = args.src
    times = []
    for _ in range(args.runs):
        with path.open("rb") as fh:
            start = time.perf_counter()
            proc = subprocess.run([sys.executable, "-m", "tweetlab.cli", "predict", "-m",
                                   args.model], stdin=fh, capture_output=True, env=env)
            times.append(time.perf_counter() - start)
        if proc.returncode != 0:
            raise SystemExit(proc.stderr.decode()[-2000:])
        assert len(proc.stdout.splitlines()) == args.lines
    best = min(times)
    print(f"{args.lines:,} piped lines: best of {args.runs} {best:.2f} s "
          f"({args.lines / best:,.0f} lines/s, start-up included)"
          + (f" [src {args.src}]" if args.src else ""))
    save("predict_pipe" + ("_src" if args.src else ""),
         {"date": stamp(), "machine": machine(), "lines": args.lines, "model": args.model,
          "seconds": times, "src": args.src})


if __name__ == "__main__":
    main()
