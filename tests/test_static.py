"""The package type-checks and lints clean (the settings are in pyproject.toml).

Skipped where the dev tools are not installed; ``make test`` installs them.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _run(module: str, *args: str) -> subprocess.CompletedProcess[str]:
    if importlib.util.find_spec(module) is None:
        pytest.skip(f"{module} is not installed")
    return subprocess.run([sys.executable, "-m", module, *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)


def test_mypy_finds_no_type_errors(tmp_path: Path) -> None:
    out = _run("mypy", "--cache-dir", str(tmp_path / "cache"), "src")
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]


def test_ruff_finds_nothing() -> None:
    out = _run("ruff", "check", "src", "tests", "benchmarks", "scripts")
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]
