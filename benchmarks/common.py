"""Helpers shared by the benchmark scripts: where the data is, the machine, output files."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out"


def data_dir() -> Path:
    """``$TWEETLAB_DATA`` or ``../shared/data`` beside the repository; exits 0 if missing."""
    path = Path(os.environ.get("TWEETLAB_DATA", ROOT.parent / "shared" / "data"))
    if not path.is_dir():
        print(f"skipped: no shared data at {path} (set TWEETLAB_DATA)")
        sys.exit(0)
    return path


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import torch

    return (f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, "
            f"torch {torch.__version__}, threads {torch.get_num_threads()}")


def stamp() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")


def reference_python() -> str | None:
    """The interpreter with TensorFlow and fastText (``make bench-ref``), if any."""
    candidates = [os.environ.get("TWEETLAB_REF_PYTHON"), str(ROOT / ".venv-ref" / "bin" / "python")]
    for c in candidates:
        if c and Path(c).exists():
            return c
    return None


def run_reference(script: str, payload: dict) -> dict:
    """Run ``benchmarks/reference/SCRIPT`` in the reference interpreter; JSON in, JSON out."""
    py = reference_python()
    if py is None:
        raise RuntimeError("no reference interpreter: run `make bench-ref` first")
    OUT.mkdir(parents=True, exist_ok=True)
    inp = OUT / f"{script}.input.json"
    inp.write_text(json.dumps(payload))
    proc = subprocess.run([py, str(ROOT / "benchmarks" / "reference" / script), str(inp)],
                          capture_output=True, text=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    if proc.returncode != 0:
        raise RuntimeError(f"{script} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


_WITH_PEAK = ("import resource, sys; sys.argv = ['tweetlab'] + sys.argv[1:]\n"
              "from tweetlab.cli import main\n"
              "code = main()\n"
              "print('MAXRSS', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "
              "resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, flush=True)\n"
              "sys.exit(code)")


def run_tweetlab(args: list[str]) -> dict:
    """``tweetlab ARGS`` in a fresh process: wall seconds, its stdout, and the peak RSS
    of the process and of its largest child (worker processes; 0 without)."""
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", _WITH_PEAK, *args], capture_output=True,
                          text=True)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-2000:])
    rss = next(x.split()[1:] for x in proc.stdout.splitlines() if x.startswith("MAXRSS"))
    return {"seconds": seconds, "stdout": proc.stdout, "peak_rss_mb": int(rss[0]) / 1024,
            "worker_peak_rss_mb": int(rss[1]) / 1024}


def save(name: str, result: dict) -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{name}.json"
    path.write_text(json.dumps(result, indent=2))
    return path


class Timer:
    def __enter__(self) -> Timer:
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.start
