"""Matplotlib without a display: the figure module every chart goes through, and an
atomic PNG write. Matplotlib is imported on first use (it costs ~0.3 s), never by
``import tweetlab``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any


def pyplot():  # type: ignore[no-untyped-def]
    import matplotlib  # lazy: matplotlib: slow to import

    matplotlib.use("Agg")  # no display; safe in servers and CI
    import matplotlib.pyplot as plt  # lazy: matplotlib: slow to import

    return plt


def save_figure(fig: Any, path: Path, dpi: int = 110) -> Path:
    """Write ``fig`` as a PNG through a temporary name and close it."""
    plt = pyplot()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp.png")
    fig.savefig(tmp, dpi=dpi)
    plt.close(fig)
    os.replace(tmp, path)
    return path
