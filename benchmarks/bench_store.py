"""The tweet store (DuckDB): adding 1M tweets, analyzing them all, then a day's 10,000 more.

    python benchmarks/bench_store.py [--tweets 1000000] [--model en-sentiment]

Sentiment140's 100,000 tweets (`../shared/data`), shuffled and repeated with distinct ids
and a year of dates. Times: `store.add_tweets` of the 1M (one transaction per 10,000);
`analyze_store` by day, which scores the 1M (worker processes, one per core) and counts in
SQL; the same again (nothing new to score); 10,000 new tweets added, and `analyze_store`
once more.
Writes out/store.json.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

from common import data_dir, machine, save, stamp

from tweetlab import store


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--tweets", type=int, default=1_000_000)
    p.add_argument("--model", default="en-sentiment")
    args = p.parse_args()
    import pandas as pd

    s140 = pd.read_csv(data_dir() / "sentiment140_100k.csv.gz", encoding="latin-1")
    texts = s140["text"].astype(str).tolist()
    random.Random(0).shuffle(texts)
    n = args.tweets + 10_000
    step = 365 * 86400 // n

    def recs(lo: int, hi: int):
        for i in range(lo, hi):
            yield {"id": str(i), "text": texts[i % len(texts)], "user": f"u{i % 5000}",
                   "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(1704067200 + i * step))}

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "t.duckdb"
        t = time.perf_counter()
        store.add_tweets(db, recs(0, args.tweets))
        rows.append({"step": f"add {args.tweets:,} tweets", "seconds": time.perf_counter() - t})
        for label in ("analyze: all new", "analyze again: nothing new"):
            t = time.perf_counter()
            r = store.analyze_store(db, args.model, by="day", progress=False)
            rows.append({"step": label, "seconds": time.perf_counter() - t, "new": r.n_new,
                         "counted": r.n_scored})
        t = time.perf_counter()
        store.add_tweets(db, recs(args.tweets, n))
        r = store.analyze_store(db, args.model, by="day", progress=False)
        rows.append({"step": "add 10,000 more, analyze", "seconds": time.perf_counter() - t,
                     "new": r.n_new, "counted": r.n_scored})
        size = db.stat().st_size
    for row in rows:
        row["tweets_per_s"] = (row.get("new") or args.tweets) / row["seconds"]
        print(row, flush=True)
    print("| step | seconds | new tweets scored | tweets counted | tweets/s (new or added) |")
    print("|---|---:|---:|---:|---:|")
    for row in rows:
        print(f"| {row['step']} | {row['seconds']:.1f} | {row.get('new', '')} | "
              f"{row.get('counted', '')} | {row['tweets_per_s']:,.0f} |")
    print(f"store size: {size / 1e6:.0f} MB")
    save("store", {"date": stamp(), "machine": machine(), "rows": rows, "bytes": size})


if __name__ == "__main__":
    main()
