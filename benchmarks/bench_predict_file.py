"""`predict --input FILE --output FILE`: wall time and peak memory on 250k and 1M rows.

The files are the ones `bench_analyze.py` builds (real tweets from the disaster, entity
and airline files, sampled with replacement, with id, date and user columns), written
if missing. Each size runs in a fresh process
(`tweetlab predict MODEL --input tweets.csv.gz --output predictions.csv.gz`), timed
end to end (start-up, reading, scoring, writing), with the process's peak RSS. Flat
memory = the 1M run's peaks close to the 250k run's (the main process's peak and the
largest worker's: `--workers`, default one per core for files this size). `--load`
also times and measures `load_dataset` alone on each file.

Usage: python benchmarks/bench_predict_file.py [--sizes 250000,1000000] [--model NAME]
       [--output-suffix .csv.gz] [--tag NAME] [--load] [--workers N]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from bench_analyze import build_file
from common import OUT, data_dir, machine, run_tweetlab, save, stamp

from tweetlab.data import load_dataset

_LOAD = ("import resource, sys, time\n"
         "from tweetlab.data import load_dataset\n"
         "t = time.perf_counter(); ds = load_dataset(sys.argv[1], require_labels=False)\n"
         "print('LOAD', len(ds), time.perf_counter() - t, "
         "resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, flush=True)")


def run_predict(path: Path, model: str, out: Path, extra: list[str]) -> dict:
    r = run_tweetlab(["-q", "predict", model, "--input", str(path), "--output", str(out),
                      "--force", *extra])
    r["summary"] = next(x for x in r.pop("stdout").splitlines() if x.startswith("wrote"))
    r["output_mb"] = out.stat().st_size / 1e6
    return r


def run_load(path: Path) -> dict:
    proc = subprocess.run([sys.executable, "-c", _LOAD, str(path)], capture_output=True,
                          text=True, check=True)
    _, n, seconds, rss = next(x for x in proc.stdout.splitlines()
                              if x.startswith("LOAD")).split()
    return {"rows": int(n), "seconds": float(seconds), "peak_rss_mb": int(rss) / 1024}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="250000,1000000")
    parser.add_argument("--model", default="es-sentiment")
    parser.add_argument("--output-suffix", default=".csv.gz")
    parser.add_argument("--tag", default="")
    parser.add_argument("--load", action="store_true")
    parser.add_argument("--workers", default=None, help="predict --workers (default: auto)")
    args = parser.parse_args()
    work = OUT / "analyze"  # shared with bench_analyze.py: the same input files
    work.mkdir(parents=True, exist_ok=True)
    texts: list[str] | None = None
    rows = []
    for n in [int(x) for x in args.sizes.split(",")]:
        path = work / f"tweets_{n}.csv.gz"
        if not path.exists():
            if texts is None:
                data = data_dir()
                texts = [t for name in ("disaster_train.csv.gz", "twitter_entity_train.csv.gz",
                                        "airline_train.csv.gz")
                         for t in load_dataset(data / name, require_labels=False,
                                               skip_bad_rows=True).texts if t.strip()]
            build_file(path, n, texts)
        r = run_predict(path, args.model, work / f"predictions_{n}{args.output_suffix}",
                        ["--workers", args.workers] if args.workers else [])
        r.update({"rows": n, "tweets_per_s": n / r["seconds"]})
        if args.load:
            r["load_dataset"] = run_load(path)
        rows.append(r)
        print(f"{n:>9,} rows: {r['seconds']:.1f} s end to end = {r['tweets_per_s']:,.0f} "
              f"tweets/s; peak RSS {r['peak_rss_mb']:.0f} MB (largest worker "
              f"{r['worker_peak_rss_mb']:.0f} MB); output {r['output_mb']:.1f} MB"
              + (f"; load_dataset alone {r['load_dataset']['seconds']:.1f} s, peak RSS "
                 f"{r['load_dataset']['peak_rss_mb']:.0f} MB" if args.load else ""),
              flush=True)
    save(f"predict_file{args.tag}", {"date": stamp(), "machine": machine(), "rows": rows,
                                     "model": args.model, "output": args.output_suffix,
                                     "workers": args.workers or "auto"})
    print(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
