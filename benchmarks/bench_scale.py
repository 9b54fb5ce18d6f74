"""Training on a Sentiment140-sized file: wall time and peak memory of `tweetlab train`.

Builds ~1.48M labelled tweets from the entity file (its 73,824 non-empty rows, 20 times,
each copy after the first marked with a suffix word " rN" so that texts differ), writes
them to out/scale/big.csv.gz, then runs `tweetlab train` for each family in a fresh
process that reports its own peak resident memory (getrusage). The
scores are meaningless (near-copies sit on both sides of the split); the point is time and
memory on a 2-core laptop.
`tfidf-features` runs tfidf up to its solver (reading, cleaning, the TF-IDF features of all
rows): the solver alone takes over 20 minutes at this size.
Usage: python benchmarks/bench_scale.py [--families fasttext,tfidf-features] [--copies 20]
"""

from __future__ import annotations

import argparse
import csv
import gzip
import subprocess
import sys
import time
from pathlib import Path

from common import OUT, data_dir, machine, save, stamp


def build(path: Path, copies: int) -> int:
    with gzip.open(data_dir() / "twitter_entity_train.csv.gz", "rt", encoding="utf-8") as fh:
        rows = [(r["text"], r["label"]) for r in csv.DictReader(fh) if r["text"].strip()]
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["text", "label"])
        for rep in range(copies):
            w.writerows((t if rep == 0 else f"{t} r{rep}", lab) for t, lab in rows)
    return len(rows) * copies


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--families", default="fasttext,tfidf-features")
    parser.add_argument("--copies", type=int, default=20)
    args = parser.parse_args()
    big = OUT / "scale" / "big.csv.gz"
    n = build(big, args.copies)
    print(f"{n:,} tweets in {big}", flush=True)
    rows = []
    for family in args.families.split(","):
        cmd = ["-q", "train", str(big), "--model", family, "--out",
               str(OUT / "scale" / family), "--force"]
        # each run in a fresh process that reports its own peak resident memory
        code = ("import resource, sys; from tweetlab.cli import main; rc = main(sys.argv[1:]); "
                "print('MAXRSS_KB', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss); "
                "sys.exit(rc)")
        if family == "tfidf-features":  # tfidf up to its solver: read, clean, features
            cmd = [str(big)]
            code = ("import resource, sys; from tweetlab.data import load_dataset; "
                    "from tweetlab.config import CleaningConfig; "
                    "from tweetlab.models.tfidf import NgramTfidf, TfidfConfig; "
                    "from tweetlab.text import normalize_many; "
                    "ds = load_dataset(sys.argv[1]); "
                    "X = NgramTfidf(TfidfConfig()).fit_transform("
                    "normalize_many(ds.texts, CleaningConfig())); "
                    "print('features', X.shape, X.nnz); "
                    "print('MAXRSS_KB', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)")
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, "-c", code, *cmd], capture_output=True, text=True)
        seconds = time.perf_counter() - start
        if proc.returncode != 0:
            print(proc.stdout, proc.stderr, file=sys.stderr)
            raise SystemExit(f"{family} failed")
        lines = proc.stdout.strip().splitlines()
        peak_kb = int(next(ln for ln in lines if ln.startswith("MAXRSS_KB")).split()[1])
        row = {"family": family, "tweets": n, "wall_seconds": round(seconds, 1),
               "peak_rss_mb": round(peak_kb / 1024),
               "output": [ln for ln in lines if not ln.startswith("MAXRSS_KB")][-3:]}
        rows.append(row)
        print(f"{family:<10} {seconds:7.1f} s  peak RSS {peak_kb / 1024:,.0f} MB", flush=True)
    save("scale", {"date": stamp(), "machine": machine(), "rows": rows})


if __name__ == "__main__":
    main()
