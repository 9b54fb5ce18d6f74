"""``cnn``: a Kim-style convolutional text classifier.

Word embeddings, parallel 1-D convolutions of several widths (3, 4, 5 words by
default), ReLU, max-pooling over time, dropout and a linear layer. Padding positions
are masked out of the max-pool, so a tweet scores the same alone or in a batch.

>>> from tweetlab.config import TrainConfig
>>> clf = CNNClassifier(train_config=TrainConfig(epochs=15, progress=False), filters=8, embed=8)
>>> clf = clf.fit(["good film", "bad film"] * 8, ["pos", "neg"] * 8)
>>> clf.predict(["good"])
['pos']
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from ..config import CleaningConfig, ConfigBase, _check
from .sequence import PAD, SequenceClassifier


@dataclass(frozen=True)
class CNNConfig(ConfigBase):
    """Hyperparameters of the ``cnn`` family."""

    num_words: int = 20_000
    min_count: int = 1
    max_len: int = 64
    embed: int = 128
    widths: tuple[int, ...] = (3, 4, 5)
    filters: int = 100
    dropout: float = 0.5
    cleaning: CleaningConfig = field(default_factory=CleaningConfig)

    def __post_init__(self) -> None:
        for name in ("num_words", "max_len", "embed", "filters"):
            _check(getattr(self, name) >= 1, "cnn", name, getattr(self, name), "must be >= 1")
        _check(len(self.widths) >= 1 and all(w >= 1 for w in self.widths), "cnn", "widths",
               self.widths, "one or more positive widths")
        _check(0 <= self.dropout < 1, "cnn", "dropout", self.dropout, "must be in [0, 1)")


class CNNModule(nn.Module):
    """(B, T) word ids + (B,) lengths -> (B, n_classes) logits."""

    def __init__(self, vocab: int, cfg: CNNConfig, n_classes: int) -> None:
        super().__init__()
        self.widths = cfg.widths
        self.embed = nn.Embedding(vocab, cfg.embed, padding_idx=PAD)
        self.convs = nn.ModuleList(nn.Conv1d(cfg.embed, cfg.filters, w, padding=w - 1)
                                   for w in cfg.widths)
        self.drop = nn.Dropout(cfg.dropout)
        self.out = nn.Linear(cfg.filters * len(cfg.widths), n_classes)

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        x = self.embed(ids).transpose(1, 2)  # (B, E, T)
        pooled = []
        for w, conv in zip(self.widths, self.convs, strict=True):
            h = F.relu(conv(x))  # (B, F, T + w - 1): every window touching a real word
            # Windows that start past the tweet's last word see only padding: mask them.
            pos = torch.arange(h.shape[2], device=ids.device)[None, :]  # (1, T + w - 1)
            valid = pos < (lengths[:, None] + w - 1)  # (B, T + w - 1)
            h = h.masked_fill(~valid[:, None, :], float("-inf"))
            pooled.append(h.max(dim=2).values)  # (B, F)
        return self.out(self.drop(torch.cat(pooled, dim=1)))  # (B, F * len(widths))


class CNNClassifier(SequenceClassifier):
    """Convolutions over word embeddings, max-pooled over the tweet."""

    family = "cnn"
    Config = CNNConfig
    config: CNNConfig
    train_defaults = {"epochs": 8, "batch_size": 64, "lr": 1e-3, "patience": 1}

    def _make_module(self) -> nn.Module:
        return CNNModule(len(self.vocab_), self.config, len(self.classes_))
