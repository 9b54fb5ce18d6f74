"""bf16 autocast on the CPU vs float32, side by side: train seconds and held-out scores.

On a CPU that computes bf16 natively (AVX512-BF16 or AMX; ``cpu_has_bf16()``), the torch
families train under bf16 autocast by default (``amp=true``); ``--set amp=false`` keeps
float32. This trains each family both ways on the disaster tweets (the fixed 20% test split
of bench_families), alternating the order so that a slow minute of the machine does not
fall on one side only, and each generator family for one epoch on Trump both ways.
(The LSTMs opt out - ``cpu_bf16 = False``: autocast changed neither the lstm classifier's
scores nor its speed, and the char-lstm's faster epochs learned less in 14 minutes - so
``--families lstm`` and ``--generators char-lstm`` now compare float32 with float32. Each
family first trains once untimed on 200 tweets, so that loading falls on neither side.)
Usage: python benchmarks/bench_cpu_bf16.py [--families cnn,bow-mlp,transformer]
       [--transformer-epochs 1] [--generators char-transformer]
"""

from __future__ import annotations

import argparse

from common import Timer, data_dir, machine, save, stamp
from datasets import load_tasks

import tweetlab
from tweetlab.data import Dataset
from tweetlab.generation import train_generator
from tweetlab.training import cpu_has_bf16


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--families", default="cnn,bow-mlp,transformer")
    parser.add_argument("--transformer-epochs", type=int, default=1)
    parser.add_argument("--generators", default="char-transformer",
                        help="generator families trained one epoch on Trump both ways "
                             "('' for none)")
    args = parser.parse_args()
    data = data_dir()
    if not cpu_has_bf16():
        print("this CPU has no native bf16: amp=true trains in float32 here; nothing to compare")
        return
    task = load_tasks(data, ["disaster"])[0]
    rows = []
    for i, family in enumerate(args.families.split(",")):
        extra = [f"epochs={args.transformer_epochs}"] if family == "transformer" else []
        # untimed warm-up (library and kernel loading would fall on the first side only)
        tweetlab.train(Dataset(texts=task.train.texts[:200], labels=task.train.labels[:200]),
                       family, overrides=["progress=false", "epochs=1"], valid_size=0)
        sides = ["true", "false"] if i % 2 == 0 else ["false", "true"]
        for amp in sides:
            with Timer() as t:
                model = tweetlab.train(task.train, family,
                                       overrides=["progress=false", f"amp={amp}", *extra])
            report = tweetlab.evaluate(model, task.test)
            rows.append({"what": family, "amp": amp == "true", "seconds": t.seconds,
                         "positive_f1": report.extra.get("positive_f1"),
                         "accuracy": report.accuracy, "bf16": model.metrics_.get("bf16")})
            print(f"{family:<12} amp={amp:<5} {t.seconds:7.1f} s  positive F1 "
                  f"{rows[-1]['positive_f1']:.4f}  accuracy {report.accuracy:.4f}", flush=True)
    for family in filter(None, args.generators.split(",")):
        for amp in ["true", "false"]:
            gen = train_generator(data / "trump_tweets.csv.gz", family,
                                  overrides=["progress=false", "epochs=1", f"amp={amp}"])
            m = gen.metrics_
            rows.append({"what": f"{family} (Trump, 1 epoch)", "amp": amp == "true",
                         "seconds": m["history"][0]["seconds"],
                         "valid_bpc_network": m["valid_bits_per_char_network"],
                         "bf16": m.get("bf16")})
            print(f"{family} amp={amp:<5} epoch {rows[-1]['seconds']:.1f} s  network "
                  f"{rows[-1]['valid_bpc_network']:.4f} bits/char", flush=True)
    save("cpu_bf16", {"date": stamp(), "machine": machine(), "rows": rows})
    print("\n| what | float32 s | bf16 s | speed-up | float32 score | bf16 score |")
    print("|---|---:|---:|---:|---:|---:|")
    for what in dict.fromkeys(r["what"] for r in rows):
        on = next(r for r in rows if r["what"] == what and r["amp"])
        off = next(r for r in rows if r["what"] == what and not r["amp"])
        key = "positive_f1" if "positive_f1" in on else "valid_bpc_network"
        print(f"| {what} | {off['seconds']:.1f} | {on['seconds']:.1f} | "
              f"{off['seconds'] / on['seconds']:.2f}x | {off[key]:.4f} | {on[key]:.4f} |")


if __name__ == "__main__":
    main()
