"""Shared featurizer of the word-sequence families (``lstm``, ``cnn``).

Tweets become padded id sequences over a word vocabulary (``<pad>`` = 0, ``<unk>`` = 1,
then the ``num_words`` most frequent words); a batch is padded to its longest tweet
(capped at ``max_len``), and the lengths travel along for padding-aware modules.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from ..text import Vocabulary, tokenize
from .torch_base import Ragged, TorchTextClassifier

PAD, UNK = 0, 1


class SequenceClassifier(TorchTextClassifier):
    """A torch text classifier reading tweets as word-id sequences."""

    def _prepare(self, texts: list[str]) -> None:
        cfg: Any = self.config
        self.vocab_ = Vocabulary.build((tokenize(t) for t in texts), max_size=cfg.num_words,
                                       min_count=cfg.min_count, specials=("<pad>", "<unk>"),
                                       unk="<unk>")

    def _encode(self, texts: list[str]) -> Ragged:
        cfg: Any = self.config
        return Ragged.from_lists([self.vocab_.encode(tokenize(t))[: cfg.max_len] or [UNK]
                                  for t in texts])

    def _collate(self, data: Ragged, idx: np.ndarray) -> tuple[torch.Tensor, ...]:
        cfg: Any = self.config
        ids, lengths = data.padded(idx, cfg.max_len, pad=PAD)  # (B, T), (B,)
        return torch.from_numpy(ids), torch.from_numpy(lengths)

    def _featurizer_files(self) -> dict[str, Any]:
        return {"vocab.json": self.vocab_.to_dict()}

    def _restore_featurizer(self, files: dict[str, Any]) -> None:
        self.vocab_ = Vocabulary.from_dict(files["vocab.json"])

    def unknown_words(self, text: str) -> list[str]:
        return [t for t in dict.fromkeys(self.tokens(text)) if t not in self.vocab_]

    def extra_info(self) -> dict[str, Any]:
        return {"vocabulary": len(self.vocab_), **super().extra_info()}
