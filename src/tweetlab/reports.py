"""Figures (matplotlib, Agg backend) and markdown: confusion matrices, curves, model cards."""

from __future__ import annotations

import base64
import csv
import html
import math
import os
import tempfile
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ._format import percent
from ._fs import publish
from .card import plot_history
from .data.writers import write_table
from .periods import all_periods, describe_period
from .persistence import write_json_atomic
from .plots import pyplot as _pyplot
from .plots import save_figure as _save

if TYPE_CHECKING:  # reports render what the tasks above them computed
    from .evaluation import EvaluationReport


def leaderboard_columns(rows: list[dict[str, Any]], classes: list[str]) -> list[str]:
    """Leaderboard columns; ``family`` only when some model is a named variant."""
    named = any(r["model"] != r["family"] for r in rows)
    return ["model", *(["family"] if named else []), "accuracy", "macro_f1",
            *(f"f1_{c}" for c in classes), "ece", "train_s", "tweets_per_s", "size_mb"]


def leaderboard_cell(row: dict[str, Any], col: str) -> str:
    """One leaderboard cell: scores to 4 places (± their spread over folds), speeds
    with thousands separators, times and sizes to 2 or 1 places."""
    value = row.get(col) if not col.startswith("f1_") else row["per_class_f1"].get(col[3:])
    if value is None:
        return ""
    if col in {"accuracy", "macro_f1", "ece"} or col.startswith("f1_"):
        std = row.get(f"{col}_std")
        return f"{value:.4f}" + (f" ± {std:.4f}" if std else "")
    if col == "tweets_per_s":
        return f"{value:,.0f}"
    if col in {"train_s", "size_mb"}:
        return f"{value:.2f}" if value < 10 else f"{value:.1f}"
    return str(value)


def plot_confusion(labels: Sequence[str], confusion: Sequence[Sequence[int]], path: str | Path,
                   title: str) -> Path:
    """Save a confusion matrix (rows: true ``labels``) as a PNG: counts, colour by row
    share."""

    plt = _pyplot()
    cm = np.array(confusion, dtype=float)
    shares = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1)
    k = len(labels)
    size = 2.0 + 0.9 * k
    fig, ax = plt.subplots(figsize=(size + 1, size))
    im = ax.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(k), labels, rotation=45, ha="right")
    ax.set_yticks(range(k), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    for i in range(k):
        for j in range(k):
            ax.text(j, i, f"{int(cm[i, j])}\n{shares[i, j]:.0%}", ha="center", va="center",
                    fontsize=8, color="white" if shares[i, j] > 0.5 else "black")
    ax.set_title(title)
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04, label="share of true label")
    fig.tight_layout()
    return _save(fig, Path(path), dpi=120)


def chart_title(name: str, detail: str, width: int = 40) -> str:
    """A two-line chart title that fits a small figure: the file name (its middle cut out
    when longer than ``width``), then what the chart shows.

    >>> print(chart_title("tweeteval_sentiment_val.csv.gz", "ECE 0.031"))
    tweeteval_sentiment_val.csv.gz
    ECE 0.031
    >>> chart_title("a" * 30 + "_very_long_name_of_a_test_file.csv.gz", "x").splitlines()[0]
    'aaaaaaaaaaaaaaaaaaa...a_test_file.csv.gz'
    """
    if len(name) > width:
        keep = width - 3
        name = name[:keep - keep // 2] + "..." + name[-(keep // 2):]
    return f"{name}\n{detail}"


def write_evaluation(report: EvaluationReport, model: Any, data: Any, out: Path, *,
                     source: str | None) -> list[Path]:
    """The files of an evaluation (:func:`tweetlab.evaluate` with ``out``): metrics.json
    (scores, calibration, neutral bands), confusion_matrix.png, reliability.png, and
    mistakes.csv (tweets) or worst_mistakes.png (images)."""

    out.mkdir(parents=True, exist_ok=True)
    name = Path(source).name if source else "data"
    cal, bands = report.calibration, report.bands
    write_json_atomic(out / "metrics.json", {
        "data": source, **report.to_dict(),
        **({"calibration": asdict(cal)} if cal is not None else {}),
        **({"neutral_bands": {"rows": [asdict(r) for r in bands.rows],
                              "best": asdict(bands.best) if bands.best else None}}
           if bands is not None else {})})
    files = [out / "metrics.json",
             plot_confusion(report.labels, report.confusion, out / "confusion_matrix.png",
                            title=chart_title(name, f"accuracy {report.accuracy:.3f}, "
                                                    f"macro-F1 {report.macro_f1:.3f}"))]
    if cal is not None:
        files.append(plot_reliability(cal, out / "reliability.png",
                                      chart_title(name, f"expected calibration error "
                                                        f"{cal.ece:.3f}"), unit=report.unit))
    if getattr(model, "task", "") == "image-classification":
        files.append(plot_worst_mistakes(data, report.proba, model.classes_,
                                         out / "worst_mistakes.png"))
    else:
        write_table(out / "mistakes.csv",
                    ["line", "text", "true_label", "label", "confidence", "words"],
                    [[m.line, m.text, m.true_label, m.label, round(m.confidence, 4),
                      m.words or None] for m in report.mistakes], force=True)
        files.append(out / "mistakes.csv")
    return files


def plot_reliability(cal: Any, path: str | Path, title: str = "", unit: str = "tweets") -> Path:
    """A reliability diagram: each confidence bin's accuracy against its mean confidence
    (on the diagonal: calibrated), the bins' tweet counts below."""
    plt = _pyplot()
    fig, (ax, hist) = plt.subplots(2, 1, figsize=(5.2, 6.0), sharex=True,
                                   gridspec_kw={"height_ratios": [3, 1]})
    ax.plot([0, 1], [0, 1], color="#999", linestyle="--", linewidth=1, label="calibrated")
    conf = [b.confidence for b in cal.bins]
    acc = [b.accuracy for b in cal.bins]
    ax.plot(conf, acc, marker="o", color="#1d9bf0", label="this model")
    for b in cal.bins:
        ax.plot([b.confidence, b.confidence], [b.confidence, b.accuracy], color="#f04438",
                linewidth=1.5, alpha=0.7)
    ax.set_ylabel("accuracy")
    ax.set_xlim(0, 1.0)
    ax.set_ylim(0, 1.02)
    ax.legend(loc="upper left", fontsize=8)
    ax.set_title(title or f"ECE {cal.ece:.3f}")
    hist.bar([(b.low + b.high) / 2 for b in cal.bins], [b.n for b in cal.bins],
             width=0.9 / max(len(cal.bins), 10), color="#98a2b3")
    hist.set_xlabel("confidence (probability of the predicted class)")
    hist.set_ylabel(unit)
    fig.tight_layout()
    return _save(fig, Path(path), dpi=110)


def plot_worst_mistakes(data: Any, proba: Any, classes: list[str], path: str | Path,
                        n: int = 36) -> Path:
    """A grid of the ``n`` most confident wrong predictions of an image model.

    Each tile shows the image with "true -> predicted (confidence)".
    """

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
        ax.set_title(f"{data.labels[i]} -> {classes[pred[i]]} ({percent(proba[i, pred[i]], 0)})",
                     fontsize=8, color="tab:red")
    fig.suptitle(f"{len(wrong)} mistakes of {len(gold)}; the {len(worst)} most confident "
                 "(true -> predicted)", fontsize=10)
    fig.tight_layout()
    return _save(fig, Path(path))


_LABEL_COLOURS = {"negative": "#d62728", "neg": "#d62728", "n": "#d62728", "0": "#d62728",
                  "neutral": "#9e9e9e", "neu": "#9e9e9e", "none": "#c7c7c7",
                  "positive": "#2ca02c", "pos": "#2ca02c", "p": "#2ca02c",
                  "irrelevant": "#bcbd22"}


def label_colours(labels: list[str]) -> dict[str, str]:
    """A stable colour per label: red/grey/green for sentiment names, tab10 otherwise."""
    spare = iter(["#1f77b4", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf",
                  "#7f7f7f", "#bcbd22"] * 4)
    return {lab: _LABEL_COLOURS.get(lab.lower()) or next(spare) for lab in labels}


def plot_share_over_time(counts: Any, labels: list[str], path: Path, title: str,
                         by: str | None = None) -> Path:
    """Stacked shares of each label per period, with the tweet count on a second axis;
    with ``by`` (hour, day, week, month), periods without tweets are shown empty."""
    plt = _pyplot()
    pivot = counts.pivot_table(index="period", columns="label", values="count",
                               aggfunc="sum", fill_value=0)
    pivot = pivot.reindex(columns=[lab for lab in labels if lab in pivot.columns])
    full = all_periods(list(pivot.index), by)
    if full is not None and set(pivot.index) <= set(full):
        pivot = pivot.reindex(full, fill_value=0)
    totals = pivot.sum(axis=1)
    shares = pivot.div(totals.where(totals > 0, 1), axis=0)
    colours = label_colours(labels)
    fig, ax = plt.subplots(figsize=(max(6.0, min(14.0, 0.25 * len(pivot) + 4)), 4))
    x = range(len(pivot))
    bottom = [0.0] * len(pivot)
    for lab in shares.columns:
        vals = shares[lab].tolist()
        ax.bar(x, vals, bottom=bottom, color=colours[lab], label=lab, width=0.9)
        bottom = [b + v for b, v in zip(bottom, vals, strict=True)]
    ax.set_ylim(0, 1)
    ax.set_ylabel("share of tweets")
    step = max(1, len(pivot) // 12)
    ax.set_xticks(list(x)[::step], list(pivot.index)[::step], rotation=45, ha="right",
                  fontsize=8)
    ax2 = ax.twinx()
    ax2.plot(list(x), totals.tolist(), "k.-", lw=1, label="tweets")
    ax2.set_ylabel("tweets per period")
    ax2.set_ylim(0, max(totals.max() * 1.15, 1))
    handles, names = ax.get_legend_handles_labels()
    h2, n2 = ax2.get_legend_handles_labels()
    ax.legend(handles + h2, names + n2, loc="upper left", fontsize=8, ncol=len(names) + 1,
              bbox_to_anchor=(0, 1.13), frameon=False)
    ax.set_title(title, fontsize=10, pad=24)
    fig.tight_layout()
    return _save(fig, path)


def plot_groups(counts: Any, labels: list[str], path: Path, title: str,
                max_groups: int = 12) -> Path:
    """Per-group label shares as horizontal stacked bars (largest groups first)."""
    plt = _pyplot()
    pivot = counts.pivot_table(index="group", columns="label", values="count", aggfunc="sum",
                               fill_value=0)
    pivot = pivot.reindex(columns=[lab for lab in labels if lab in pivot.columns])
    totals = pivot.sum(axis=1).sort_values(ascending=False).head(max_groups)
    pivot = pivot.loc[totals.index[::-1]]
    shares = pivot.div(pivot.sum(axis=1), axis=0)
    colours = label_colours(labels)
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(pivot) + 1.5))
    left = [0.0] * len(pivot)
    y = range(len(pivot))
    for lab in shares.columns:
        vals = shares[lab].tolist()
        ax.barh(y, vals, left=left, color=colours[lab], label=lab)
        for yi, (lft, v) in enumerate(zip(left, vals, strict=True)):
            if v >= 0.08:
                ax.text(lft + v / 2, yi, f"{v:.0%}", ha="center", va="center", fontsize=7,
                        color="white")
        left = [a + v for a, v in zip(left, vals, strict=True)]
    ax.set_yticks(list(y), [f"{g} (n={int(totals[g]):,})" for g in pivot.index], fontsize=8)
    ax.set_xlim(0, 1)
    ax.set_xlabel("share of tweets")
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=len(labels), fontsize=8,
              frameon=False)
    ax.set_title(title, fontsize=10, pad=22)
    fig.tight_layout()
    return _save(fig, path)


def write_analysis_report(result: Any, out: Path, *, by: str, group: str | None,
                          labels: list[str], source: str, model_name: str,
                          max_groups: int = 12) -> list[Path]:
    """CSV tables, PNG charts and a self-contained ``report.html`` for :func:`analyze`."""

    out.mkdir(parents=True, exist_ok=True)
    files: list[Path] = []

    def write_csv(name: str, header: list[str], rows: list[list[Any]]) -> Path:
        fd, tmp = tempfile.mkstemp(dir=out, suffix=".tmp")
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(header)
            w.writerows(rows)
        publish(tmp, out / name)
        return out / name

    counts = result.counts
    files.append(write_csv("counts.csv", list(counts.columns), counts.values.tolist()))
    files.append(write_csv("typical.csv", ["group", "label", "confidence", "text"],
                           [[g, lab, f"{c:.4f}", t] for (g, lab), items in
                            sorted(result.typical.items()) for c, t in items]))
    files.append(write_csv("terms.csv", ["label", "term", "score", "count"],
                           [[lab, t, f"{s:.2f}", n] for lab, items in result.terms.items()
                            for t, s, n in items]))
    relied = (result.relies_on or {}).get("classes") or {}
    if relied:
        files.append(write_csv("words.csv", ["label", "word", "bits", "tweets"],
                               [[lab, w, f"{b:.2f}", n] for lab, items in relied.items()
                                for w, b, n in items]))
    name = Path(source).name

    per = describe_period(by)
    charts = [plot_share_over_time(counts, labels, out / "share_over_time.png",
                                   f"{name}: share of each label, {per} "
                                   f"({result.n_scored:,} tweets, {model_name})", by=by)]
    if group is not None:
        charts.append(plot_groups(counts, labels, out / "groups.png",
                                  f"{name}: labels by {group}", max_groups=max_groups))
    files += charts
    esc = html.escape
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>tweetlab analysis: {esc(name)}</title>",
        "<style>body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;"
        "padding:0 1em;color:#222}table{border-collapse:collapse;font-size:13px;margin:.5em 0}"
        "td,th{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}"
        "th{background:#f4f4f4}img{max-width:100%}.n{text-align:right}</style></head><body>",
        f"<h1>Sentiment analysis of {esc(name)}</h1>",
        f"<p>{result.n_scored:,} tweets scored with a <b>{esc(model_name)}</b> model, counted "
        f"{esc(per)}{' and per ' + esc(group) if group else ''}"
        + (f"; {result.n_skipped_dates:,} tweets without a usable date were skipped"
           if result.n_skipped_dates else "")
        + f". {result.tweets_per_second:,.0f} tweets/s.</p>",
        *(f"<p style='color:#b54708'><b>Note:</b> {esc(note)}.</p>" for note in result.notes),
    ]
    for chart in charts:
        data = base64.b64encode(chart.read_bytes()).decode()
        parts.append(f"<p><img alt='{esc(chart.stem)}' src='data:image/png;base64,{data}'></p>")
    parts.append("<h2>Most distinctive terms per label</h2><table><tr>"
                 + "".join(f"<th>{esc(lab)}</th>" for lab in result.terms) + "</tr><tr>")
    for items in result.terms.values():
        parts.append("<td>" + "<br>".join(f"{esc(t)} <small>({n})</small>" for t, _, n in items)
                     + "</td>")
    parts.append("</tr></table>")
    if any(relied.values()):
        parts.append(f"<h2>Words the model relied on</h2><p>Over {result.relies_on['tweets']} "
                     "tweets drawn at random from the file, each word left out in turn: the "
                     "evidence for a label lost without it, in bits (+1: the word doubles the "
                     "odds), and the tweets it counted in.</p><table><tr>"
                     + "".join(f"<th>{esc(lab)}</th>" for lab in relied) + "</tr><tr>")
        for items in relied.values():
            parts.append("<td>" + "<br>".join(f"{esc(w)} {b:+.1f} <small>({n})</small>"
                                              for w, b, n in items) + "</td>")
        parts.append("</tr></table>")
    parts.append("<h2>Most typical tweets</h2>")
    groups = sorted({g for g, _ in result.typical},
                    key=lambda g: -int(counts[counts["group"] == g]["count"].sum())
                    if "group" in counts.columns else 0)[:max_groups]
    for g in groups:
        if group is not None:
            parts.append(f"<h3>{esc(g)}</h3>")
        parts.append("<table><tr><th>label</th><th>confidence</th><th>tweet</th></tr>")
        for lab in labels:
            for c, t in result.typical.get((g, lab), []):
                parts.append(f"<tr><td>{esc(lab)}</td><td class='n'>{percent(c, 0)}</td>"
                             f"<td>{esc(html.unescape(t))}</td></tr>")
        parts.append("</table>")
    parts.append("<h2>Counts</h2><table><tr>" + "".join(f"<th>{esc(c)}</th>" for c in counts.columns)
                 + "</tr>")
    for row in counts.head(500).values.tolist():
        parts.append("<tr>" + "".join(f"<td>{esc(str(v))}</td>" for v in row) + "</tr>")
    parts.append(f"</table><p><small>{'first 500 rows; ' if len(counts) > 500 else ''}all rows "
                 "in counts.csv</small></p></body></html>")
    report = out / "report.html"
    tmp = out / ".report.html.tmp"
    tmp.write_text("\n".join(parts), encoding="utf-8")
    os.replace(tmp, report)
    files.append(report)
    return files


def wants_log_axis(values: Sequence[float], spread: float = 30.0) -> bool:
    """Whether bars of ``values`` need a log axis: the positive ones span > ``spread`` x.

    >>> wants_log_axis([20_000, 38_000, 24_000]), wants_log_axis([60, 24_000])
    (False, True)
    """
    positive = [v for v in values if v > 0]
    return bool(positive) and max(positive) > spread * min(positive)


def plot_leaderboard(rows: list[dict[str, Any]], path: Path, title: str) -> Path:
    """Macro-F1 per family (bars) beside predict speed (log scale past a 30x spread)."""
    plt = _pyplot()
    names = [r["model"] for r in rows][::-1]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 0.55 * len(rows) + 1.6), sharey=True)
    f1 = [r["macro_f1"] for r in rows][::-1]
    ax1.barh(names, f1, color="tab:blue")
    for y, v in enumerate(f1):
        ax1.text(v, y, f" {v:.3f}", va="center", fontsize=9)
    ax1.set_xlim(0, min(1.0, max(f1) * 1.18 if f1 else 1.0))
    ax1.set_xlabel("macro-F1 (held out)")
    speed = [r["tweets_per_s"] for r in rows][::-1]
    ax2.barh(names, speed, color="tab:green")
    # A log axis only when the speeds span more than 30x (a transformer beside fast
    # families): bars on a log axis that starts near the slowest one mislead otherwise.
    log = wants_log_axis(speed)
    if log:
        ax2.set_xscale("log")
    else:
        ax2.set_xlim(0, max(speed + [1]) * 1.2)
    for y, v in enumerate(speed):
        ax2.text(v, y, f" {v:,.0f}", va="center", fontsize=9)
    ax2.set_xlabel("predict tweets/s" + (" (log scale)" if log else ""))
    fig.suptitle(title)
    fig.tight_layout()
    return _save(fig, path)


def write_compare_report(board: Any, out: Path) -> list[Path]:
    """``leaderboard.csv``, ``leaderboard.md`` and a self-contained ``report.html``."""


    out.mkdir(parents=True, exist_ok=True)
    figs = out / "figures"
    figs.mkdir(exist_ok=True)

    cols = leaderboard_columns(board.rows, board.classes)
    named = ["family"] if "family" in cols else []
    fd, tmp = tempfile.mkstemp(dir=out, suffix=".tmp")
    with os.fdopen(fd, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(cols)
        for r in board.rows:
            w.writerow([r["model"], *(r[c] for c in named), f"{r['accuracy']:.4f}",
                        f"{r['macro_f1']:.4f}",
                        *(f"{r['per_class_f1'].get(c, 0):.4f}" for c in board.classes),
                        "" if r.get("ece") is None else f"{r['ece']:.4f}",
                        f"{r['train_s']:.2f}", f"{r['tweets_per_s']:.0f}",
                        "" if r.get("size_mb") is None else f"{r['size_mb']:.3f}"])
    publish(tmp, out / "leaderboard.csv")
    md = out / "leaderboard.md"
    md.write_text(f"# Leaderboard\n\n{board.describe()}.\n\n{board.to_markdown()}\n",
                  encoding="utf-8")
    images = [plot_leaderboard(board.rows, figs / "leaderboard.png",
                               f"{len(board.rows)} models, " + (
                                   f"{board.folds}-fold cross-validation (means)" if board.folds
                                   else f"{board.n_test:,} held-out tweets"))]
    per_model: list[tuple[str, list[Path], str]] = []
    esc = html.escape
    for r in board.rows:
        pics = []
        if r.get("history"):
            pics.append(plot_history(r["history"], figs / f"{r['model']}_history.png",
                                     f"{r['model']}: training curves",
                                     best_epoch=r.get("best_epoch")))
        pics.append(plot_confusion(r["classes"], r["confusion"],
                                   figs / f"{r['model']}_confusion.png",
                                   f"{r['model']}: accuracy {r['accuracy']:.3f}, "
                                   f"macro-F1 {r['macro_f1']:.3f}"))
        relied = (r.get("relies_on") or {}).get("classes") or {}
        words = "".join(
            f"<li><b>{esc(lab)}</b>: " + esc(", ".join(f"{w} {b:+.1f}" for w, b, _ in ws[:8]))
            + "</li>" for lab, ws in relied.items() if ws)
        note = (f"<p>Words it relies on (bits of evidence for the label lost without the "
                f"word, over {r['relies_on']['tweets']} validation tweets):</p><ul>{words}</ul>"
                if words else "")
        per_model.append((r["model"], pics, note))

    def img(p: Path) -> str:
        return (f"<img alt='{esc(p.stem)}' src='data:image/png;base64,"
                f"{base64.b64encode(p.read_bytes()).decode()}'>")

    parts = ["<!doctype html><html><head><meta charset='utf-8'><title>tweetlab compare</title>",
             "<style>body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;"
             "padding:0 1em;color:#222}table{border-collapse:collapse;font-size:14px}"
             "td,th{border:1px solid #ddd;padding:4px 10px;text-align:right}"
             "td:first-child,th:first-child{text-align:left}th{background:#f4f4f4}"
             "img{max-width:100%}.pics{display:flex;flex-wrap:wrap;gap:1em;align-items:flex-start}"
             ".pics img{max-width:48%}</style></head><body>",
             "<h1>Model comparison</h1>",
             f"<p>{esc(board.describe())}.</p><table><tr>"
             + "".join(f"<th>{esc(c)}</th>" for c in cols) + "</tr>"]

    for r in board.rows:
        parts.append("<tr>" + "".join(f"<td>{esc(leaderboard_cell(r, c))}</td>" for c in cols) + "</tr>")
    parts.append("</table>")
    if board.failed:
        parts.append("<p><b>Failed:</b></p><ul>" + "".join(
            f"<li>{esc(name)}: {esc(why)}</li>" for name, why in board.failed.items()) + "</ul>")
    parts.append(img(images[0]))
    for family, pics, note in per_model:
        parts.append(f"<h2>{esc(family)}</h2>{note}<div class='pics'>"
                     + "".join(img(p) for p in pics) + "</div>")
    parts.append("</body></html>")
    page = out / "report.html"
    page.write_text("\n".join(parts), encoding="utf-8")
    return [out / "leaderboard.csv", md, page, *images]


def write_generator_board(board: Any, out: Path, prompt: str = "") -> list[Path]:
    """A generator comparison's ``leaderboard.md`` (table and samples), ``leaderboard.csv``
    and ``curves.png`` (held-out bits per character of each network against its training
    time)."""

    out.mkdir(parents=True, exist_ok=True)
    cols = list(board.COLUMNS)
    fd, tmp = tempfile.mkstemp(dir=out, suffix=".tmp")
    with os.fdopen(fd, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(cols)
        w.writerows([r.get(c, "") for c in cols] for r in board.rows)
    publish(tmp, out / "leaderboard.csv")
    lines = ["# Generator leaderboard", "", f"{board.describe()}.", "", board.to_markdown(), "",
             "`bits_per_char`: the network mixed with its n-gram model, as it writes; "
             "`network_bits_per_char`: the network alone. ![curves](curves.png)", ""]
    for r in board.rows:
        lines += [f"## {r['model']}", ""]
        if r.get("settings"):
            lines += [f"Settings: `{' '.join(r['settings'])}`", ""]
        lines += [f"Samples (seed phrase {prompt!r}):" if prompt else "Samples:", ""]
        lines += [f"- {t}".replace("\n", " ⏎ ") for t in r.get("samples", [])] + [""]
    md = out / "leaderboard.md"
    md.write_text("\n".join(lines), encoding="utf-8")
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.5, 3.8))
    for r in board.rows:
        hist = [h for h in r.get("history", []) if "valid_loss" in h]
        if hist:
            ends = np.cumsum([h.get("seconds", 0.0) for h in r["history"]]) / 60
            ax.plot([ends[h["epoch"] - 1] for h in hist],
                    [h["valid_loss"] / math.log(2) for h in hist], "o-",
                    label=f"{r['model']} ({r['bits_per_char']:.3f} mixed)")
    ax.set_xlabel("training minutes")
    ax.set_ylabel("held-out bits/char (network)")
    ax.set_title("Generators: held-out bits per character while training")
    ax.legend(fontsize=8, frameon=False)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    curves = _save(fig, out / "curves.png")
    page = out / "report.html"
    page.write_text(_generator_page(board, curves, prompt), encoding="utf-8")
    return [out / "leaderboard.csv", md, page, curves]


def _generator_page(board: Any, curves: Path, prompt: str) -> str:
    """A self-contained HTML page: the table, the curves, each model's samples."""

    esc = html.escape
    cols = list(board.COLUMNS)
    parts = ["<!doctype html><html><head><meta charset='utf-8'><title>tweetlab generator "
             "compare</title><style>body{font-family:system-ui,sans-serif;max-width:1000px;"
             "margin:2em auto;padding:0 1em;color:#222}table{border-collapse:collapse;"
             "font-size:14px}td,th{border:1px solid #ddd;padding:4px 10px;text-align:right}"
             "td:first-child,th:first-child,td:nth-child(2),th:nth-child(2){text-align:left}"
             "th{background:#f4f4f4}img{max-width:100%}blockquote{margin:.5em 0;padding:.4em "
             ".8em;border-left:3px solid #1d9bf0;background:#f7fbff;white-space:pre-wrap}"
             "</style></head><body><h1>Generator comparison</h1>",
             f"<p>{esc(board.describe())}. <code>bits_per_char</code>: the network mixed with "
             "its n-gram model, as it writes; <code>network_bits_per_char</code>: the network "
             "alone.</p><table><tr>" + "".join(f"<th>{esc(c)}</th>" for c in cols) + "</tr>"]
    for r in board.rows:
        parts.append("<tr>" + "".join(f"<td>{esc(board.cell(r, c))}</td>" for c in cols)
                     + "</tr>")
    parts.append("</table>")
    if board.failed:
        parts.append("<p><b>Failed:</b></p><ul>" + "".join(
            f"<li>{esc(n)}: {esc(why)}</li>" for n, why in board.failed.items()) + "</ul>")
    parts.append(f"<p><img alt='curves' src='data:image/png;base64,"
                 f"{base64.b64encode(curves.read_bytes()).decode()}'></p>")
    for r in board.rows:
        parts.append(f"<h2>{esc(r['model'])}</h2>")
        if r.get("settings"):
            parts.append(f"<p>Settings: <code>{esc(' '.join(r['settings']))}</code></p>")
        parts.append(f"<p>Samples{' from ' + esc(repr(prompt)) if prompt else ''}:</p>")
        parts += [f"<blockquote>{esc(t)}</blockquote>" for t in r.get("samples", [])]
    parts.append("</body></html>")
    return "\n".join(parts)
