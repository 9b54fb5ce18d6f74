"""DistributedDataParallel (what `train_module` uses) vs the hand-written gradient sum it
replaced (`legacy_grad_sum.py`), on the same steps, in one run.

Two processes (`torch.distributed.run --standalone`, gloo, one thread each) train the
modules of three families - lstm and cnn (dense embeddings, the families' default sizes,
20,000 words) and fasttext (sparse EmbeddingBag of 2^18 + 20,000 rows x 100) - on
seeded synthetic batches of 32 tweets x 40 tokens per process, Adam, for 5 warm-up and
60 timed optimizer steps, with `accumulate` 1 and 2 (DDP skips the all-reduce of the
first batch of each group with `no_sync`; the old code never summed before the group's
end either). Reports milliseconds per optimizer step and checks that both ways end with
the same weights (largest absolute difference).

Usage: python benchmarks/bench_ddp.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

from common import machine, save, stamp

WORKER = textwrap.dedent("""
    import json, sys, time
    import torch
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel
    sys.path.insert(0, sys.argv[4])
    from legacy_grad_sum import average_gradients
    from tweetlab.models.cnn import CNNConfig, CNNModule
    from tweetlab.models.fasttext import FastTextModule
    from tweetlab.models.lstm import LSTMConfig, LSTMModule

    family, mode, accumulate = sys.argv[1], sys.argv[2], int(sys.argv[3])
    torch.set_num_threads(1)
    dist.init_process_group("gloo")
    rank = dist.get_rank()
    torch.manual_seed(0)
    if family == "lstm":
        module = LSTMModule(20_000, LSTMConfig(), 3)
    elif family == "cnn":
        module = CNNModule(20_000, CNNConfig(), 3)
    else:
        module = FastTextModule((1 << 18) + 20_000, 100, 3)
    g = torch.Generator().manual_seed(1 + rank)

    def batch():
        ids = torch.randint(1, 20_000, (32, 40), generator=g)
        y = torch.randint(0, 3, (32,), generator=g)
        if family in ("lstm", "cnn"):
            return (ids, torch.full((32,), 40)), y
        flat = torch.randint(0, (1 << 18) + 20_000, (32 * 60,), generator=g)
        return (flat, torch.arange(0, 32 * 60, 60)), y

    net = DistributedDataParallel(module, find_unused_parameters=True) if mode == "ddp" \\
        else module
    dense = [p for n, p in module.named_parameters() if not n.startswith("embedding.")]
    opts = [torch.optim.Adam(dense if family == "fasttext" else module.parameters(), lr=1e-3)]
    if family == "fasttext":
        opts.append(torch.optim.SparseAdam([module.embedding.weight], lr=1e-3))
    loss_fn = torch.nn.CrossEntropyLoss()
    steps, warm = 65, 5
    data = [batch() for _ in range(steps * accumulate)]
    times = []
    for s in range(steps):
        t0 = time.perf_counter()
        for o in opts:
            o.zero_grad(set_to_none=True)
        for k in range(accumulate):
            inputs, y = data[s * accumulate + k]
            last = k == accumulate - 1
            ctx = net.no_sync() if mode == "ddp" and not last else __import__("contextlib").nullcontext()
            with ctx:
                (loss_fn(net(*inputs), y) / accumulate).backward()
        if mode == "legacy":
            average_gradients(module)
        for o in opts:
            o.step()
        if s >= warm:
            times.append(time.perf_counter() - t0)
    state = {k: v.detach().clone() for k, v in module.state_dict().items()}
    if rank == 0:
        torch.save(state, sys.argv[5])
        json.dump({"ms_per_step": 1000 * sum(times) / len(times),
                   "parameters": sum(p.numel() for p in module.parameters())},
                  open(sys.argv[5] + ".json", "w"))
    dist.destroy_process_group()
""")


def run(family: str, mode: str, accumulate: int, tmp: Path) -> dict[str, float]:
    script = tmp / "worker.py"
    script.write_text(WORKER)
    out = tmp / f"{family}-{mode}-{accumulate}.pt"
    env = {k: v for k, v in os.environ.items() if k not in ("WORLD_SIZE", "RANK")}
    env.update(OMP_NUM_THREADS="1", CUDA_VISIBLE_DEVICES="")
    done = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone",
                           "--nproc_per_node=2", str(script), family, mode, str(accumulate),
                           str(Path(__file__).parent), str(out)],
                          env=env, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"{family} {mode} failed:\n{done.stderr[-3000:]}")
    return json.loads(Path(str(out) + ".json").read_text())


def main() -> None:
    import torch

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for family in ("lstm", "cnn", "fasttext"):
            for accumulate in (1, 2):
                got = {mode: run(family, mode, accumulate, Path(tmp)) for mode in ("legacy", "ddp")}
                a = torch.load(Path(tmp) / f"{family}-legacy-{accumulate}.pt")
                b = torch.load(Path(tmp) / f"{family}-ddp-{accumulate}.pt")
                diff = max(float((a[k] - b[k]).abs().max()) for k in a)
                row = {"family": family, "accumulate": accumulate,
                       "parameters": got["ddp"]["parameters"],
                       "legacy_ms": round(got["legacy"]["ms_per_step"], 1),
                       "ddp_ms": round(got["ddp"]["ms_per_step"], 1),
                       "speedup": round(got["legacy"]["ms_per_step"] / got["ddp"]["ms_per_step"], 2),
                       "max_weight_diff": diff}
                rows.append(row)
                print(row, flush=True)
    print("| family | parameters | accumulate | hand-written sum, ms/step | DDP, ms/step | "
          "DDP speed-up | largest weight difference |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['family']} | {r['parameters']:,} | {r['accumulate']} | {r['legacy_ms']} | "
              f"{r['ddp_ms']} | {r['speedup']}x | {r['max_weight_diff']:.1e} |")
    save("ddp", {"date": stamp(), "machine": machine(), "rows": rows})


if __name__ == "__main__":
    main()
