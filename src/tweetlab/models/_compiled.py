"""The numba kernel modules (``_sgd_numba``, ``_charwb_numba``), imported on first use so
that loading a model to predict never imports numba."""

from __future__ import annotations

import functools
import importlib
from typing import Any


@functools.cache
def load_kernels(name: str) -> Any:
    """``tweetlab.models.<name>``, or None without numba (a dependency, kept optional)."""
    try:
        return importlib.import_module(f"{__package__}.{name}")
    except ImportError:  # pragma: no cover
        return None
