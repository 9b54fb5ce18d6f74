"""Data-parallel training (torchrun) against one process, on the same steps.

Each family trains on the disaster tweets twice, through the CLI:
  one:  one process, 2 threads, batches of 2b;
  two:  `torchrun --nproc_per_node 2`, one thread each, batches of b per process
        (the same global batch, so both take the same number of steps of the same size).
It records seconds per epoch (from metrics.json: data loading and process start left out),
the whole command's wall time, and the held-out scores. On a 2-core CPU this measures
what splitting the work costs or saves; on a machine with several GPUs the same command
line spreads training over them.

Usage: python benchmarks/bench_distributed.py [--families cnn,transformer]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import data_dir, machine, save, stamp

SETTINGS = {  # family: (epochs, batch per process in `two`)
    "cnn": (3, 32),
    "lstm": (2, 32),
    "transformer": (1, 16),
}


def run(family: str, mode: str, data: Path, out: Path) -> dict[str, object]:
    epochs, batch = SETTINGS[family]
    args = ["-m", "tweetlab", "train", str(data), "--model", family, "--out", str(out),
            "--set", f"epochs={epochs}", "--set", "patience=100", "--set", "max_seconds=none",
            "--quiet"]
    env = {k: v for k, v in os.environ.items() if k not in ("WORLD_SIZE", "RANK")}
    if mode == "one":
        env["OMP_NUM_THREADS"] = "2"
        cmd = [sys.executable, *args, "--set", f"batch_size={2 * batch}"]
    else:
        env["OMP_NUM_THREADS"] = "1"
        cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone",
               "--nproc_per_node=2", *args, "--set", f"batch_size={batch}"]
    start = time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if done.returncode:
        raise SystemExit(f"{family} {mode} failed:\n{done.stderr[-3000:]}")
    metrics = json.loads((out / "metrics.json").read_text())
    epochs_s = [row["seconds"] for row in metrics["history"]]
    held = metrics["validation"]
    return {"family": family, "mode": mode, "epochs": len(epochs_s),
            "seconds_per_epoch": sum(epochs_s) / len(epochs_s), "wall_seconds": wall,
            "accuracy": held["accuracy"], "macro_f1": held["macro_f1"],
            "global_batch": 2 * batch}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--families", default="cnn,transformer")
    args = parser.parse_args()
    data = data_dir() / "disaster_train.csv.gz"
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for family in args.families.split(","):
            pair = {}
            for mode in ("one", "two"):
                pair[mode] = run(family, mode, data, Path(tmp) / f"{family}-{mode}")
                r = pair[mode]
                print(f"{family:12s} {mode}: {r['seconds_per_epoch']:7.1f} s/epoch, wall "
                      f"{r['wall_seconds']:6.1f} s, held-out accuracy {r['accuracy']:.4f}, "
                      f"macro-F1 {r['macro_f1']:.4f}", flush=True)
            speedup = pair["one"]["seconds_per_epoch"] / pair["two"]["seconds_per_epoch"]
            print(f"{family:12s} two processes / one: {speedup:.2f}x the speed per epoch")
            rows += [pair["one"], {**pair["two"], "speedup_per_epoch": speedup}]
    save("distributed", {"date": stamp(), "machine": machine(), "data": str(data.name),
                         "rows": rows})


if __name__ == "__main__":
    main()
