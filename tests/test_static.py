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


def test_import_layers_and_no_cycles() -> None:
    # The contracts in pyproject.toml ([tool.importlinter]): docs/architecture.md's layers,
    # and no import cycle between the package's modules (imports inside functions count).
    if importlib.util.find_spec("importlinter") is None:
        pytest.skip("import-linter is not installed")
    out = subprocess.run([str(Path(sys.executable).parent / "lint-imports"), "--no-cache"],
                         cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]


def test_documentation_site_builds_with_no_warning(tmp_path: Path) -> None:
    # --strict: a broken link, a missing page, a docstring mkdocstrings cannot read fail it.
    out = _run("mkdocs", "build", "--strict", "--quiet", "--site-dir", str(tmp_path / "site"))
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-4000:]
    assert (tmp_path / "site" / "reference" / "api" / "index.html").exists()


def test_readme_is_a_manual_and_results_hold_todays_figures() -> None:
    import re

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.encode()) <= 12_000, "README.md over 12 KB: move detail into docs/"
    assert not re.search(r"\b20\d\d-\d\d-\d\d\b|\d\d:\d\d UTC", readme), "no dates in README"
    results = (ROOT / "benchmarks" / "RESULTS.md").read_bytes()
    assert len(results) <= 28_000, "RESULTS.md over 28 KB: today's figures only"
