"""``embed-lr``: frozen sentence embeddings + logistic regression.

Each tweet becomes the mean-pooled, normalised output of a pretrained encoder
(all-MiniLM-L6-v2 by default, offline); a logistic regression learns the labels. Nothing
in the encoder is trained, so a few hundred labelled tweets are enough and fitting
takes as long as embedding them. The encoder (float16) and its tokenizer are saved in
the model folder, so the folder is self-contained.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..config import CleaningConfig, ConfigBase, _check
from ..encoders import (
    DEFAULT_ENCODER,
    BertEncoder,
    EncoderConfig,
    embed_texts,
    load_encoder,
    make_tokenizer,
    resolve_encoder,
)
from .base import TextClassifier
from .transformer import LIGHT_CLEANING


@dataclass(frozen=True)
class EmbedLRConfig(ConfigBase):
    """Hyperparameters of the ``embed-lr`` family."""

    encoder: str = DEFAULT_ENCODER
    C: float = 4.0
    class_weight: str | None = None
    max_iter: int = 2000
    cleaning: CleaningConfig = field(default_factory=lambda: LIGHT_CLEANING)

    def __post_init__(self) -> None:
        _check(self.C > 0, "embed-lr", "C", self.C, "must be > 0")
        _check(self.class_weight in (None, "balanced"), "embed-lr", "class_weight",
               self.class_weight, "None or 'balanced'")


class EmbedLRClassifier(TextClassifier):
    """Logistic regression on frozen encoder embeddings."""

    family = "embed-lr"
    Config = EmbedLRConfig
    config: EmbedLRConfig

    def _fit(self, texts: list[str], y: np.ndarray, valid: Any, checkpoint_dir: Path | None,
             resume: bool) -> None:
        from sklearn.linear_model import LogisticRegression

        self.encoder_, self._tokenizer, self.tokenizer_json_ = load_encoder(
            resolve_encoder(self.config.encoder))
        self._round_encoder()
        x = embed_texts(self.encoder_, self._tokenizer, texts)
        lr = LogisticRegression(C=self.config.C, max_iter=self.config.max_iter,
                                class_weight=self.config.class_weight)
        lr.fit(x, y)
        # Columns of predict_proba must follow classes_ even if a class is missing.
        self.coef_ = lr.coef_.astype(np.float32)
        self.intercept_ = lr.intercept_.astype(np.float32)

    def _round_encoder(self) -> None:
        # Stored as float16: round now so the model in memory predicts what the saved one will.
        with torch.no_grad():
            for p in self.encoder_.parameters():
                p.copy_(p.half().float())

    def _predict_proba(self, texts: list[str]) -> np.ndarray:
        x = embed_texts(self.encoder_, self._tokenizer, texts)
        z = x @ self.coef_.T + self.intercept_
        if z.shape[1] == 1:  # binary: scikit-learn keeps one column for the second class
            z = np.hstack([np.zeros_like(z), z])
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return (e / e.sum(axis=1, keepdims=True)).astype(np.float32)

    def _state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        arrays = {f"encoder.{k}": v.detach().cpu().numpy().astype(np.float16)
                  for k, v in self.encoder_.state_dict().items()}
        arrays["coef"] = self.coef_
        arrays["intercept"] = self.intercept_
        return arrays, {"tokenizer.json": self.tokenizer_json_,
                        "encoder.json": self.encoder_.config.to_dict()}

    @classmethod
    def _restore(cls, model: EmbedLRClassifier, arrays: dict[str, np.ndarray],  # type: ignore[override]
                 files: dict[str, Any]) -> None:
        encoder = BertEncoder(EncoderConfig(**files["encoder.json"]))
        encoder.load_state_dict({k[8:]: torch.from_numpy(v.astype(np.float32))
                                 for k, v in arrays.items() if k.startswith("encoder.")})
        model.encoder_ = encoder.eval()
        model.tokenizer_json_ = files["tokenizer.json"]
        model._tokenizer = make_tokenizer(model.tokenizer_json_, 128)
        model.coef_ = arrays["coef"]
        model.intercept_ = arrays["intercept"]

    def extra_info(self) -> dict[str, Any]:
        return {"encoder": self.config.encoder,
                "parameters": int(sum(p.numel() for p in self.encoder_.parameters()))}
