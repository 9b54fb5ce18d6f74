"""Shared machinery of the torch text families: ragged id lists, batching, fit/predict.

A family supplies a featurizer (``_prepare``/``_encode``, saved as JSON), a module
(``_make_module``) and, if it needs another input layout, ``_collate``. Training goes
through :func:`tweetlab.training.train_module`.

>>> r = Ragged.from_lists([[1, 2], [], [3]])
>>> flat, starts = r.take(np.array([2, 0]))
>>> flat.tolist(), starts.tolist()
([3, 1, 2], [0, 1])
"""

from __future__ import annotations

import hashlib
import json
from abc import abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np
import torch
from torch import nn

from ..config import TrainConfig
from ..training import TrainResult, resolve_device, train_module
from .base import TextClassifier, say_for_large

PREDICT_BATCH = 2048


@dataclass
class Ragged:
    """Variable-length id lists stored flat: row i is ``flat[offsets[i]:offsets[i+1]]``."""

    flat: np.ndarray  # (total,) int64 (int32 for fasttext's bags)
    offsets: np.ndarray  # (n + 1,) int64

    @classmethod
    def from_lists(cls, rows: Sequence[Sequence[int]]) -> Ragged:
        lengths = np.fromiter((len(r) for r in rows), dtype=np.int64, count=len(rows))
        offsets = np.zeros(len(rows) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        flat = np.fromiter((i for r in rows for i in r), dtype=np.int64, count=int(offsets[-1]))
        return cls(flat, offsets)

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def lengths(self, idx: np.ndarray) -> np.ndarray:
        return self.offsets[idx + 1] - self.offsets[idx]

    def take(self, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(flat ids of rows ``idx``, start of each row in that flat array)."""
        starts = self.offsets[idx]
        lengths = self.offsets[idx + 1] - starts
        out_starts = np.zeros(len(idx), dtype=np.int64)
        np.cumsum(lengths[:-1], out=out_starts[1:])
        total = int(lengths.sum())
        # Position j of the output reads flat[starts[row] + (j - out_starts[row])].
        gather = np.arange(total, dtype=np.int64) + np.repeat(starts - out_starts, lengths)
        return self.flat[gather], out_starts

    def padded(self, idx: np.ndarray, max_len: int, pad: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """(ids padded to the longest row, capped at ``max_len``) and the row lengths."""
        lengths = np.minimum(self.lengths(idx), max_len)
        width = max(int(lengths.max()) if len(idx) else 1, 1)
        out = np.full((len(idx), width), pad, dtype=np.int64)
        for r, i in enumerate(idx):
            start = self.offsets[i]
            out[r, : lengths[r]] = self.flat[start:start + lengths[r]]
        return out, lengths


class TorchTextClassifier(TextClassifier):
    """A text classifier whose learned part is a torch ``nn.Module``."""

    data_parallel = True
    module_: nn.Module
    history_: list[dict[str, float]]

    # ------------------------------------------------------------ family hooks
    @abstractmethod
    def _prepare(self, texts: list[str]) -> None:
        """Fit the featurizer (vocabulary...) on cleaned training texts."""

    @abstractmethod
    def _encode(self, texts: list[str]) -> Ragged:
        """Cleaned texts to id lists."""

    def export_module(self) -> nn.Module:
        """The module ONNX export traces (families may give a smaller equivalent)."""
        return self.module_

    @abstractmethod
    def _make_module(self) -> nn.Module:
        """A fresh module for the fitted featurizer and ``len(classes_)`` outputs."""

    @abstractmethod
    def _featurizer_files(self) -> dict[str, Any]:
        """{file name: JSON object} describing the featurizer."""

    @abstractmethod
    def _restore_featurizer(self, files: dict[str, Any]) -> None:
        """Inverse of ``_featurizer_files``."""

    def _collate(self, data: Ragged, idx: np.ndarray) -> tuple[torch.Tensor, ...]:
        """Module inputs for rows ``idx``; default: EmbeddingBag style (flat ids, offsets)."""
        flat, starts = data.take(idx)
        return torch.from_numpy(flat), torch.from_numpy(starts)

    GATHER_ROWS = 1 << 16  # bag models gather the ids of this many rows at a time

    def _take(self, data: Ragged, order: np.ndarray, training: bool) -> tuple[np.ndarray, np.ndarray]:
        """``data.take(order)``; a family may gather faster while training."""
        return data.take(order)

    def _auto_epochs(self, n_train: int) -> int:
        """Epochs when ``TrainConfig.epochs`` is None."""
        return 10

    def _auto_lr(self, n_train: int) -> float:
        """Learning rate when ``TrainConfig.lr`` is None."""
        return 1e-3

    def _after_fit(self, train: Ragged) -> None:
        """Hook run once training is done (e.g. prune unused embedding rows)."""

    # ---------------------------------------------------------------- training
    def _batches(self, data: Ragged, y: np.ndarray | None, batch_size: int,
                 order: np.ndarray) -> Iterator[tuple[torch.Tensor, ...]]:
        if type(self)._collate is TorchTextClassifier._collate:
            # Bags: gather the rows of a block of batches at once, then every batch is a
            # slice. Blocks, not the whole epoch: a copy of all ids of 1.3M tweets is ~2.5 GB.
            block = batch_size * max(1, self.GATHER_ROWS // batch_size)
            for b in range(0, len(order), block):
                part = order[b:b + block]
                flat, starts = self._take(data, part, training=y is not None)
                flat_t = torch.from_numpy(flat)
                bounds = np.append(starts, len(flat))
                for s in range(0, len(part), batch_size):
                    e = min(s + batch_size, len(part))
                    offsets = torch.from_numpy(starts[s:e] - starts[s])
                    inputs = (flat_t[bounds[s]:bounds[e]], offsets)
                    yield inputs if y is None else (*inputs, torch.from_numpy(y[part[s:e]]))
            return
        for s in range(0, len(order), batch_size):
            idx = order[s:s + batch_size]
            batch = self._collate(data, idx)
            if y is None:
                yield batch
            else:
                yield (*batch, torch.from_numpy(y[idx]))

    def _fit(self, texts: list[str], y: np.ndarray, valid: tuple[list[str], np.ndarray] | None,
             checkpoint_dir: Path | None, resume: bool) -> None:
        if self.train_config.epochs is None:
            self.train_config = self.train_config.replace(epochs=self._auto_epochs(len(texts)))
        if self.train_config.lr is None:
            self.train_config = self.train_config.replace(lr=self._auto_lr(len(texts)))
        cfg = self._training_config(self.train_config)
        assert cfg.epochs is not None
        torch.manual_seed(cfg.seed)
        say_for_large(len(texts), "vocabulary and features of")
        self._prepare(texts)
        train = self._encode(texts)
        valid_data = (self._encode(valid[0]), valid[1]) if valid is not None else None
        self.module_ = self._make_module()
        bs = cfg.batch_size
        n_batches = (len(train) + bs - 1) // bs

        def train_batches(epoch: int) -> Iterator[tuple[torch.Tensor, ...]]:
            order = np.random.default_rng([cfg.seed, epoch]).permutation(len(train))
            return self._batches(train, y, bs, order)

        valid_batches = None
        if valid_data is not None and len(valid_data[0]):
            vd, vy = valid_data

            def valid_batches() -> Iterator[tuple[torch.Tensor, ...]]:
                return self._batches(vd, vy, PREDICT_BATCH, np.arange(len(vd)))

        fingerprint = hashlib.sha256(
            json.dumps(self._featurizer_files(), sort_keys=True).encode()
            + json.dumps([self.config.to_dict(), self.classes_]).encode()
        ).hexdigest()
        result: TrainResult = train_module(
            self.module_, train_batches, n_batches, cfg, valid_batches=valid_batches,
            checkpoint_dir=checkpoint_dir, resume=resume, fingerprint=fingerprint,
            desc=self.family,
        )
        self.module_.to("cpu")
        self.history_ = result.history
        self.train_result_ = result
        self._after_fit(train)

    def _training_config(self, cfg: TrainConfig) -> TrainConfig:
        """The settings ``fit`` trains with; a family may adjust them (fasttext: the device)."""
        return cfg

    # -------------------------------------------------------------- prediction
    @torch.no_grad()
    def _predict_proba(self, texts: list[str],
                       tokens: list[list[str]] | None = None) -> np.ndarray:
        # tokens: ``tokenize`` of each text, given by callers that already have them
        # (families with ``takes_tokens``).
        # Only families with ``takes_tokens`` (fasttext) accept them in ``_encode``.
        data = self._encode(texts) if tokens is None else \
            cast(Any, self)._encode(texts, tokens=tokens)
        module = self.module_
        module.eval()
        device = next(module.parameters()).device
        out = []
        for inputs in self._batches(data, None, PREDICT_BATCH, np.arange(len(data))):
            logits = module(*(t.to(device) for t in inputs))
            out.append(torch.softmax(logits.float(), dim=-1).cpu().numpy())
        return np.concatenate(out).astype(np.float32)

    def to(self, device: str) -> TorchTextClassifier:
        """Move the module for prediction (``"cuda"``, ``"cpu"`` or ``"auto"``)."""
        self.module_.to(resolve_device(device))
        return self

    # ------------------------------------------------------------- persistence
    def _state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        arrays = {f"module.{k}": v.detach().cpu().numpy()
                  for k, v in self.module_.state_dict().items()}
        return arrays, self._featurizer_files()

    @classmethod
    def _restore(cls, model: TorchTextClassifier, arrays: dict[str, np.ndarray],
                 files: dict[str, Any]) -> None:
        model._restore_featurizer(files)
        module = model._make_module()
        state = {k[7:]: torch.from_numpy(v) for k, v in arrays.items() if k.startswith("module.")}
        module.load_state_dict(state)
        module.eval()
        model.module_ = module

    def extra_info(self) -> dict[str, Any]:
        return {"parameters": int(sum(p.numel() for p in self.module_.parameters()))}
