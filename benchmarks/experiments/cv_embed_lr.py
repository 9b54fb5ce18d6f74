"""How the TASS settings of `embed-lr` were chosen: 5-fold CV on the training part only.

Grid: n-gram TF-IDF alone, multilingual USE vectors alone, both (the sentence vector
scaled by `embed_weight` 0.5 or 1); C 1 or 4; class_weight none or balanced. Each is
scored by 5-fold cross-validated macro-F1 on the 80% training split (the test split is
scored too, for the record, but not used to choose). The vectors are computed once and
reused by every fold, which is what `embed-lr` computes for each tweet.
Usage: python benchmarks/cv_embed_lr.py [--task tass-es]
"""

from __future__ import annotations

import argparse
import itertools

import numpy as np
import scipy.sparse as sp
from pathlib import Path
import sys
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/: common, datasets
from common import data_dir, machine, save, stamp
from datasets import load_tasks
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedKFold

from tweetlab.models.embed_lr import NGRAM_CLEANING
from tweetlab.models.tfidf import NgramTfidf, TfidfConfig
from tweetlab.models.transformer import LIGHT_CLEANING
from tweetlab.multilingual import UseEmbedder
from tweetlab.text import normalize_many


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--task", default="tass-es")
    args = parser.parse_args()
    task = load_tasks(data_dir(), [args.task])[0]
    light = {"train": normalize_many(list(task.train.texts), LIGHT_CLEANING),
             "test": normalize_many(list(task.test.texts), LIGHT_CLEANING)}
    use = UseEmbedder()
    vec = {k: use.embed(v) for k, v in light.items()}
    grams = {k: normalize_many(v, NGRAM_CLEANING) for k, v in light.items()}
    y = {"train": np.array(task.train.labels), "test": np.array(task.test.labels)}

    def score(gold: np.ndarray, pred: np.ndarray) -> float:
        if task.metric == "positive_f1":
            return float(f1_score(gold, pred, pos_label=sorted(set(gold))[-1]))
        return float(f1_score(gold, pred, average="macro"))

    def fit_predict(tr: np.ndarray, te: np.ndarray, te_part: str, weight: float | None,
                    C: float, cw: str | None) -> np.ndarray:
        """Train on rows ``tr`` of the training part, predict rows ``te`` of ``te_part``."""
        a, b = [], []
        if weight is not None:  # n-grams in use
            ng = NgramTfidf(TfidfConfig()).fit([grams["train"][i] for i in tr])
            a.append(ng.transform([grams["train"][i] for i in tr]))
            b.append(ng.transform([grams[te_part][i] for i in te]))
        if weight != 0:  # sentence vectors in use
            w = 1.0 if weight is None else weight
            a.append(sp.csr_matrix(w * vec["train"][tr]))
            b.append(sp.csr_matrix(w * vec[te_part][te]))
        clf = LogisticRegression(C=C, max_iter=3000, class_weight=cw)
        clf.fit(sp.hstack(a, format="csr"), y["train"][tr])
        return clf.predict(sp.hstack(b, format="csr"))

    names = {0: "n-grams only", None: "vectors only", 0.5: "both, embed_weight 0.5",
             1.0: "both, embed_weight 1"}
    folds = list(StratifiedKFold(5, shuffle=True, random_state=0).split(vec["train"], y["train"]))
    rows = []
    all_train = np.arange(len(y["train"]))
    all_test = np.arange(len(y["test"]))
    for weight, C, cw in itertools.product([0, None, 0.5, 1.0], [1.0, 4.0], [None, "balanced"]):
        cv = [score(y["train"][b], fit_predict(a, b, "train", weight, C, cw)) for a, b in folds]
        test = score(y["test"], fit_predict(all_train, all_test, "test", weight, C, cw))
        rows.append({"features": names[weight], "C": C, "class_weight": cw,
                     "cv": float(np.mean(cv)), "cv_std": float(np.std(cv)), "test": test})
        print(f"{names[weight]:<24} C={C:<3} {cw or 'none':<8} cv {np.mean(cv):.4f} "
              f"(+-{np.std(cv):.4f}) test {test:.4f}", flush=True)
    best = max(rows, key=lambda r: r["cv"])
    print(f"chosen by CV: {best}")
    save(f"cv_embed_lr_{task.name}", {"date": stamp(), "machine": machine(), "task": task.name,
                                      "metric": task.metric, "rows": rows, "chosen": best})


if __name__ == "__main__":
    main()
