"""Tweet generators on two accounts: held-out bits per character, train time, speed, samples.

For each account (Petro in Spanish, Trump in English) and each family (char-lstm,
char-transformer): `train_generator` with its defaults (retweets dropped, truncated
tweets repaired, URLs and mentions removed, case kept; a 14-minute time budget), the
newest 5% of the own tweets held out by time. Reports bits per character on that
held-out part, train seconds, parameters, generation speed (100 tweets, default
sampling, novelty filter on) and a few samples from a seed phrase.
Usage: python benchmarks/bench_generate.py [--accounts petro,trump] [--families ...]
       [--minutes 14] [--set key=value ...]
       python benchmarks/bench_generate.py --speed-only   (generation speed of the models a
       previous run saved in out/gen_*, without training: out/genspeed.json)
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from common import OUT, data_dir, machine, save, stamp

from tweetlab.generation import train_generator

ACCOUNTS = {"petro": ("petro_tweets.csv.gz", "las mafias son"),
            "trump": ("trump_tweets.csv.gz", "The fake news media")}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", default="petro,trump")
    parser.add_argument("--families", default="char-lstm,char-transformer")
    parser.add_argument("--minutes", type=float, default=14)
    parser.add_argument("--set", action="append", default=[])
    parser.add_argument("--speed-only", action="store_true")
    parser.add_argument("--tag", default="", help="suffix of the output JSON and model folders "
                        "(a trial that must not replace the figures of the defaults)")
    parser.add_argument("--baseline", default="", help="for a trial: the defaults it is "
                        "compared with (shown in the trials table)")
    args = parser.parse_args()
    if args.speed_only:
        speed_only(args)
        return
    data = data_dir()
    rows = []
    for account in args.accounts.split(","):
        file, seed_text = ACCOUNTS[account]
        for family in args.families.split(","):
            overrides = ["progress=false", f"max_seconds={args.minutes * 60}", *args.set]
            gen = train_generator(data / file, family, overrides=overrides,
                                  out=OUT / f"gen_{account}_{family}{args.tag}", force=True)
            m = gen.metrics_
            speed = time_generation(gen, seed_text)
            samples = gen.generate(seed_text, n=5, seed=2)
            row = {"account": account, "family": family, "settings": args.set,
                   "valid_bpc": m["valid_bits_per_char"],
                   "valid_bpc_network": m.get("valid_bits_per_char_network"),
                   "ngram": m.get("ngram"),
                   "train_seconds": m["train_seconds"], "epochs": m["epochs_run"],
                   "out_of_time": m["out_of_time"], "parameters": m["parameters"],
                   "n_train": m["data"]["n_train"], "n_valid": m["data"]["n_valid"],
                   "train_characters": m["data"]["train_characters"], **speed,
                   "samples": samples, "history": m["history"]}
            rows.append(row)
            print(f"{account:<6} {family:<16} BPC {row['valid_bpc']:.3f}  train "
                  f"{row['train_seconds']:.0f} s ({row['epochs']} epochs, "
                  f"{row['parameters']:,} params)  generate {row['tweets_per_s']:.1f} tweets/s",
                  flush=True)
            for s in samples:
                print(f"    {s}", flush=True)
    name = "_".join(["generate", *args.accounts.split(","), *args.families.split(",")]) + args.tag
    result = {"date": stamp(), "machine": machine(), "rows": rows}
    if args.baseline:
        result["baseline"] = args.baseline
    save(name, result)


def time_generation(gen: Any, seed_text: str) -> dict[str, Any]:
    """100 tweets from ``seed_text`` (default sampling, novelty filter on), after a warm-up."""
    gen.generate(seed_text, n=5, seed=0)
    start = time.perf_counter()
    outs = gen.generate(seed_text, n=100, seed=1)
    seconds = time.perf_counter() - start
    return {"tweets_per_s": len(outs) / seconds, "rejected_of_100": gen.rejected_,
            "mean_chars": sum(map(len, outs)) / max(len(outs), 1)}


def speed_only(args: argparse.Namespace) -> None:
    from tweetlab.generation import load_generator

    rows = []
    for account in args.accounts.split(","):
        seed_text = ACCOUNTS[account][1]
        for family in args.families.split(","):
            folder = OUT / f"gen_{account}_{family}{args.tag}"
            if not folder.exists():
                print(f"{folder}: not there (run without --speed-only first)")
                continue
            gen = load_generator(folder)
            row = {"account": account, "family": family, **time_generation(gen, seed_text),
                   "parameters": gen.parameters, "folder": folder.name}
            if gen.ngram_ is not None:  # the same model without its n-gram, side by side
                ngram, gen.ngram_ = gen.ngram_, None
                alone = time_generation(gen, seed_text)
                gen.ngram_ = ngram
                row["network_alone"] = alone
                print(f"{account:<6} {family:<16} network alone {alone['tweets_per_s']:.1f} "
                      f"tweets/s (mean {alone['mean_chars']:.0f} characters)", flush=True)
            rows.append(row)
            print(f"{account:<6} {family:<16} {row['tweets_per_s']:.1f} tweets/s "
                  f"(mean {row['mean_chars']:.0f} characters, {row['rejected_of_100']} rejected)",
                  flush=True)
    save("genspeed" + args.tag, {"date": stamp(), "machine": machine(), "rows": rows})


if __name__ == "__main__":
    main()
