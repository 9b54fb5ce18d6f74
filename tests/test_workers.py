"""Worker processes of predict --input end with their parent, however it is stopped."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import make_corpus

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc, prctl")


def children(pid: int) -> list[int]:
    found = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                stat = (d / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(d.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def start_scoring(tmp_path: Path, command: str = "predict"
                  ) -> tuple[subprocess.Popen, list[int], Path]:
    texts, _ = make_corpus(200)
    big = tmp_path / "big.csv"
    with big.open("w", encoding="utf-8") as fh:
        fh.write("text\n")
        for i in range(200_000):
            fh.write(texts[i % len(texts)].replace(",", " ") + f" {i}\n")
    out = tmp_path / "out.csv"
    args = (["predict", "en-sentiment", "--input", str(big), "--output", str(out)]
            if command == "predict" else
            ["analyze", str(big), "--model", "en-sentiment", "--out", str(tmp_path / "report")])
    proc = subprocess.Popen([sys.executable, "-m", "tweetlab", "-q", *args, "--workers", "2"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while len(workers := children(proc.pid)) < 2:
        assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read()
        time.sleep(0.1)
    time.sleep(2.0)  # the workers load and start scoring
    if command == "predict":  # ... certainly once the first piece reached the output
        while not any(p.name.endswith(".tmp") and p.stat().st_size > 0
                      for p in tmp_path.iterdir()):
            assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read()
            time.sleep(0.1)
    return proc, workers, out


def wait_gone(pids: list[int], seconds: float = 15) -> list[int]:
    deadline = time.monotonic() + seconds
    while (left := [p for p in pids if alive(p)]) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


@pytest.mark.slow  # 200k tweets scored by two workers, ~12 s: make test-slow
def test_sigterm_stops_predict_like_ctrl_c(tmp_path):
    proc, workers, out = start_scoring(tmp_path)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(30) == 130
    assert "interrupted" in proc.stderr.read()
    assert wait_gone(workers) == []
    assert not out.exists()
    assert not [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


@pytest.mark.slow  # 200k tweets scored by two workers, ~12 s: make test-slow
def test_workers_end_when_their_parent_is_killed_outright(tmp_path):
    proc, workers, _ = start_scoring(tmp_path)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    assert wait_gone(workers) == []


def test_sigterm_stops_analyze_and_its_workers(tmp_path):
    proc, workers, _ = start_scoring(tmp_path, "analyze")
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(30) == 130
    assert wait_gone(workers) == []
