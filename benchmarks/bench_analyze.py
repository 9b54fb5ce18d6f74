"""`analyze` end to end: tweets/s and peak memory on 250k and 1M-row files.

The files are built from real tweets (disaster + entity + airline texts, sampled with
replacement) with dates spread over 90 days, a user column and hashtags. Each size is
analyzed in a fresh process (`tweetlab analyze ... --by day --group user`) with a fast
family (--model; default the bundled fasttext-based `es-sentiment`; throughput does not
depend on the language; `en-sentiment` is a tfidf model) and analyze's default worker
processes (--workers to override); the figure is the whole command's wall time (start-up,
reading, cleaning, scoring, aggregating, charts) and the peak RSS of the main process and
of the largest worker. Flat memory = the 1M run's peaks close to the 250k run's.

Also analyzes ../shared/data/petro_tweets.csv.gz by week with the Spanish model and the
entity data by entity, writing the charts used in the README (docs/img/), and Trump's tweets
with the English model (the words it relied on, quoted in the README).
Usage: python benchmarks/bench_analyze.py [--sizes 250000,1000000] [--model DIR] [--workers N]
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import random
import shutil
import sys
from pathlib import Path

from common import OUT, ROOT, data_dir, machine, run_tweetlab, save, stamp

from tweetlab.data import load_dataset

TWEETLAB = [sys.executable, "-m", "tweetlab.cli"]


def build_file(path: Path, n: int, texts: list[str], seed: int = 0) -> None:
    rng = random.Random(seed)
    users = [f"user{i}" for i in range(40)]
    tags = ["#news", "#sports", "#travel", "#gaming", ""]
    with gzip.open(path, "wt", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "date", "user", "text"])
        for i in range(n):
            day = rng.randrange(90)
            text = rng.choice(texts)
            tag = rng.choice(tags)
            w.writerow([i, f"2024-{1 + day // 30:02d}-{1 + day % 28:02d}T{rng.randrange(24):02d}:00:00Z",
                        rng.choice(users), f"{text} {tag}".strip()])


def run_analyze(path: Path, model: str, out: Path, extra: list[str]) -> dict:
    # Peak RSS of the main process, and of the largest worker process (0 without workers).
    r = run_tweetlab(["-q", "analyze", str(path), "--model", model, "--out", str(out),
                      "--force", *extra])
    r["summary"] = next(x for x in r.pop("stdout").splitlines() if x.startswith("scored"))
    return r


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="250000,1000000")
    parser.add_argument("--model", default="es-sentiment")
    parser.add_argument("--workers", default=None, help="analyze --workers (default: auto)")
    args = parser.parse_args()
    data = data_dir()
    texts: list[str] = []
    for name in ("disaster_train.csv.gz", "twitter_entity_train.csv.gz", "airline_train.csv.gz"):
        texts += [t for t in load_dataset(data / name, require_labels=False,
                                          skip_bad_rows=True).texts if t.strip()]
    work = OUT / "analyze"
    work.mkdir(parents=True, exist_ok=True)
    rows = []
    for n in [int(x) for x in args.sizes.split(",")]:
        path = work / f"tweets_{n}.csv.gz"
        if not path.exists():
            build_file(path, n, texts)
        extra = ["--by", "day", "--group", "user"]
        if args.workers:
            extra += ["--workers", str(args.workers)]
        r = run_analyze(path, args.model, work / f"report_{n}", extra)
        r.update({"rows": n, "tweets_per_s_end_to_end": n / r["seconds"]})
        rows.append(r)
        print(f"{n:>9,} rows: {r['seconds']:.1f} s end to end = "
              f"{r['tweets_per_s_end_to_end']:,.0f} tweets/s; peak RSS {r['peak_rss_mb']:.0f} MB"
              f" (largest worker {r['worker_peak_rss_mb']:.0f} MB)"
              f"  [{r['summary']}]", flush=True)
    # Real data for the README: Petro's tweets by week (Spanish), entity data by entity.
    img = ROOT / "docs" / "img"
    img.mkdir(parents=True, exist_ok=True)
    demos = {}
    for name, file, model, extra, charts in [
        ("petro", "petro_tweets.csv.gz", "es-sentiment", ["--by", "week"], True),
        ("entity", "twitter_entity_train.csv.gz", "en-sentiment", ["--by", "all", "--group",
                                                               "entity"], True),
        ("trump", "trump_tweets.csv.gz", "en-sentiment", [], False),  # words only
    ]:
        out = work / f"demo_{name}"
        try:
            r = run_analyze(data / file, model, out, extra)
        except RuntimeError as exc:
            print(f"{name} demo failed: {exc}")
            continue
        # the words the model relied on for each label (words.csv), the top five
        with (out / "words.csv").open(encoding="utf-8") as fh:
            words: dict[str, list[str]] = {}
            for row in csv.DictReader(fh):
                words.setdefault(row["label"], []).append(f"{row['word']} {float(row['bits']):+.1f}")
        r["words"] = {lab: ws[:5] for lab, ws in words.items()}
        demos[name] = r
        print(f"{name}: {r['summary']}; words: {r['words']}", flush=True)
        if not charts:
            continue
        for png in sorted(out.glob("*.png")):
            if "--by" in extra and extra[extra.index("--by") + 1] == "all" and \
                    png.name.startswith("share_over_time"):
                continue  # one period only: the per-group chart says it all
            shutil.copy(png, img / f"analyze_{name}_{png.name}")
    save("analyze", {"date": stamp(), "machine": machine(), "rows": rows, "demos": demos,
                     "model": args.model})
    print(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
