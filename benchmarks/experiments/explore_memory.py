"""Where training on a large file spends memory (RESULTS.md Notes, 2026-11-28 20:40 UTC).

`--mode stack` (default): trains fasttext for one epoch on the file in this process while a
thread samples the resident memory every 50 ms and, at each new peak (150 MB above the
last), prints the main thread's Python stack: what was running when memory grew.
`--mode steps`: time and peak memory of `normalize_many` and then `TokenIds.of` over the
file's texts, each in a fresh process (run it on two checkouts to compare).

The file: `out/scale/big.csv.gz`, which `bench_scale.py` writes (1.48M tweets).
Usage: python benchmarks/explore_memory.py [--mode stack|steps] [--data FILE]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import threading
import time
import traceback

from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/: common, datasets
from common import OUT

_STEP = """
import resource, sys, time
from tweetlab.config import CleaningConfig
from tweetlab.data import load_dataset
from tweetlab.text import normalize_many
from tweetlab.text.tokenize import TokenIds
peak = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
ds = load_dataset(sys.argv[1])
before = peak(); t = time.perf_counter()
texts = normalize_many(ds.texts, CleaningConfig())
print(f"normalize_many: {time.perf_counter() - t:.1f} s, peak {before} -> {peak()} MB")
del ds
before = peak(); t = time.perf_counter()
tokens = TokenIds.of(texts)
print(f"TokenIds.of: {time.perf_counter() - t:.1f} s, peak {before} -> {peak()} MB, "
      f"{len(tokens.ids):,} tokens")
"""


def rss_mb() -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) // 1024
    return 0


def stack_mode(data: str) -> None:
    import tweetlab
    from tweetlab.data import load_dataset

    main_id = threading.get_ident()
    marks: list[tuple[float, int, str]] = []
    start = time.time()

    def sampler() -> None:
        best = 0
        while True:
            now = rss_mb()
            if now > best + 150:
                best = now
                frame = sys._current_frames().get(main_id)
                stack = [f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno} {f.name}"
                         for f in traceback.extract_stack(frame)][-5:]
                marks.append((time.time() - start, now, " <- ".join(reversed(stack))))
            time.sleep(0.05)

    threading.Thread(target=sampler, daemon=True).start()
    ds = load_dataset(data)
    tweetlab.train(ds, model="fasttext", overrides=["progress=false", "epochs=1"])
    for t, mb, stack in marks:
        print(f"{t:6.1f} s {mb:6,} MB  {stack}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode", choices=["stack", "steps"], default="stack")
    parser.add_argument("--data", default=str(OUT / "scale" / "big.csv.gz"))
    args = parser.parse_args()
    if args.mode == "stack":
        stack_mode(args.data)
    else:
        subprocess.run([sys.executable, "-c", _STEP, args.data], check=True)


if __name__ == "__main__":
    main()
