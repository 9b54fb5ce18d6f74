"""``lstm``: Embedding -> spatial dropout -> (Bi)LSTM layers -> softmax.

The design of the founding entity-sentiment and Russian-sentiment projects (embedding
128, 196 units, dropout 0.2; ``--set layers=2 --set hidden=64`` gives the 2-layer
64-unit variant). Sequences are packed, so padding never reaches the recurrence; the
last real step of each direction is the tweet's summary.

>>> from tweetlab.config import TrainConfig
>>> clf = LSTMClassifier(train_config=TrainConfig(epochs=30, lr=0.01, progress=False),
...                      hidden=16, embed=8)
>>> clf = clf.fit(["good film", "film was bad"] * 8, ["pos", "neg"] * 8)
>>> clf.predict(["good film", "film was bad"])
['pos', 'neg']
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

from ..config import CleaningConfig, ConfigBase, _check
from .sequence import PAD, SequenceClassifier


@dataclass(frozen=True)
class LSTMConfig(ConfigBase):
    """Hyperparameters of the ``lstm`` family."""

    num_words: int = 20_000
    min_count: int = 1
    max_len: int = 64
    embed: int = 128
    hidden: int = 196
    layers: int = 1
    bidirectional: bool = False
    dropout: float = 0.2
    cleaning: CleaningConfig = field(default_factory=CleaningConfig)

    def __post_init__(self) -> None:
        for name in ("num_words", "max_len", "embed", "hidden", "layers"):
            _check(getattr(self, name) >= 1, "lstm", name, getattr(self, name), "must be >= 1")
        _check(0 <= self.dropout < 1, "lstm", "dropout", self.dropout, "must be in [0, 1)")


class LSTMModule(nn.Module):
    """(B, T) word ids + (B,) lengths -> (B, n_classes) logits."""

    # bf16 autocast left its results unchanged to the last digit and its speed too (its packed
    # sequences run in float32 on the CPU): it says float32 rather than claim bf16
    cpu_bf16 = False

    def __init__(self, vocab: int, cfg: LSTMConfig, n_classes: int) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, cfg.embed, padding_idx=PAD)
        # Spatial dropout: drop whole embedding channels for every step of a tweet.
        self.spatial = nn.Dropout1d(cfg.dropout)
        self.lstm = nn.LSTM(cfg.embed, cfg.hidden, cfg.layers, batch_first=True,
                            bidirectional=cfg.bidirectional,
                            dropout=cfg.dropout if cfg.layers > 1 else 0.0)
        self.drop = nn.Dropout(cfg.dropout)
        self.out = nn.Linear(cfg.hidden * (2 if cfg.bidirectional else 1), n_classes)

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        x = self.embed(ids)  # (B, T, E)
        x = self.spatial(x.transpose(1, 2)).transpose(1, 2)
        packed = pack_padded_sequence(x, lengths.clamp(min=1).cpu(), batch_first=True,
                                      enforce_sorted=False)
        _, (h, _) = self.lstm(packed)  # h: (layers * dirs, B, H)
        if self.lstm.bidirectional:
            last = torch.cat([h[-2], h[-1]], dim=1)  # forward and backward final states
        else:
            last = h[-1]
        return self.out(self.drop(last))  # (B, n_classes)


class LSTMClassifier(SequenceClassifier):
    """Word embeddings read by an LSTM; its final state is classified."""

    family = "lstm"
    Config = LSTMConfig
    config: LSTMConfig
    train_defaults = {"epochs": 8, "batch_size": 64, "lr": 2e-3, "patience": 1,
                      "grad_clip": 1.0}

    def _make_module(self) -> nn.Module:
        return LSTMModule(len(self.vocab_), self.config, len(self.classes_))
