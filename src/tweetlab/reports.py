"""Figures (matplotlib, Agg backend) and markdown: confusion matrices, curves, model cards."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from .evaluation import EvaluationReport


def _pyplot():  # type: ignore[no-untyped-def]
    import matplotlib

    matplotlib.use("Agg")  # no display; safe in servers and CI
    import matplotlib.pyplot as plt

    return plt


def plot_confusion(report: EvaluationReport, path: str | Path, title: str | None = None) -> Path:
    """Save the confusion matrix as a PNG (counts, colour by row share)."""
    import numpy as np

    plt = _pyplot()
    cm = np.array(report.confusion, dtype=float)
    shares = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1)
    k = len(report.labels)
    size = 2.0 + 0.9 * k
    fig, ax = plt.subplots(figsize=(size + 1, size))
    im = ax.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(k), report.labels, rotation=45, ha="right")
    ax.set_yticks(range(k), report.labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    for i in range(k):
        for j in range(k):
            ax.text(j, i, f"{int(cm[i, j])}\n{shares[i, j]:.0%}", ha="center", va="center",
                    fontsize=8, color="white" if shares[i, j] > 0.5 else "black")
    ax.set_title(title or f"accuracy {report.accuracy:.3f}, macro-F1 {report.macro_f1:.3f}")
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04, label="share of true label")
    fig.tight_layout()
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp.png")
    fig.savefig(tmp, dpi=120)
    plt.close(fig)
    os.replace(tmp, out)
    return out


def plot_history(history: list[dict[str, float]], path: str | Path, title: str = "") -> Path:
    """Training curves: train/validation loss and validation accuracy per epoch."""
    plt = _pyplot()
    epochs = [h["epoch"] for h in history]
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot(epochs, [h["train_loss"] for h in history], "o-", label="train loss")
    if history and "valid_loss" in history[0]:
        ax.plot(epochs, [h["valid_loss"] for h in history], "o-", label="validation loss")
        ax2 = ax.twinx()
        ax2.plot(epochs, [h["valid_accuracy"] for h in history], "s--", color="tab:green",
                 label="validation accuracy")
        ax2.set_ylabel("accuracy")
        ax2.legend(loc="center right")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.legend(loc="upper right")
    ax.set_title(title)
    fig.tight_layout()
    out = Path(path)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


def model_card(config: dict[str, Any], metrics: dict[str, Any]) -> str:
    """The ``README.md`` of a model directory, generated from its config and metrics."""
    lines = [
        f"# tweetlab model: `{config['family']}`",
        "",
        f"- Task: {config.get('task', 'text-classification')}",
        f"- Labels: {', '.join(f'`{x}`' for x in config['labels'])}",
        f"- Neutral band: {config['neutral_band'] or 'none'}",
        f"- Created: {config.get('created', '?')} with tweetlab {config.get('tweetlab_version', '?')}",
    ]
    data = metrics.get("data", {})
    if data:
        lines.append(f"- Trained on: `{data.get('source')}` ({data.get('n_train')} tweets; "
                     f"held out {data.get('n_valid')} by a {data.get('split')} split)")
    held = metrics.get("validation")
    if held:
        lines += ["", "## Held-out scores", "",
                  f"Accuracy **{held['accuracy']:.4f}**, macro-F1 **{held['macro_f1']:.4f}** "
                  f"on {held['n']} tweets ({metrics.get('validation_note', 'validation split')}).",
                  "", "| label | precision | recall | F1 | support |", "|---|---:|---:|---:|---:|"]
        for lab, s in held["per_class"].items():
            lines.append(f"| {lab} | {s['precision']:.3f} | {s['recall']:.3f} | {s['f1']:.3f} "
                         f"| {s['support']} |")
    if "train_seconds" in metrics:
        lines += ["", f"Training took {metrics['train_seconds']:.1f} s."]
    if metrics.get("command"):
        lines += ["", "## Reproduce", "", "```", metrics["command"], "```"]
    lines += ["", "## Hyperparameters", "", "```json"]
    import json

    lines += [json.dumps(config.get("params", {}), indent=2), "```", "",
              "## Use", "", "```python", "import tweetlab",
              "model = tweetlab.load_model('PATH/TO/THIS/FOLDER')",
              "model.predict(['what a great day'])", "```", ""]
    return "\n".join(lines)


def plot_worst_mistakes(data: Any, proba: Any, classes: list[str], path: str | Path,
                        n: int = 36) -> Path:
    """A grid of the ``n`` most confident wrong predictions of an image model.

    Each tile shows the image with "true -> predicted (confidence)".
    """
    import numpy as np

    plt = _pyplot()
    gold = np.array([classes.index(x) if x in classes else -1 for x in data.labels])
    pred = proba.argmax(axis=1)
    wrong = np.flatnonzero(pred != gold)
    worst = wrong[np.argsort(-proba[wrong, pred[wrong]])][:n]
    cols = 6
    rows = max(1, -(-len(worst) // cols))
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 1.6, rows * 1.8), squeeze=False)
    h, w, c = data.shape
    for ax in axes.ravel():
        ax.axis("off")
    for ax, i in zip(axes.ravel(), worst, strict=False):
        img = data.pixels[i].reshape(h, w, c)
        ax.imshow(img[:, :, 0] if c == 1 else img, cmap="gray_r" if c == 1 else None)
        ax.set_title(f"{data.labels[i]} -> {classes[pred[i]]} ({proba[i, pred[i]]:.0%})",
                     fontsize=8, color="tab:red")
    fig.suptitle(f"{len(wrong)} mistakes of {len(gold)}; the {len(worst)} most confident "
                 "(true -> predicted)", fontsize=10)
    fig.tight_layout()
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp.png")
    fig.savefig(tmp, dpi=110)
    plt.close(fig)
    os.replace(tmp, out)
    return out
