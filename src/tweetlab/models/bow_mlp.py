"""``bow-mlp``: the founding Keras design, computed sparsely in PyTorch.

The original: top-N words -> binary bag-of-words matrix -> Dense(512, relu) -> Dropout ->
Dense(256, sigmoid) -> Dropout -> Dense(k, softmax). A dense layer applied to a binary
bag is the sum of the weight rows of the words present, so the first layer here is an
``EmbeddingBag(mode="sum")`` plus a bias: the same function without ever building the
(n, N) one-hot matrix.

>>> clf = BowMLPClassifier(train_config=TrainConfig(epochs=2, progress=False))
>>> clf = clf.fit(["good film", "bad film"] * 8, ["pos", "neg"] * 8)
>>> clf.predict_proba(["good"]).shape
(1, 2)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..config import CleaningConfig, ConfigBase, TrainConfig, _check
from ..text import Vocabulary, stem, tokenize
from .torch_base import Ragged, TorchTextClassifier

__all__ = ["BowMLPClassifier", "BowMLPConfig", "TrainConfig"]


@dataclass(frozen=True)
class BowMLPConfig(ConfigBase):
    """Hyperparameters of ``bow-mlp`` (defaults = the founding Keras model)."""

    num_words: int = 10_000
    hidden: tuple[int, ...] = (512, 256)
    dropout: float = 0.5
    min_count: int = 1
    stem_language: str | None = None
    cleaning: CleaningConfig = field(default_factory=CleaningConfig)

    def __post_init__(self) -> None:
        _check(self.num_words >= 2, "bow-mlp", "num_words", self.num_words, "must be >= 2")
        _check(len(self.hidden) >= 1 and all(h > 0 for h in self.hidden), "bow-mlp", "hidden",
               self.hidden, "one or more positive layer sizes")
        _check(0 <= self.dropout < 1, "bow-mlp", "dropout", self.dropout, "must be in [0, 1)")


class FastDropout(nn.Module):
    """Inverted dropout whose mask comes from ``torch.rand``.

    Same function as ``nn.Dropout``; on CPU, torch's ``bernoulli_`` (behind
    ``nn.Dropout``) draws ~10x slower than ``rand``, and took a fifth of each step here.
    """

    def __init__(self, p: float) -> None:
        super().__init__()
        self.p = p

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0:
            return x
        keep = torch.rand_like(x) >= self.p
        return x * keep / (1.0 - self.p)


class BowMLP(nn.Module):
    """Binary bag of words -> MLP. Input: flat word ids (N,) and bag starts (B,)."""

    def __init__(self, vocab_size: int, hidden: tuple[int, ...], n_classes: int,
                 dropout: float) -> None:
        super().__init__()
        # sparse=True: a batch touches a few thousand of the N x 512 first-layer rows;
        # a dense gradient and Adam step over all of them cost ~80% of each step.
        # Under Adam the training loop gives these rows LazyAdam (lazy moments).
        self.bag = nn.Embedding(vocab_size, hidden[0], sparse=True)
        self.bias = nn.Parameter(torch.zeros(hidden[0]))
        # Keras' glorot-uniform for a (N, 512) Dense kernel.
        bound = (6.0 / (vocab_size + hidden[0])) ** 0.5
        nn.init.uniform_(self.bag.weight, -bound, bound)
        layers: list[nn.Module] = [nn.ReLU(), FastDropout(dropout)]
        for i, (a, b) in enumerate(zip(hidden, hidden[1:], strict=False)):
            # The founding design: relu after the first layer, sigmoid after the second.
            layers += [nn.Linear(a, b), nn.Sigmoid() if i == 0 else nn.ReLU(), FastDropout(dropout)]
        layers.append(nn.Linear(hidden[-1], n_classes))
        self.mlp = nn.Sequential(*layers)

    def forward(self, words: torch.Tensor, ids: torch.Tensor, starts: torch.Tensor) -> torch.Tensor:
        # words: (U,) distinct word ids of the batch; ids: (N,) positions into ``words``.
        # Gathering each distinct row once keeps the sparse gradient at U rows.
        rows = self.bag(words)  # (U, hidden[0])
        h = F.embedding_bag(ids, rows, starts, mode="sum") + self.bias  # (B, hidden[0])
        return self.mlp(h)  # (B, n_classes)


class BowMLPClassifier(TorchTextClassifier):
    """Top-N words as a binary bag, then Dense 512 relu / Dense 256 sigmoid / softmax."""

    family = "bow-mlp"
    Config = BowMLPConfig
    config: BowMLPConfig
    train_defaults = {"epochs": None, "batch_size": 512, "lr": 1e-3, "patience": 2}

    def _auto_epochs(self, n_train: int) -> int:
        # About 2,000 optimizer steps, 10-40 epochs: a few thousand tweets at batch 256
        # are only ~15 steps an epoch, and 10 epochs left small sets underfitted.
        # Early stopping on the validation loss ends the run when it stops improving.
        steps_per_epoch = max(1, -(-n_train // self.train_config.batch_size))
        return int(min(40, max(10, round(2000 / steps_per_epoch))))

    def _words(self, text: str) -> list[str]:
        tokens = tokenize(text)
        lang = self.config.stem_language
        return stem(tokens, lang) if lang else tokens

    def _prepare(self, texts: list[str]) -> None:
        self.vocab_ = Vocabulary.build((self._words(t) for t in texts),
                                       max_size=self.config.num_words,
                                       min_count=self.config.min_count, unk=None)

    def _encode(self, texts: list[str]) -> Ragged:
        vocab = self.vocab_
        # Binary bag: each known word once per tweet.
        return Ragged.from_lists([sorted(set(vocab.encode(self._words(t)))) for t in texts])

    def _collate(self, data: Ragged, idx: np.ndarray) -> tuple[torch.Tensor, ...]:
        flat, starts = data.take(idx)
        words, positions = np.unique(flat, return_inverse=True)
        return (torch.from_numpy(words), torch.from_numpy(positions.reshape(-1)),
                torch.from_numpy(starts))

    def _make_module(self) -> nn.Module:
        return BowMLP(max(len(self.vocab_), 1), self.config.hidden, len(self.classes_),
                      self.config.dropout)

    def _featurizer_files(self) -> dict[str, Any]:
        return {"vocab.json": self.vocab_.to_dict()}

    def _restore_featurizer(self, files: dict[str, Any]) -> None:
        self.vocab_ = Vocabulary.from_dict(files["vocab.json"])

    def unknown_words(self, text: str) -> list[str]:
        return [t for t in dict.fromkeys(self._words(self.clean([text])[0]))
                if t not in self.vocab_]

    def extra_info(self) -> dict[str, Any]:
        return {"vocabulary": len(self.vocab_), **super().extra_info()}
