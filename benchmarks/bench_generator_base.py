"""Warm start (`generator train --from BASE`): does a base generator trained on other
people's tweets help an account's own model?

1. A base char-transformer (the defaults) is trained on English tweets of other people,
   all written before Trump's held-out tweets (2017): the airline file (February 2015)
   and the disaster file (mostly 2015) - nothing from after the held-out period, so the
   base cannot know its topics. `--base-minutes` (default 15) on 2 cores.
2. A small account: Trump's newest `--small` tweets (default 2,000; the newest 5% of
   them held out), trained from scratch and from the base, each for `--minutes`
   (default 5), side by side.
3. `--runs full`: all of Trump's tweets from the base with the 14-minute budget of the
   #5 target (compare with the from-scratch figure of bench_generate.py).

Usage: python benchmarks/bench_generator_base.py [--base-minutes 15] [--small 2000]
       [--minutes 5] [--runs small,full]   -> out/generator_base[_RUNS].json
"""

from __future__ import annotations

import argparse

from common import OUT, data_dir, machine, save, stamp

from tweetlab.data import load_dataset
from tweetlab.generation import TweetCorpus, read_tweets, train_generator


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-minutes", type=float, default=15)
    parser.add_argument("--small", type=int, default=2000)
    parser.add_argument("--minutes", type=float, default=5)
    parser.add_argument("--runs", default="small", help="small, full or both (small,full)")
    parser.add_argument("--warm-lr", default="", help="learning rates of the runs from the "
                        "base, comma-separated (default: the warm-start default, lr / 3); "
                        "the sweep: 3e-3,1e-3,3e-4,1e-4")
    args = parser.parse_args()
    data = data_dir()
    base_dir = OUT / "gen_base_en"
    if (base_dir / "config.json").exists():
        print(f"using the base in {base_dir} (delete it to train a new one)")
    else:
        texts = [t for f in ("airline_train.csv.gz", "disaster_train.csv.gz")
                 for t in load_dataset(data / f, require_labels=False).texts]
        train_generator(texts, "char-transformer", out=base_dir, force=True,
                        overrides=["progress=false", f"max_seconds={args.base_minutes * 60}"])
        print(f"base: {len(texts):,} tweets of other people -> {base_dir}")
    rows = []
    trump = read_tweets(data / "trump_tweets.csv.gz")
    n = len(trump)
    small = TweetCorpus(trump.texts[n - args.small:], trump.ends[n - args.small:],
                        trump.dates[n - args.small:], source=f"trump newest {args.small}")
    warm = [[f"lr={lr}"] for lr in args.warm_lr.split(",") if lr] or [[]]
    runs = []
    if "small" in args.runs:
        runs += [("small", small, None, [])] + [("small", small, base_dir, w) for w in warm]
    if "full" in args.runs:
        runs += [("full", trump, base_dir, w) for w in warm]
    for name, corpus, base, extra in runs:
        minutes = 14 if name == "full" else args.minutes
        gen = train_generator(corpus, "char-transformer", base=base, force=True,
                              out=OUT / f"gen_trump_{name}_{'warm' if base else 'cold'}",
                              overrides=["progress=false", f"max_seconds={minutes * 60}",
                                         *extra])
        m = gen.metrics_
        row = {"account": f"trump ({name}: {m['data']['n_train']:,} training tweets)",
               "start": "base" if base else "random", "minutes": minutes,
               "lr": gen.train_config.lr,
               "valid_bpc": m["valid_bits_per_char"],
               "valid_bpc_network": m.get("valid_bits_per_char_network"),
               "epochs": m["epochs_run"], "train_seconds": m["train_seconds"],
               "n_valid": m["data"]["n_valid"]}
        rows.append(row)
        print(row, flush=True)
    tag = ("" if args.runs == "small" else "_" + args.runs.replace(",", "_")) + \
        ("_lr" + args.warm_lr.replace(",", "_") if args.warm_lr else "")
    save("generator_base" + tag,
         {"date": stamp(), "machine": machine(), "rows": rows, "base": str(base_dir)})


if __name__ == "__main__":
    main()
