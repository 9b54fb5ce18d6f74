"""`tweetlab generator compare` on one account (#5): each generator family trained for the
same minutes on the same tweets, ranked by held-out (newest 5%) bits per character.
Usage: python bench_generator_compare.py [--account petro] [--minutes 3]
"""

from __future__ import annotations

import argparse
import shutil

from common import OUT, data_dir, machine, save, stamp

import tweetlab

SEEDS = {"petro": ("petro_tweets.csv.gz", "las mafias son"),
         "trump": ("trump_tweets.csv.gz", "The fake news media")}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--account", default="petro", choices=sorted(SEEDS))
    parser.add_argument("--minutes", type=float, default=3.0)
    args = parser.parse_args()
    file, prompt = SEEDS[args.account]
    out = OUT / f"gencompare_{args.account}{args.minutes:g}"
    shutil.rmtree(out, ignore_errors=True)  # a fresh measurement, not an earlier run's rows
    board = tweetlab.compare_generators(data_dir() / file, ["char-lstm", "char-transformer"],
                                        out=out, minutes=args.minutes, prompt=prompt,
                                        progress=False)
    print(board.describe())
    print(board.to_markdown())
    rows = [{k: v for k, v in r.items() if k != "history"} for r in board.rows]
    save(f"gencompare_{args.account}{args.minutes:g}",
         {"date": stamp(), "machine": machine(), "rows": rows, "failed": board.failed})


if __name__ == "__main__":
    main()
