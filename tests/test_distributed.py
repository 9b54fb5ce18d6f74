"""Data-parallel training (torchrun, gloo on the CPU): the same steps as one process that
accumulates gradients, and the CLI's train / generator train in two processes."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

import tweetlab
from tweetlab import distributed

pytestmark = pytest.mark.skipif(not torch.distributed.is_available(),
                                reason="this torch build has no torch.distributed")

# One training run of a small module with a dense and a sparse (EmbeddingBag) part,
# batches from a seeded order, a validation set: rank 0 writes the weights and history.
WORKER = textwrap.dedent("""
    import json, sys
    from pathlib import Path
    import numpy as np
    import torch
    from torch import nn
    from safetensors.torch import save_file
    from tweetlab import distributed
    from tweetlab.config import TrainConfig
    from tweetlab.training import train_module

    out, accumulate, max_seconds, optimizer = (sys.argv[1], int(sys.argv[2]),
                                               float(sys.argv[3]), sys.argv[4])
    checkpoint, resume = (sys.argv[5], sys.argv[6] == "resume") if len(sys.argv) > 5 \
        else (None, False)
    if len(sys.argv) > 7 and distributed.rank() == 1:  # a checkpoint folder of its own
        checkpoint = sys.argv[7]

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.EmbeddingBag(50, 8, mode="mean", sparse=True)
            self.hidden = nn.Linear(8 + 4, 16)
            self.out = nn.Linear(16, 3)
            self.unused = nn.Linear(2, 2)  # never gets a gradient

        def forward(self, ids, x):
            h = torch.cat([self.emb(ids), x], dim=1)
            return self.out(torch.relu(self.hidden(h)))

    torch.manual_seed(1 + distributed.rank())  # different start: the broadcast must fix it
    module = Net()
    g = np.random.default_rng(0)
    ids = torch.from_numpy(g.integers(0, 50, size=(96, 5)))
    x = torch.from_numpy(g.normal(size=(96, 4)).astype(np.float32))
    y = torch.from_numpy(g.integers(0, 3, size=96))
    bs = 8

    def batches(epoch):
        order = np.random.default_rng([7, epoch]).permutation(96)
        for s in range(0, 96, bs):
            i = torch.from_numpy(order[s:s + bs])
            yield ids[i], x[i], y[i]

    def valid():
        for s in range(0, 96, 20):
            yield ids[s:s + 20], x[s:s + 20], y[s:s + 20]

    cfg = TrainConfig(epochs=3, lr=0.05, optimizer=optimizer, schedule="linear",
                      warmup=0.1, accumulate=accumulate, amp=False, progress=False,
                      patience=10, checkpoint_seconds=0,
                      max_seconds=max_seconds if max_seconds > 0 else None)
    result = train_module(module, batches, 96 // bs, cfg, valid_batches=valid,
                          checkpoint_dir=Path(checkpoint) if checkpoint else None,
                          resume=resume)
    state = {k: v.contiguous() for k, v in module.state_dict().items()}
    if distributed.is_main():
        save_file(state, out)
        with open(out + ".json", "w") as fh:
            json.dump({"history": result.history, "world": distributed.world_size(),
                       "resumed_from": result.resumed_from_epoch}, fh)
    else:  # every process ends with the same weights
        save_file(state, out + f".rank{distributed.rank()}")
    distributed.shutdown()
    distributed.exit_if_joined(0)  # (as a script of one's own under torchrun should end)
""")


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("WORLD_SIZE", "RANK", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT")}
    env["OMP_NUM_THREADS"] = "1"
    env["CUDA_VISIBLE_DEVICES"] = ""  # gloo on the CPU, whatever the machine has
    return env


def _torchrun(args: list[str], cwd: Path, processes: int = 2,
              timeout: float = 240) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone",
         f"--nproc_per_node={processes}", *args],
        cwd=cwd, env=_env(), capture_output=True, text=True, timeout=timeout)


# sgd stays in the fast suite: the equivalence of data-parallel and one process, end to end.
@pytest.mark.parametrize("optimizer", [pytest.param("adam", marks=pytest.mark.slow), "sgd"])
def test_two_processes_take_the_steps_of_one_that_accumulates(tmp_path: Path,
                                                              optimizer: str) -> None:
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    two = _torchrun([str(script), str(tmp_path / "two.safetensors"), "1", "0", optimizer],
                    tmp_path)
    assert two.returncode == 0, two.stderr[-3000:]
    one = subprocess.run([sys.executable, str(script), str(tmp_path / "one.safetensors"), "2",
                          "0", optimizer],
                         cwd=tmp_path, env=_env(), capture_output=True, text=True, timeout=120)
    assert one.returncode == 0, one.stderr[-3000:]
    a, b = load_file(tmp_path / "two.safetensors"), load_file(tmp_path / "one.safetensors")
    other = load_file(tmp_path / "two.safetensors.rank1")
    for k in a:
        torch.testing.assert_close(a[k], b[k], atol=2e-5, rtol=1e-4, msg=k)
        assert torch.equal(a[k], other[k]), k  # the processes never drift apart
    ha = json.loads((tmp_path / "two.safetensors.json").read_text())
    hb = json.loads((tmp_path / "one.safetensors.json").read_text())
    assert ha["world"] == 2 and hb["world"] == 1
    for ra, rb in zip(ha["history"], hb["history"], strict=True):
        for key in ("valid_loss", "valid_accuracy", "valid_macro_f1", "train_loss", "lr"):
            assert ra[key] == pytest.approx(rb[key], rel=1e-4, abs=1e-5), key


def _run_leaving_a_checkpoint(tmp_path: Path) -> tuple[Path, Path]:
    """(the worker script, the checkpoint folder) after a two-process run of 3 epochs,
    which leaves the checkpoint of epoch 2 (the last epoch writes none)."""
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    ckpt = tmp_path / "ckpt"
    full = _torchrun([str(script), str(tmp_path / "full.safetensors"), "1", "0", "adam",
                      str(ckpt), "fresh"], tmp_path)
    assert full.returncode == 0, full.stderr[-3000:]
    assert (ckpt / "checkpoint.safetensors").exists()
    return script, ckpt


@pytest.mark.slow  # several processes for seconds each: make test-slow
def test_two_processes_resume_from_the_checkpoint_of_the_first(tmp_path: Path) -> None:
    # A second run resumes from the first one's checkpoint, each process reading rank 0's
    # file, and must end where the first ended.
    script, ckpt = _run_leaving_a_checkpoint(tmp_path)
    again = _torchrun([str(script), str(tmp_path / "again.safetensors"), "1", "0", "adam",
                       str(ckpt), "resume"], tmp_path)
    assert again.returncode == 0, again.stderr[-3000:]
    assert json.loads((tmp_path / "again.safetensors.json").read_text())["resumed_from"] == 2
    a, b = load_file(tmp_path / "full.safetensors"), load_file(tmp_path / "again.safetensors")
    other = load_file(tmp_path / "again.safetensors.rank1")
    for k in a:
        torch.testing.assert_close(a[k], b[k], atol=1e-6, rtol=1e-5, msg=k)
        assert torch.equal(b[k], other[k]), k


@pytest.mark.slow  # several processes for seconds each: make test-slow
def test_processes_that_would_resume_from_different_places_stop(tmp_path: Path) -> None:
    script, ckpt = _run_leaving_a_checkpoint(tmp_path)
    # Process 1 sees no checkpoint (its machine does not share the folder): it would
    # start from epoch 1 while process 0 resumes after epoch 2.
    split = _torchrun([str(script), str(tmp_path / "split.safetensors"), "1", "0", "adam",
                       str(ckpt), "resume", str(tmp_path / "elsewhere")], tmp_path)
    assert split.returncode != 0
    assert "the processes would resume from different places" in split.stderr


@pytest.mark.slow  # several processes for seconds each: make test-slow
def test_a_time_budget_stops_every_process_together(tmp_path: Path) -> None:
    script = tmp_path / "worker.py"
    # A budget far shorter than the run: without one agreed clock a process would stop
    # while the other waits for its gradients (and the run would hang, then time out).
    script.write_text(WORKER.replace("epochs=3", "epochs=100000"))
    run = _torchrun([str(script), str(tmp_path / "t.safetensors"), "1", "1.5", "adam"],
                    tmp_path, timeout=120)
    assert run.returncode == 0, run.stderr[-3000:]
    assert load_file(tmp_path / "t.safetensors").keys() == \
        load_file(tmp_path / "t.safetensors.rank1").keys()


def _tweets(path: Path, n: int = 400) -> Path:
    import random

    rng = random.Random(0)
    good, bad = "great love happy nice good".split(), "bad hate awful sad poor".split()
    fill = "the a day movie food service it was so really".split()
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["text", "label"])
        for _ in range(n):
            pos = rng.random() < 0.5
            words = rng.choices(fill, k=5) + rng.choices(good if pos else bad, k=2)
            rng.shuffle(words)
            w.writerow([" ".join(words), "pos" if pos else "neg"])
    return path


@pytest.mark.slow  # several processes for seconds each: make test-slow
def test_cli_train_in_two_processes(tmp_path: Path) -> None:
    data = _tweets(tmp_path / "d.csv")
    run = _torchrun(["-m", "tweetlab", "train", str(data), "--model", "cnn", "--out",
                     str(tmp_path / "m"), "--set", "epochs=3"], tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout.count("saved cnn model") == 1  # one process reports
    assert "process 0 of 2 (gloo)" in run.stderr
    model = tweetlab.load(tmp_path / "m")
    assert model.predict(["great love happy day", "awful sad bad day"]) == ["pos", "neg"]
    metrics = json.loads((tmp_path / "m" / "metrics.json").read_text())
    assert metrics["validation"]["accuracy"] > 0.9
    assert metrics["processes"] == 2
    assert "data-parallel in 2 processes" in (tmp_path / "m" / "README.md").read_text()
    assert not list(tmp_path.glob(".m*"))  # nor a hidden checkpoint folder


def test_one_process_families_refuse_torchrun(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    data = _tweets(tmp_path / "d.csv", 60)
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", "0")
    with pytest.raises(tweetlab.errors.ConfigError,
                       match="tfidf trains in one process: run it without torchrun"):
        tweetlab.train(data, "tfidf", out=tmp_path / "m")
    assert not (tmp_path / "m").exists()


def test_only_train_commands_run_under_torchrun(monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    from tweetlab.cli import main

    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", "1")
    assert distributed.active() and not distributed.is_main()
    assert main(["info", "en-sentiment"]) == 2
    assert "only `train` and `generator train`" in capsys.readouterr().err


def test_shard_gives_every_process_as_many_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    assert list(distributed.shard(range(7), 7)) == list(range(7))  # one process: all
    monkeypatch.setenv("WORLD_SIZE", "3")
    got = []
    for r in range(3):
        monkeypatch.setenv("RANK", str(r))
        got.append(list(distributed.shard(range(7), 7)))
    assert got == [[0, 3], [1, 4], [2, 5]]
    monkeypatch.setenv("RANK", "2")
    assert list(distributed.shard(range(7))) == [2, 5]  # validation: no cut
    monkeypatch.setenv("WORLD_SIZE", "x")
    with pytest.raises(tweetlab.errors.ConfigError, match="WORLD_SIZE"):
        distributed.world_size()


@pytest.mark.slow  # several processes for seconds each: make test-slow
def test_cli_generator_train_in_two_processes(tmp_path: Path) -> None:
    import random

    rng = random.Random(1)
    words = "the people love our great country and jobs will be back soon".split()
    with (tmp_path / "tw.csv").open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["text", "date"])
        for i in range(300):
            w.writerow([" ".join(rng.choices(words, k=rng.randint(5, 12))) + "!",
                        f"2020-01-{1 + i % 28:02d} {i % 24:02d}:00:00"])
    run = _torchrun(["-m", "tweetlab", "generator", "train", "tw.csv", "--out", "g",
                     "--set", "epochs=2", "--set", "hidden=64"], tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout.count("saved char-lstm generator") == 1
    assert run.stdout.count("held-out:") == 1
    gen = tweetlab.load_generator(tmp_path / "g")
    assert gen.generate("the people", n=2, seed=0)[0].startswith("the people")


def test_shard_stops_every_process_at_the_same_round(monkeypatch: pytest.MonkeyPatch) -> None:
    # A count larger than the items (a family's estimate gone wrong): no process may get
    # a batch the others do not have.
    monkeypatch.setenv("WORLD_SIZE", "2")
    got = []
    for r in range(2):
        monkeypatch.setenv("RANK", str(r))
        got.append(list(distributed.shard(range(5), 8)))
    assert got == [[0, 2], [1, 3]]


@pytest.mark.slow  # several processes for seconds each: make test-slow
def test_processes_option_launches_the_processes_itself(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capfd: pytest.CaptureFixture[str]) -> None:
    from tweetlab.cli import main

    for key, value in _env().items():
        monkeypatch.setenv(key, value)
    data = _tweets(tmp_path / "d.csv")
    assert main(["train", str(data), "--model", "cnn", "--processes", "2", "--out",
                 str(tmp_path / "m"), "--set", "epochs=2"]) == 0
    metrics = json.loads((tmp_path / "m" / "metrics.json").read_text())
    assert metrics["processes"] == 2
    assert "--processes" not in metrics["command"]  # each process ran the plain command
    # A failure in the first process is reported once, with its exit status.
    assert main(["train", str(data), "--model", "cnn", "--processes=2", "--out",
                 str(tmp_path / "m")]) == 2
    err = capfd.readouterr().err
    assert err.count("already exists") == 1
    assert main(["train", str(data), "--model", "tfidf", "--processes", "2"]) == 2
    assert main(["train", str(data), "--model", "cnn", "--processes", "none"]) == 2
    err = capfd.readouterr().err
    assert "tfidf trains in one process" in err and "--processes 'none'" in err


def test_processes_gpus_without_gpus_trains_in_one_process(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tweetlab.cli import main

    monkeypatch.setattr(torch.cuda, "device_count", lambda: 0)
    data = _tweets(tmp_path / "d.csv", 100)
    assert main(["train", str(data), "--model", "cnn", "--processes", "gpus", "--out",
                 str(tmp_path / "m"), "--set", "epochs=1"]) == 0
    assert "processes" not in json.loads((tmp_path / "m" / "metrics.json").read_text())


@pytest.mark.slow  # several processes for seconds each: make test-slow
def test_stopping_the_launcher_stops_every_process(tmp_path: Path) -> None:
    import signal
    import time

    data = _tweets(tmp_path / "d.csv")
    out = tmp_path / "stopped-model"
    proc = subprocess.Popen(
        [sys.executable, "-m", "tweetlab", "train", str(data), "--model", "cnn", "--out",
         str(out), "--processes", "2", "--set", "epochs=100000", "--set", "patience=100000",
         "--set", "checkpoint_seconds=0"],
        cwd=tmp_path, env=_env(), stderr=subprocess.PIPE, text=True)
    checkpoint = tmp_path / ".stopped-model.checkpoint" / "checkpoint.safetensors"
    deadline = time.monotonic() + 120
    while not checkpoint.exists() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.2)
    assert checkpoint.exists()
    proc.send_signal(signal.SIGTERM)  # as a job scheduler stops a job
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert err.count("interrupted; the same command plus --resume continues it") == 1
    left = []  # no process of the run is left training
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if str(out).encode() in cmdline.read_bytes():
                left.append(cmdline.parent.name)
        except OSError:  # a process that ended meanwhile
            pass
    assert left == []
    assert checkpoint.exists() and not out.exists()


def test_local_device(monkeypatch: pytest.MonkeyPatch) -> None:
    cpu = torch.device("cpu")
    assert distributed.local_device(cpu) == cpu
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", "1")
    monkeypatch.setenv("LOCAL_RANK", "1")
    monkeypatch.setenv("LOCAL_WORLD_SIZE", "2")
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    assert distributed.local_device(torch.device("cuda")) == torch.device("cuda", 1)
    with pytest.raises(tweetlab.errors.ConfigError, match="without an index"):
        distributed.local_device(torch.device("cuda", 0))
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    with pytest.raises(tweetlab.errors.ConfigError, match="one process per GPU"):
        distributed.local_device(torch.device("cuda"))


def test_a_process_that_trained_data_parallel_ends_without_the_interpreter_teardown() -> None:
    # gloo's threads could abort a finished run during teardown (SIGABRT, ~1 in 100 runs);
    # after a data-parallel command the process leaves with os._exit, its output flushed.
    import subprocess
    import sys

    code = ("import atexit, sys; from tweetlab import distributed; "
            "atexit.register(lambda: print('teardown ran')); "
            "print('saved', end=''); sys.stderr.write('said'); "
            "distributed.exit_if_joined(0); print(' - no group: returned'); "
            "distributed._joined = True; distributed.exit_if_joined(3)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 3
    assert done.stdout == "saved - no group: returned\n" and done.stderr == "said"


def test_sparse_families_on_gpus_say_why_ddp_cannot_carry_them(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", "0")
    sparse = torch.nn.EmbeddingBag(10, 4, sparse=True)
    with pytest.raises(tweetlab.errors.ConfigError, match="cannot all-reduce over NCCL"):
        distributed.wrap(sparse, torch.device("cuda"))
    monkeypatch.setenv("WORLD_SIZE", "1")
    assert distributed.wrap(sparse, torch.device("cpu")) is sparse  # one process: as it is
