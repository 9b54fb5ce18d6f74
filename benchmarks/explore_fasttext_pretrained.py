"""Exploration (2026-11-28, #2): the fasttext family started from pretrained word vectors,
as fastText's ``-pretrainedVectors`` does, on disaster tweets.

The vectors come from all-MiniLM-L6-v2 (the only pretrained text model here): each
WordPiece token's static vector as in ``explore_disaster_static.py`` (the encoder's output
for the token alone, averaged with its contextual outputs over the training tweets), a
word the mean of its pieces, reduced by PCA to the family's ``dim`` and scaled. Only the
rows of whole words start from them; char n-gram rows start as usual.

Scored by positive-class F1 with 5-fold CV on the 80% training split only (the test
split is not looked at here), 3 seeds per fold, next to the plain family.
Usage: python benchmarks/explore_fasttext_pretrained.py [SCALE ...]   (~5 minutes on 2 cores)

Result (2026-11-28 11:35-11:50 UTC): plain 0.7443; unit-norm vectors x 0.05 / 0.2 / 1:
0.7443 / 0.7444 / 0.7443 (the family's SGD, lr ~10 per example, overwrites them at once);
x 5 / 20 / 50 / 150: 0.7468 / 0.7482 / 0.7465 / 0.7410 (standard errors ~0.004). No gain
worth a setting; not kept in the library.
"""

from __future__ import annotations

import sys

import numpy as np
import torch
from common import data_dir
from datasets import load_tasks
from explore_disaster_static import token_vectors
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedKFold

from tweetlab.config import TrainConfig
from tweetlab.encoders import load_encoder, resolve_encoder
from tweetlab.models.fasttext import FastTextClassifier


def word_table(words: list[str], tok, table: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(vectors, known) per word: the mean of its WordPiece vectors."""
    out = np.zeros((len(words), table.shape[1]), np.float32)
    known = np.zeros(len(words), bool)
    for i, enc in enumerate(tok.encode_batch(words, add_special_tokens=False)):
        ids = [t for t in enc.ids if t != 100]  # [UNK]
        if ids:
            out[i] = table[ids].mean(0)
            known[i] = True
    return out, known


def make_family(tok, table: np.ndarray, scale: float):
    class Pretrained(FastTextClassifier):
        def _make_module(self):  # type: ignore[no-untyped-def]
            module = super()._make_module()
            words = list(self.vocab_.tokens)
            vecs, known = word_table(words, tok, table)
            x = vecs[known] - vecs[known].mean(0)
            _, _, vt = np.linalg.svd(x, full_matrices=False)
            red = (vecs - vecs[known].mean(0)) @ vt[:self.config.dim].T
            red /= np.maximum(np.linalg.norm(red, axis=1, keepdims=True), 1e-9)
            with torch.no_grad():
                w = module.embedding.weight
                rows = torch.from_numpy(np.flatnonzero(known))
                w[rows] = torch.from_numpy((scale * red[known]).astype(np.float32))
            return module
    return Pretrained


def main() -> None:
    torch.set_num_threads(2)
    enc, tok, _ = load_encoder(resolve_encoder("all-MiniLM-L6-v2"))
    task = load_tasks(data_dir(), ["disaster"])[0]
    texts = list(task.train.texts)
    y = np.array(task.train.labels)
    table = token_vectors(enc, tok, texts)
    print("token vectors ready", flush=True)
    scales = [float(s) for s in sys.argv[1:]] or [0.0, 0.05, 0.2, 1.0]
    folds = list(StratifiedKFold(5, shuffle=True, random_state=0).split(texts, y))
    for scale in scales:
        cls = FastTextClassifier if scale == 0 else make_family(tok, table, scale)
        scores = []
        for a, b in folds:
            for seed in range(3):
                clf = cls(train_config=TrainConfig(**{**cls.train_defaults, "seed": seed,
                                                      "progress": False}))
                clf.fit([texts[i] for i in a], y[a].tolist())
                pred = clf.predict([texts[i] for i in b])
                scores.append(f1_score(y[b], pred, pos_label="1"))
        print(f"scale {scale:<5} cv positive F1 {np.mean(scores):.4f} "
              f"(+-{np.std(scores) / np.sqrt(len(scores)):.4f})", flush=True)


if __name__ == "__main__":
    main()
