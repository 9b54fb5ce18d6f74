"""The ``tweetlab`` command: parse arguments, call the library, print.

Every subcommand is one library call; errors meant for the user are printed as one
line (``error: FILE, line N, field 'F': ...``) with exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import csv
import difflib
import itertools
import json
import logging
import os
import queue
import re
import shlex
import signal
import sys
import tempfile
import textwrap
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, NoReturn

from . import collect, distributed, raydata, store
from ._format import percent
from ._fs import check_can_write, publish
from ._version import __version__
from .analysis import analyze
from .api import (
    check_data_parallel,
    check_output_file,
    evaluate,
    iter_predictions,
    load,
    predict_file,
    read_data,
    select_columns,
    train,
    warn_skipped,
    warn_unfamiliar_script,
)
from .building import build
from .bundled import (
    BUNDLED,
    available,
    bundled_path,
    default_for,
    default_for_file,
    is_bundled_name,
    resolve,
)
from .card import mixture
from .checklist import behaviour_cases, run_checks
from .comparison import compare, compare_generators, parse_models
from .data import check_leakage, is_pixel_file, load_dataset
from .data.splits import SPLITS
from .data.writers import format_table, write_table
from .errors import ConfigError, DataError, ModelError, TweetlabError
from .explanation import explain, render
from .models import get_family, load_model
from .models.base import label_confidence, with_entity
from .models.registry import FAMILIES
from .periods import describe_period
from .persistence import read_config, read_metrics
from .recipes import RECIPES, models_home
from .reports import leaderboard_cell, leaderboard_columns
from .tuning import parse_space, tune

log = logging.getLogger("tweetlab")


def _read_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("reading data")
    g.add_argument("--text", help="column holding the tweet text (guessed when omitted)")
    g.add_argument("--label", help="column holding the label (guessed when omitted)")
    g.add_argument("--format", help="force a format: csv, tsv, jsonl, parquet, sentiment140, "
                   "entity, disaster, tweeteval, rutweetcorp")
    g.add_argument("--encoding", help="text encoding (default UTF-8; Sentiment140: latin-1)")
    g.add_argument("--label-map", metavar="OLD=NEW,...",
                   help="rename labels as they are read, e.g. 0=negative,4=positive")
    g.add_argument("--skip-bad-rows", action="store_true",
                   help="skip malformed rows, empty texts and missing labels (and report them)")
    g.add_argument("--shape", help="image models: image shape HxW or HxWxC (default: inferred, "
                                   "28x28 for 784 pixel columns)")


def _read_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    return {"text": args.text, "label": args.label, "format": args.format,
            "encoding": args.encoding, "skip_bad_rows": args.skip_bad_rows,
            "shape": args.shape, "label_map": _label_map(args.label_map)}


def _label_map(text: str | None) -> dict[str, str] | None:
    """``"0=negative,4=positive"`` -> ``{"0": "negative", "4": "positive"}``."""
    if not text:
        return None
    pairs = {}
    for part in text.split(","):
        old, sep, new = part.partition("=")
        if not sep or not old.strip() or not new.strip():
            raise ConfigError(f"--label-map: {part!r} is not OLD=NEW "
                              "(e.g. --label-map 0=negative,4=positive)")
        pairs[old.strip()] = new.strip()
    return pairs


def _band(values: Sequence[float] | None) -> tuple[float, float] | None:
    return (values[0], values[1]) if values else None


def _reproduce_command() -> str | None:
    """The command line that made a model, for its card: ``--resume`` left out (a rerun
    starts from scratch)."""
    if not sys.argv:
        return None
    return "tweetlab " + " ".join(shlex.quote(a) for a in sys.argv[1:] if a != "--resume")


def _loop_overrides(args: argparse.Namespace) -> list[str]:
    """``--set`` values plus the training-loop flags ``--epochs``, ``--device``, ``-q``."""
    overrides = list(args.set or [])
    if args.epochs is not None:
        overrides.append(f"epochs={args.epochs}")
    if args.device is not None:
        overrides.append(f"device={args.device}")
    if args.quiet:
        overrides.append("progress=false")
    return overrides


def _load_data(path: str, args: argparse.Namespace, require_labels: bool = True,  # type: ignore[no-untyped-def]
               task: str = "text-classification"):
    ds = read_data(path, task, require_labels=require_labels, **_read_kwargs(args))
    skipped = getattr(ds, "skipped", None)  # (image files have no rows to skip)
    if skipped:
        warn_skipped(path, skipped)
    return ds


# ---------------------------------------------------------------------- commands
PROCESSES_HELP = ("train data-parallel in N processes on this machine (one per GPU: "
                  "'gpus'); several machines: start the command with torchrun")


def _processes(args: argparse.Namespace, data_parallel: bool, family: str) -> int | None:
    """With ``--processes N`` (N > 1, not already under torchrun): run this command in N
    processes that train together and return its exit status; otherwise None."""

    asked = getattr(args, "processes", None)
    if asked is None or distributed.active():
        return None
    if asked == "gpus":
        import torch  # lazy: torch: slow to import

        n = torch.cuda.device_count()
        if n < 2:
            log.info("--processes gpus: %s GPU, training in one process",
                     "one" if n == 1 else "no")
            return None
    else:
        try:
            n = int(asked)
        except ValueError:
            n = 0
        if n < 1:
            raise ConfigError(f"--processes {asked!r}: give a number of processes, or gpus")
    if n == 1:
        return None
    check_data_parallel(family, data_parallel, n)
    argv = list(args.argv)
    i = next(k for k, a in enumerate(argv) if a == "--processes" or a.startswith("--processes="))
    del argv[i:i + (1 if "=" in argv[i] else 2)]
    log.info("training in %d processes", n)
    return distributed.launch(argv, n)


def cmd_train(args: argparse.Namespace) -> int:
    if args.model is None:
        args.model = "image-cnn" if is_pixel_file(args.data) else "fasttext"
        if args.model == "image-cnn":
            log.info("%s holds pixel columns: training an image-cnn model", args.data)
    family = get_family(args.model)
    launched = _processes(args, family.data_parallel, args.model)
    if launched is not None:
        return launched
    task = family.task

    overrides = _loop_overrides(args)
    out = Path(args.out) if args.out else Path("tweetlab-models") / \
        f"{Path(args.data).name.split('.')[0]}-{args.model}"
    data = _load_data(args.data, args, task=task)
    valid = _load_data(args.valid, args, task=task) if args.valid else None
    command = _reproduce_command()
    model = train(data, args.model, out=out, valid=valid, valid_size=args.valid_size,
                  split=args.split, seed=args.seed, overrides=overrides,
                  neutral_band=_band(args.neutral_band), force=args.force, resume=args.resume,
                  command=command)
    if not distributed.is_main():  # (torchrun) the first process reports
        return 0
    metrics = model.metrics_
    unit = "images" if task == "image-classification" else "tweets"
    print(f"saved {args.model} model to {out}  ({metrics['train_seconds']:.1f} s training, "
          f"{metrics['data']['n_train']} {unit})")
    held = metrics.get("validation")
    if held:
        print(f"held-out ({held['n']} {unit}, {metrics['data']['split']} split): "
              f"accuracy {held['accuracy']:.4f}, macro-F1 {held['macro_f1']:.4f}")
        leak = metrics.get("leakage", {})
        if leak.get("exact"):
            print(f"note: {leak['exact']} held-out tweets also occur in the training part "
                  "(duplicates in the data); scores may be optimistic")
    return 0


def cmd_tune(args: argparse.Namespace) -> int:
    space = None
    if args.search:
        pairs = [x.partition("=") for x in args.search]
        bad = [x for x, (_, sep, v) in zip(args.search, pairs, strict=True) if not sep or not v]
        if bad:
            raise ConfigError(f"--search {bad[0]!r}: write KEY=A|B|C")
        space = parse_space({k: v for k, _, v in pairs})
    data = _load_data(args.data, args)
    result = tune(data, args.model, trials=args.trials, minutes=args.minutes,
                  metric=args.metric, valid_size=args.valid_size, folds=args.folds,
                  seed=args.seed, space=space,
                  fixed=args.set or [], out=args.out, force=args.force,
                  resume=args.resume, progress=not args.quiet)
    print(result.describe())
    print(result.to_markdown())
    best = " ".join(f"--set {s}" for s in [*(args.set or []), *result.best["settings"]])
    print(f"best: {args.metric} {result.best['score']:.4f} with "
          f"{best or 'the defaults'}")
    if args.out:
        print(f"saved {args.model} trained with those settings on all of {args.data} to "
              f"{args.out}")
    else:
        print(f"train it: tweetlab train {args.data} --model {args.model} {best}".rstrip())
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    bundled = is_bundled_name(args.model)
    model_dir = resolve(args.model)  # a folder, or a bundled model's name
    if read_config(model_dir).get("task") == "text-generation":
        return _evaluate_generator(args)
    if args.stream is not None:
        raise ConfigError("--stream scores tweet generators; this is a classifier")
    model = load(model_dir)
    data = _load_data(args.data, args, task=model.task)
    stem = Path(args.data).name.split(".")[0]
    # (never into an installed package: a bundled model's report goes to ./evaluations)
    out = Path(args.out) if args.out else \
        Path("evaluations") / f"{args.model}-{stem}" if bundled else \
        model_dir / "evaluations" / stem
    report = evaluate(model, data, neutral_band=_band(args.neutral_band),
                      progress=not args.quiet, out=out, explain_mistakes=args.mistakes,
                      source=args.data)
    print(report.to_text())
    if report.bands is not None:
        _print_bands(report.bands, model.classes_)
    _print_calibration(report.calibration)
    mistakes_file = next((f for f in report.files if f.name == "mistakes.csv"), None)
    if report.mistakes and mistakes_file is not None:
        _print_mistakes(report.mistakes, mistakes_file)
    print(f"\nwrote {', '.join(str(w) for w in report.files)}")
    return 0


def _print_calibration(cal: Any) -> None:
    """``evaluate``: how the predicted class's probability compares with how often it was
    right (the confidence ``predict`` prints)."""
    gap = cal.overconfidence
    verdict = "overconfident" if gap > 0.02 else "underconfident" if gap < -0.02 else \
        "about right"
    print(f"\ncalibration: expected calibration error {cal.ece:.4f}; confidence averages "
          f"{abs(gap):.1%} {'above' if gap >= 0 else 'below'} accuracy ({verdict})")


def _print_bands(bands: Any, classes: list[str]) -> None:
    """``evaluate`` of a binary model: what neutral bands would do on this data (and, when
    its gold labels include neutral, the best band)."""
    rows, best = bands.rows, bands.best
    three = best is not None
    print(f"\nneutral band (P({classes[1]}) from LOW to HIGH labelled neutral; "
          f"--neutral-band LOW HIGH):")
    print("  band         neutral  accuracy of the rest" + ("  accuracy  macro-F1" if three
                                                          else ""))
    for r in rows:
        band = "none" if r.band is None else f"{r.band[0]:.2f} {r.band[1]:.2f}"
        print(f"  {band:<11}  {r.neutral:6.1%}  {r.accuracy_rest:20.4f}" +
              (f"  {r.accuracy:8.4f}  {r.macro_f1:8.4f}" if three else ""))
    if best is not None and best.band is not None:
        print(f"best band for these labels: --neutral-band {best.band[0]:.2f} "
              f"{best.band[1]:.2f} (macro-F1 {best.macro_f1:.4f}, accuracy {best.accuracy:.4f}; "
              f"no band: {rows[0].macro_f1:.4f}, {rows[0].accuracy:.4f}); chosen on these "
              f"tweets, so check it on others")


def _print_mistakes(found: list[Any], path: Path, shown: int = 5) -> None:
    """``evaluate``: the ``shown`` most confident mistakes and the words that misled."""
    print(f"\nmost confident mistakes ({len(found)} in all, in {path}):")
    for m in found[:shown]:
        where = f"line {m.line}" if m.line else f"row {m.index + 1}"
        text = m.text if len(m.text) <= 100 else m.text[:99] + "…"
        print(f"  {where}: {m.true_label} labelled {m.label} ({percent(m.confidence)}): "
              f"{' '.join(text.split())}")
        if m.words:
            print(f"      words for {m.target}: {m.words}")


def _format_prediction(label: str, confidence: float, text: str) -> str:
    return f"{label:<12} {percent(confidence):>6}  {text}"


def _engine_options(p: argparse.ArgumentParser, ray: str) -> None:
    """``--engine``, ``--address`` and ``--actors`` of predict and analyze."""
    p.add_argument("--engine", choices=["local", "ray"], default="local",
                   help=f"local: this process and --workers (default); ray: {ray} "
                        "(pip install 'tweetlab[ray]')")
    p.add_argument("--address", help="--engine ray: the Ray cluster to use (auto, or "
                   "ray://HOST:10001); default: a local Ray on this machine's cores")
    p.add_argument("--actors", type=int, help="--engine ray: scoring actors, each with the "
                   "model loaded once (default: one per core; on a cluster, as many as wait)")


def cmd_predict(args: argparse.Namespace) -> int:
    texts = list(args.texts)
    model_dir = args.model
    if model_dir is None and texts and _names_a_model(texts[0], BUNDLED):
        model_dir = texts.pop(0)  # tweetlab predict MODEL "text"
    elif model_dir is None and len(texts) > 1 and re.fullmatch(r"[\w.-]+", texts[0]):
        raise ModelError(_unknown_model(texts[0]))
    if args.engine == "ray":
        return _predict_ray(model_dir, texts, args)
    if model_dir is None and texts and not args.input:
        model_dir = default_for(texts)
    elif model_dir is None and args.input:
        model_dir = default_for_file(args.input, **{k: v for k, v in _read_kwargs(args).items()
                                                    if k != "shape"})
    # No model named: the bundled English sentiment model (or the multilingual one).
    model = load(model_dir)  # a folder, a bundled or built name
    band = _band(args.neutral_band)
    if model.task == "image-classification":
        if not args.input:
            raise DataError("an image model labels a pixel CSV: tweetlab predict MODEL "
                            "--input test.csv --output submission.csv")
        return _predict_images(model, args)
    if args.input:
        return _predict_file(model, args, band)
    if texts:
        warn_unfamiliar_script(model, texts)
    if args.explain and texts:
        _print_explanations(model, texts, args.entity, band)
        return 0
    if args.entity:
        if not getattr(model, "entity_input", False):
            log.warning("this model was not trained with entities; --entity is ignored")
        else:
            texts = with_entity(texts, [args.entity] * len(texts))
    if texts:
        proba = model.predict_proba(texts)
        labels = model.labels_from_proba(proba, band)
        for text, lab, p in zip(texts, labels, proba, strict=True):
            print(_format_prediction(lab, _confidence(model, lab, p), text))
        return 0
    if not sys.stdin.isatty():
        return _predict_pipe(model, args, band)
    return _predict_prompt(model, args, band)


def _predict_pipe(model: Any, args: argparse.Namespace, band: Any) -> int:
    """``predict`` reading a pipe: the lines waiting are scored at once (a file piped in
    goes in batches), and each line of a live stream (tail -f) as soon as it comes."""

    warned = False
    for lines in _waiting_lines(sys.stdin):
        warned = warned or warn_unfamiliar_script(model, lines)
        if args.explain:
            _print_explanations(model, lines, args.entity, band)
            sys.stdout.flush()
            continue
        proba = model.predict_proba(lines)
        for line, lab, p in zip(lines, model.labels_from_proba(proba, band), proba,
                                strict=True):
            print(_format_prediction(lab, _confidence(model, lab, p), line))
        sys.stdout.flush()
    return 0


def _predict_prompt(model: Any, args: argparse.Namespace, band: Any) -> int:
    """``predict`` at a terminal: one tweet a line, its label, probabilities and the
    words the model never saw (and with --explain, those that decided it)."""

    print(f"tweetlab {model.family} model ({', '.join(model.output_labels)}). "
          "Type a tweet and press Enter; an empty line or Ctrl-D quits.")
    warned = False
    while True:
        try:
            line = input("tweet> ")
        except EOFError:
            break
        if not line.strip():
            break
        warned = warned or warn_unfamiliar_script(model, [line])
        p = model.predict_proba([line])[0]
        lab = model.labels_from_proba(p[None, :], band)[0]
        bars = "  ".join(f"{c} {v:.0%}" for c, v in zip(model.classes_, p, strict=True))
        print(f"  -> {lab} ({percent(_confidence(model, lab, p))})   [{bars}]")
        if args.explain:
            e = explain(model, [line], entity=args.entity, neutral_band=band)[0]
            print(textwrap.indent(render(e, colour=_colour()), "     "))
        unknown = model.unknown_words(line)
        if unknown:
            print(f"     never seen in training: {', '.join(unknown)}")
    return 0


def _colour() -> bool:
    """Whether standard output takes ANSI colours (a terminal, and no NO_COLOR set)."""
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def _print_explanations(model: Any, texts: list[str], entity: str | None, band: Any) -> None:
    """``predict --explain``: each tweet's label, then the words for and against it."""

    for e in explain(model, texts, entity=entity, neutral_band=band):
        print(_format_prediction(e.label, e.confidence, e.text))
        print(textwrap.indent(render(e, colour=_colour()), " " * 21))


def _waiting_lines(stream: Any, most: int = 1024) -> Iterator[list[str]]:
    """The non-blank lines of ``stream`` in batches: each batch is the next line plus the
    lines already read behind it (up to ``most``), so nothing waits for a batch to fill."""

    waiting: queue.Queue[str | None] = queue.Queue(maxsize=4 * most)

    def read() -> None:
        try:
            for line in stream:
                if line.strip():
                    waiting.put(line.rstrip("\r\n"))
        finally:
            waiting.put(None)

    threading.Thread(target=read, daemon=True).start()
    while (line := waiting.get()) is not None:
        batch = [line]
        while len(batch) < most:
            try:
                nxt = waiting.get_nowait()
            except queue.Empty:
                break
            if nxt is None:
                yield batch
                return
            batch.append(nxt)
        yield batch


def _unknown_model(name: str) -> str:
    """What to say when the first of several arguments names no model: the closest names."""

    built = [p.name for p in models_home().glob("*") if (p / "config.json").exists()] \
        if models_home().is_dir() else []
    known = sorted({*available(), *RECIPES, *built})
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
    hint = f"; did you mean {' or '.join(close)}?" if close else f"; models: {', '.join(known)}"
    return (f"no model folder or bundled model is named {name!r}{hint} (to label it as a "
            f"tweet, quote the tweets together or name the model: --model en-sentiment)")


def _names_a_model(arg: str, bundled: Sequence[str]) -> bool:
    """Whether the first argument of predict is a model (a folder, a path, a bundled name).

    A path-like word (a slash, no spaces, not a URL) counts even when it does not exist,
    so that a mistyped folder is an error rather than a tweet.
    """
    if not arg.strip():
        return False  # ("" would name the current folder)
    if arg in bundled or Path(arg).is_dir():
        return True
    return os.sep in arg and not any(c.isspace() for c in arg) and "://" not in arg


def _confidence(model: Any, label: str, p: Any) -> float:
    return label_confidence(model.classes_, label, p)


def _columns(args: argparse.Namespace) -> list[str] | None:
    return [c for c in args.columns.split(",") if c.strip()] if args.columns else None


def _predict_file(model: Any, args: argparse.Namespace, band: Any) -> int:
    """``--input FILE [--output FILE]``: a table of predictions (CSV on stdout without
    ``--output``; otherwise the format of the output's name). Read, scored and written a
    piece at a time: memory does not grow with the file."""

    if args.output:
        counts = predict_file(model, args.input, args.output, neutral_band=band,
                              force=args.force, progress=not args.quiet,
                              columns=_columns(args), workers=args.workers,
                              explain=args.explain, **_read_kwargs(args))
        print(f"wrote {sum(counts.values())} predictions to {args.output} "
              f"({', '.join(f'{k}: {v}' for k, v in counts.items())})")
        return 0
    header, pieces = iter_predictions(model, args.input, neutral_band=band,
                                      progress=not args.quiet, workers=args.workers,
                                      explain=args.explain, **_read_kwargs(args))
    columns = _columns(args)
    names = select_columns(header, [], columns)[0]
    for n, rows in enumerate(pieces):
        sys.stdout.write(format_table(names, select_columns(header, rows, columns)[1], "csv",
                                      with_header=n == 0))
    return 0


def _predict_ray(model_dir: str | None, texts: list[str], args: argparse.Namespace) -> int:
    """``--engine ray``: a file, folder or glob of parts scored on Ray Data, written as a
    Parquet dataset."""
    if texts or not args.input or not args.output:
        raise ConfigError("--engine ray labels files: tweetlab predict MODEL --input PATH "
                          "--output OUT.parquet --engine ray")
    if args.columns or args.explain:
        raise ConfigError("--engine ray writes every column; --columns and --explain are for "
                          "the built-in engine")
    counts = raydata.predict(model_dir, args.input, args.output, address=args.address,
                             text=args.text, neutral_band=_band(args.neutral_band),
                             force=args.force, actors=args.actors, progress=not args.quiet)
    print(f"wrote {sum(counts.values())} predictions to {args.output} "
          f"({', '.join(f'{k}: {v}' for k, v in counts.items())})")
    return 0


def _predict_images(model: Any, args: argparse.Namespace) -> int:
    """Label a pixel CSV and write Kaggle's submission format: ``ImageId,Label``."""
    ds = _load_data(args.input, args, require_labels=False, task=model.task)
    out = Path(args.output) if args.output else None
    if out is not None and out.exists() and not args.force:
        raise TweetlabError(f"{out} already exists; pass --force to overwrite it")
    if out is not None:
        check_can_write(out.parent, out.name)
    labels = model.predict(ds.pixels)
    fd, tmp = tempfile.mkstemp(dir=out.parent if out else None, suffix=".csv.tmp")
    with os.fdopen(fd, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["ImageId", "Label"])
        w.writerows(zip(ds.ids, labels, strict=True))
    if out is None:
        sys.stdout.write(Path(tmp).read_text(encoding="utf-8"))
        os.unlink(tmp)
    else:
        publish(tmp, out)
        print(f"wrote {len(labels)} predictions to {out} (ImageId,Label)")
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    args.model = resolve(args.model)
    config = read_config(args.model)
    metrics = read_metrics(args.model)
    size = sum(f.stat().st_size for f in Path(args.model).rglob("*") if f.is_file())
    print(f"model:    {args.model}")
    print(f"family:   {config['family']}  (tweetlab {config['tweetlab_version']}, "
          f"created {config['created']})")
    if config.get("task") == "text-generation":
        print(f"task:     tweet generation; {config['info']['parameters']:,} parameters, "
              f"{config['info']['characters']} characters")
        print(f"size:     {size / 1e6:.2f} MB on disk")
        if "valid_bits_per_char" in metrics:
            d = metrics["data"]
            print(f"trained on: {d['source']} ({d['n_train']:,} tweets, "
                  f"{metrics['train_seconds']:.0f} s{_hardware(metrics)}); held-out "
                  f"{metrics['valid_bits_per_char']:.4f} bits per character on the newest "
                  f"{d['n_valid']:,}")
        if metrics.get("base"):
            print(f"started from: {metrics['base'].get('path') or 'a base generator'} "
                  f"({metrics['base'].get('n_train') or '?'} tweets)")
        updates = metrics.get("updates") or []
        if updates:
            print(f"updated:  {sum(u.get('added', 0) for u in updates):,} newer tweets in "
                  f"{len(updates)} update(s), last {updates[-1].get('date', '?')}")
        return 0
    model = load_model(args.model, backend="torch")  # the weights, not an ONNX session
    print(f"labels:   {', '.join(model.output_labels)}")
    if model.neutral_band:
        print(f"neutral band: {model.neutral_band[0]} - {model.neutral_band[1]}")
    print(f"size:     {size / 1e6:.2f} MB on disk")
    onnx = config.get("onnx")
    if onnx:
        print(f"onnx:     {onnx.get('int8') or onnx['file']} (predict, serve and analyze run "
              "it with ONNX Runtime when installed)")
    for k, v in model.extra_info().items():
        print(f"{k + ':':<9} {v:,}" if isinstance(v, int) else f"{k}: {v}")
    if "data" in metrics:
        d = metrics["data"]
        print(f"trained on: {d['source']} ({d['n_train']} examples, "
              f"{metrics['train_seconds']:.1f} s{_hardware(metrics)})")
    if model.scripts_:  # the writing systems of its training tweets, largest share first
        print("scripts:  " + ", ".join(f"{name} {share:.2%}" for name, share in sorted(
            model.scripts_.items(), key=lambda kv: -kv[1])))
    if "validation" in metrics:
        v = metrics["validation"]
        print(f"held-out: accuracy {v['accuracy']:.4f}, macro-F1 {v['macro_f1']:.4f} "
              f"({v['n']} examples)")
    cal = metrics.get("calibration") or {}
    if "temperature" in cal:
        unit = "images" if config.get("task") == "image-classification" else "tweets"
        print(f"calibrated: temperature {cal['temperature']:.2f} on {cal['n']} validation "
              f"{unit} (log-loss {cal['nll_before']:.3f} -> {cal['nll_after']:.3f})")
    relied = (metrics.get("relies_on") or {}).get("classes") or {}
    if any(relied.values()):
        print(f"relies on (bits, over {metrics['relies_on']['tweets']} held-out tweets):")
        width = max(len(c) for c in relied)
        for lab, words in relied.items():
            shown = sorted(words, key=lambda x: -x[1])[:6]  # (older cards: ranked otherwise)
            print(f"  {lab:<{width}}  " + ", ".join(f"{w} {b:+.1f}" for w, b, _ in shown))
    tuning = metrics.get("tuning")
    if tuning and tuning.get("trials"):
        best = tuning["trials"][0]
        print(f"tuned:    best of {len(tuning['trials'])} trials by {tuning['metric']} "
              f"({best['score']:.4f}): {' '.join(best['settings']) or 'the defaults'}")
    print("settings: " + ", ".join(f"{k}={v}" for k, v in config["params"].items()
                                    if k != "cleaning"))
    return 0


def cmd_leakage(args: argparse.Namespace) -> int:
    a = load_dataset(args.train, require_labels=False, skip_bad_rows=True,
                     encoding=args.encoding)
    b = load_dataset(args.test, require_labels=False, skip_bad_rows=True,
                     encoding=args.encoding)
    report = check_leakage(a, b)
    print(f"{args.test} vs {args.train}: {report}")
    for ex in report.examples:
        print(f"  e.g. {ex[:100]!r}")
    return 1 if report.normalized and args.strict else 0


def cmd_analyze(args: argparse.Namespace) -> int:
    name = Path(args.data.rstrip("/*")).name.split('.')[0] or "tweets"
    out = Path(args.out) if args.out else Path(f"{name}-analysis")
    if store.is_store(args.data):
        result = store.analyze_store(args.data, args.model, where=args.where, by=args.by,
                                     group=args.group, out=out,
                                     neutral_band=_band(args.neutral_band), top_n=args.top,
                                     progress=not args.quiet, force=args.force)
        print(f"scored {result.n_new:,} new tweets")  # type: ignore[attr-defined]
    elif args.engine == "ray":
        result = raydata.analyze(args.data, args.model, by=args.by, group=args.group, out=out,
                                 neutral_band=_band(args.neutral_band), text=args.text,
                                 top_n=args.top, progress=not args.quiet, force=args.force,
                                 address=args.address, actors=args.actors)
    else:
        result = analyze(args.data, args.model, by=args.by, group=args.group, out=out,
                         neutral_band=_band(args.neutral_band), text=args.text,
                         top_n=args.top, progress=not args.quiet, force=args.force,
                         workers=args.workers, encoding=args.encoding,
                         skip_bad_rows=args.skip_bad_rows)
    print(f"scored {result.n_scored:,} tweets in {result.seconds:.1f} s "
          f"({result.tweets_per_second:,.0f} tweets/s), counted {describe_period(result.by)}"
          + (f"; skipped {result.n_skipped_dates:,} without a usable date"
             if result.n_skipped_dates else ""))
    table = result.counts
    overall = table.groupby("label")["count"].sum()
    total = int(overall.sum())
    print("overall: " + ", ".join(f"{lab} {n / total:.1%}" for lab, n in overall.items()))
    relied = (result.relies_on or {}).get("classes") or {}
    for lab, items in result.terms.items():
        if items:
            print(f"  {lab:<10} terms: {', '.join(t for t, _, _ in items[:8])}")
        if relied.get(lab):
            print(f"  {'':<10} words the model relied on: "
                  + ", ".join(f"{w} {b:+.1f}" for w, b, _ in relied[lab][:6]))
    print(f"wrote {', '.join(str(f) for f in result.files)}")
    return 0


def _collect_out(c: argparse.ArgumentParser, what: str) -> None:
    """``--out FILE`` or ``--store DB`` of the collect commands."""
    g = c.add_mutually_exclusive_group(required=True)
    g.add_argument("--out", "-o", help=what)
    g.add_argument("--store", help="a tweet store (DuckDB file, made when missing): tweets "
                   "are added once, by id; analyze reads it (pip install 'tweetlab[store]')")


def cmd_store(args: argparse.Namespace) -> int:
    if args.action == "export":
        n = store.export(args.store, args.out, where=args.where, force=args.force)
        print(f"wrote {n:,} tweets to {args.out} (Parquet, partitioned by day)")
        return 0
    tweets = list(store.rows(args.store, "SELECT count(*), min(date), max(date) FROM tweets"))
    print(f"{args.store}: {tweets[0][0]:,} tweets, {tweets[0][1]} to {tweets[0][2]}")
    for model, version, n in store.rows(args.store, "SELECT model, version, count(*) FROM "
                                        "scores GROUP BY ALL ORDER BY ALL"):
        print(f"  scored by {model} (version {version}): {n:,}")
    return 0


def cmd_collect(args: argparse.Namespace) -> int:
    args.out = args.store or args.out
    progress = not args.quiet
    if args.source == "search":
        summary = collect.collect_search(args.query, args.out, max_tweets=args.max,
                                         progress=progress)
    elif args.source == "user":
        summary = collect.collect_user(args.username, args.out, max_tweets=args.max,
                                       progress=progress)
    else:
        summary = collect.import_tweets(args.files, args.out, force=args.force)
    print(summary)
    return 0


def _evaluate_generator(args: argparse.Namespace) -> int:
    from .generation import load_generator, read_tweets  # lazy: imports torch

    gen = load_generator(args.model)
    corpus = read_tweets(args.data, gen.config.cleaning, text=args.text,
                         encoding=args.encoding)
    if args.stream is not None:
        bpc, stream = gen.stream_bits(corpus, chunk=args.stream, progress=not args.quiet)
    else:
        bpc = gen.bits_per_char(corpus)
    print(f"{gen.family}: {bpc:.4f} bits per character on {len(corpus):,} tweets of "
          f"{args.data} ({sum(map(len, corpus.texts)):,} characters)")
    known = gen.known(corpus)
    if known:
        print(f"warning: the model has counted {known:,} of these {len(corpus):,} tweets "
              "(in training or an update), so this score is optimistic; score tweets it "
              "has not seen, such as ones newer than its training", file=sys.stderr)
    if args.stream is not None:
        print(f"as a stream: {stream:.4f} (oldest first, {args.stream} tweets at a time, each "
              "scored before the model counts it, as `generator update` would)")
    return 0


def cmd_generator_update(args: argparse.Namespace) -> int:
    from .generation import update_generator  # lazy: imports torch

    gen, summary = update_generator(args.model, args.data, out=args.out,
                                    in_place=args.in_place, force=args.force, text=args.text,
                                    encoding=args.encoding)
    where = args.model if args.in_place else args.out
    print(f"{summary}; saved to {where}")
    if gen.ngram_ is not None:
        print(f"the n-gram now counts {len(gen.ngram_.corpus):,} characters "
              f"({len(gen.ngram_.lengths):,} tweets)")
    return 0


def cmd_generator_train(args: argparse.Namespace) -> int:
    from .generation import train_generator  # lazy: imports torch

    launched = _processes(args, True, args.model or "char-lstm")
    if launched is not None:
        return launched
    overrides = _loop_overrides(args)
    if args.minutes is not None:
        overrides.append(f"max_seconds={args.minutes * 60}")
    if args.lowercase:
        overrides.append("cleaning.lowercase=true")
    if args.keep_retweets:
        overrides.append("cleaning.drop_retweets=false")
    out = Path(args.out)
    command = _reproduce_command()
    gen = train_generator(args.data, args.model, out=out, overrides=overrides, force=args.force,
                          resume=args.resume, text=args.text, command=command, base=args.base,
                          encoding=args.encoding)
    if not distributed.is_main():  # (torchrun) the first process reports
        return 0
    m = gen.metrics_
    print(f"saved {gen.family} generator to {out}  ({m['train_seconds']:.0f} s training, "
          f"{m['data']['n_train']:,} tweets, {m['parameters']:,} parameters"
          + (", stopped at the time budget" if m["out_of_time"] else "") + ")")
    dropped = m["data"]["dropped"]
    if dropped:
        print("left out: " + ", ".join(f"{n:,} {k}" for k, n in dropped.items()))
    if m["data"].get("retweets_used"):
        print(f"also learned from the text of {m['data']['retweets_used']:,} older retweets "
              f"(retweet_weight {gen.config.retweet_weight:g})")
    elif dropped.get("retweet"):
        print("(--set retweet_weight=1 also learns from the retweets' text: more words in "
              "the account's language and topics)")
    if "base" in m:
        print(f"started from {args.base} ({m['base']['new_characters']} characters new to it)")
    if "valid_bits_per_char" in m:
        print(f"held-out: {m['valid_bits_per_char']:.4f} bits per character on the newest "
              f"{m['data']['n_valid']:,} tweets")
        if "ngram" in m and "valid_bits_per_char_network" in m:
            print(f"  (network alone {m['valid_bits_per_char_network']:.4f}; mixed with a "
                  f"character {m['ngram']['order']}-gram model, {mixture(m['ngram'])})")
    return 0


def cmd_generate(args: argparse.Namespace) -> int:
    from .generation import load_generator  # lazy: imports torch

    if args.output:
        check_output_file(args.output, args.force)
    if args.interactive and args.output:
        raise ConfigError("--interactive prints the tweets; leave out --output")
    gen = load_generator(args.model)
    if args.device:
        gen.to(args.device)

    def write(seed_text: str, seed: int | None) -> list[str]:
        return gen.generate(seed_text, n=args.n, temperature=args.temperature,
                            top_k=args.top_k, top_p=args.top_p, max_chars=args.max_chars,
                            seed=seed, novelty=not args.allow_copies, trim=not args.no_trim,
                            progress=not args.quiet)

    if args.interactive:
        return _generate_interactively(gen, write, args.seed)
    outs = write(args.seed_text, args.seed)
    if args.output:
        write_table(args.output, ["prompt", "text", "characters"],
                    [[args.seed_text, t, len(t)] for t in outs], force=args.force)
        print(f"wrote {len(outs):,} tweets to {args.output}")
    else:
        for text in outs:
            print(_tweet_line(text, args.format))
    if gen.rejected_:
        print(f"(rejected {gen.rejected_} generations that copied {gen.novelty_words}+ words "
              "of a training tweet)", file=sys.stderr)
    return 0


def _tweet_line(text: str, fmt: str = "text") -> str:
    """One generated tweet on one line: its line breaks written as ``\\n`` (text), or a
    JSON object (``jsonl``), so that each printed line is one tweet.

    >>> _tweet_line("two\\nlines"), _tweet_line("two\\nlines", "jsonl")
    ('two\\\\nlines', '{"text": "two\\\\nlines"}')
    """
    if fmt == "jsonl":
        return json.dumps({"text": text}, ensure_ascii=False)
    return text.replace("\\", "\\\\").replace("\r", "\\r").replace("\n", "\\n")


def _generate_interactively(gen: Any, write: Callable[[str, int | None], list[str]],
                            seed: int | None) -> int:
    """``generate --interactive``: a seed phrase per line, tweets for each, until Ctrl-D."""
    tty = sys.stdin.isatty()
    if tty:
        print(f"tweetlab {gen.family} generator. Type a seed phrase and press Enter (an empty "
              "line: tweets from nothing); Ctrl-D quits.")
    for round_ in itertools.count():
        try:
            line = input("seed> " if tty else "")
        except (EOFError, KeyboardInterrupt):
            break
        try:  # a fixed --random-seed gives a new but repeatable draw each round
            outs = write(line.strip(), None if seed is None else seed + round_)
        except ConfigError as exc:
            print(f"error: {exc}", file=sys.stderr)
            continue
        for text in outs:
            print(f"  {_tweet_line(text)}" if tty else _tweet_line(text))
        if gen.rejected_:
            print(f"  (rejected {gen.rejected_} copies of training tweets)", file=sys.stderr)
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    entries = parse_models(models)
    overrides = _per_model(entries, args.set or [])
    if args.epochs is not None:
        for name, _ in entries:
            overrides.setdefault(name, []).append(f"epochs={args.epochs}")
    data = _load_data(args.data, args)
    test = _load_data(args.test, args) if args.test else None
    board = compare(data, models, out=args.out, test=test, test_size=args.test_size,
                    split=args.split, folds=args.folds, seed=args.seed, overrides=overrides,
                    resume=args.resume, progress=not args.quiet)
    _print_board(board)
    print(f"wrote {', '.join(str(f) for f in board.files[:3])}; models in {args.out}/models/")
    for name, why in board.failed.items():
        print(f"failed: {name}: {why}", file=sys.stderr)
    return 1 if board.failed else 0


def _per_model(entries: list[tuple[str, str]], sets: list[str]) -> dict[str, list[str]]:
    """``--set`` values per model: ``key=value`` for all, ``NAME:key=value`` for one,
    ``FAMILY:key=value`` for every model of that family."""
    overrides: dict[str, list[str]] = {}
    for pair in sets:
        who, sep, rest = pair.partition(":")
        if not sep or "=" in who:  # key=value (a value may hold ':'): every model
            targets, setting = [n for n, _ in entries], pair
        else:
            targets, setting = [n for n, f in entries if who in (n, f)], rest
            if not targets:
                raise ConfigError(f"--set {pair}: {who!r} is not one of the models "
                                  f"({', '.join(n for n, _ in entries)})")
        for name in targets:
            overrides.setdefault(name, []).append(setting)
    return overrides


def cmd_generator_compare(args: argparse.Namespace) -> int:
    from .generation import GENERATOR_FAMILIES  # lazy: imports torch

    models = [m.strip() for m in args.models.split(",") if m.strip()]
    overrides = _per_model(parse_models(models, GENERATOR_FAMILIES), args.set or [])
    board = compare_generators(args.data, models, out=args.out, minutes=args.minutes,
                               overrides=overrides, prompt=args.prompt, resume=args.resume,
                               progress=not args.quiet, text=args.text,
                               encoding=args.encoding)
    print(board.describe())
    print(board.to_markdown())
    print(f"wrote {', '.join(str(f) for f in board.files)}; models in {args.out}/models/")
    return 1 if board.failed else 0


def _print_board(board: Any) -> None:
    try:
        from rich.console import Console  # lazy: may be missing
        from rich.table import Table  # lazy: may be missing
    except ImportError:
        print(board.to_markdown())
        return

    table = Table(title=board.describe())
    cols = leaderboard_columns(board.rows, board.classes)
    for c in cols:
        table.add_column(c, justify="left" if c in {"model", "family"} else "right")
    for r in board.rows:
        table.add_row(*(leaderboard_cell(r, c) for c in cols))
    Console(width=max(Console().width, 120)).print(table)


def cmd_check(args: argparse.Namespace) -> int:
    model = load(args.model)
    if not {"negative", "positive"} <= set(model.classes_):
        raise ModelError(f"the behaviour checks are for sentiment models with negative and "
                         f"positive labels; this one predicts {', '.join(model.classes_)}")
    band = _band(args.neutral_band)
    report = run_checks(lambda texts: model.predict(texts, neutral_band=band), behaviour_cases())
    width = max(len(c) for c in report.rates)
    for cap, rate in report.rates.items():
        print(f"{cap:<{width}}  {rate:6.1%}  ({report.counts[cap]} cases)")
    if report.failures and args.failures:
        print(f"\nfailed ({len(report.failures)}; the first {min(args.failures, len(report.failures))}):")
        for case, label in report.failures[:args.failures]:
            print(f"  {case.capability:<12} {label:<9} expected {'/'.join(case.accept):<17} "
                  f"{case.text}")
    return 0


def cmd_build(args: argparse.Namespace) -> int:
    if args.name is None:
        for name, r in sorted(RECIPES.items()):
            print(f"{name:<24} {r.family:<12} {r.about} (about {r.minutes} min on 2 CPU cores)")
        print(f"built models go to {models_home()} ($TWEETLAB_HOME/models)")
        return 0
    model = build(args.name, args.data, args.out, force=args.force, resume=args.resume,
                  overrides=args.set, progress=not args.quiet)

    target = Path(args.out) if args.out else models_home() / args.name
    print(f"built {args.name} ({model.family}) in {target}")
    for src, sc in (read_metrics(target).get("held_out_test") or {}).items():
        print(f"  held-out {src:<13} {sc['n']:>6} tweets  accuracy {sc['accuracy']:.4f}  "
              f"macro-F1 {sc['macro_f1']:.4f}  macro recall {sc['macro_recall']:.4f}")
    if target.resolve() == (models_home() / args.name).resolve():
        print(f"use it by name: tweetlab predict --model {args.name} \"...\"")
    else:  # only the models home is searched by name
        print(f"use it by its folder: tweetlab predict --model {target} \"...\" (or move it "
              f"to {models_home() / args.name} to use it by name)")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from .export import export_model  # lazy: imports torch

    if is_bundled_name(args.model):
        raise ModelError(f"{args.model} is a bundled model; export writes into the model "
                         f"folder, so copy it first: cp -r {bundled_path(args.model)} "
                         f"{args.model} && tweetlab export ./{args.model}")
    path = export_model(args.model, int8=args.int8)
    size = path.stat().st_size / 1e6
    print(f"wrote {path} ({size:.1f} MB); predict, serve and analyze now run it with ONNX "
          "Runtime")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from .serving import serve  # lazy: imports torch

    serve(args.models or None, host=args.host, port=args.port,
          log_level="warning" if args.quiet else "info", workers=args.workers,
          threads=args.threads)
    return 0


def cmd_bot(args: argparse.Namespace) -> int:
    from .bot import ask_in_terminal, run_bot  # lazy: imports torch

    summary = run_bot(args.model, every=args.every, jitter=args.jitter or 0.0,
                      confirm=ask_in_terminal if args.confirm else None,
                      prompts=args.prompt or [""],
                      publish=args.publish, state_file=args.state, log_file=args.log,
                      daily_cap=args.daily_cap, max_posts=args.max_posts,
                      temperature=args.temperature)
    print(summary)
    return 0


def _hardware(metrics: dict[str, Any]) -> str:
    """``", cpu, bf16"`` for ``info`` (empty for folders saved before it was recorded)."""
    if "device" not in metrics:
        return ""
    return (f", {metrics['device']}" + (", bf16" if metrics.get("bf16") else "")
            + (f", {metrics['processes']} processes" if metrics.get("processes") else ""))


# ------------------------------------------------------------------------ parser
# A file given where a command word belongs: what the user probably meant.
_FILE_HINTS = {"tweetlab": "tweetlab train FILE --out DIR, or tweetlab predict MODEL --input FILE",
               "tweetlab collect": "tweetlab collect import FILE --out tweets.jsonl",
               "tweetlab generator": "tweetlab generator train FILE --out DIR"}


class _Parser(argparse.ArgumentParser):
    """argparse's errors with what the user probably meant: a near command, family or
    option name, or the command that reads a file given where a command belongs."""

    def error(self, message: str) -> NoReturn:
        got = re.search(r"invalid choice: '([^']*)' \(choose from (.*)\)$", message)
        if message.startswith("unrecognized arguments: "):
            message += _did_you_mean(self, message.split(": ", 1)[1].split())
        elif got:
            word, hint = got.group(1), _FILE_HINTS.get(self.prog)
            choices = [c.strip().strip("'\"") for c in got.group(2).split(",")]
            close = difflib.get_close_matches(word, choices, n=1)
            if hint and (Path(word).exists() or Path(word).suffix):
                message += f"; to read a file: {hint}"
            elif close:
                message += f"; did you mean {close[0]}?"
        super().error(message)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="tweetlab", description="Train, evaluate and use neural networks on tweets.")
    parser.add_argument("--version", action="version", version=f"tweetlab {__version__}")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress or info lines")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("train", help="train a classifier on a labelled file",
                       description="Train a classifier on a labelled tweet file. On several "
                                   "GPUs or machines, start it with torchrun "
                                   "(torchrun --nproc_per_node N -m tweetlab train ...): "
                                   "the torch families train data-parallel.")
    p.add_argument("data", help="CSV/TSV/JSONL/Parquet file (gzip ok) or TweetEval *_text.txt")
    p.add_argument("--model", "-m", default=None, choices=sorted(FAMILIES),
                   help="model family (default: fasttext; image-cnn for a pixel CSV)")
    p.add_argument("--out", "-o", help="model folder to write (default tweetlab-models/DATA-MODEL)")
    p.add_argument("--set", action="append", metavar="KEY=VALUE",
                   help="set a family or training option, e.g. --set dim=64 --set lr=0.5")
    p.add_argument("--epochs", type=int, help="shortcut for --set epochs=N")
    p.add_argument("--device", help="auto (default), cpu, cuda")
    p.add_argument("--valid", help="separate validation file (default: hold out --valid-size)")
    p.add_argument("--valid-size", type=float, default=0.1, help="held-out share (default 0.1)")
    p.add_argument("--split", default="auto", choices=SPLITS,
                   help="how to hold out: auto groups by id when ids repeat, else stratified")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--neutral-band", type=float, nargs=2, metavar=("LOW", "HIGH"),
                   help="binary models: P(positive) below LOW -> negative, above HIGH -> "
                        "positive, between -> neutral")
    p.add_argument("--force", action="store_true", help="overwrite --out if it exists")
    p.add_argument("--resume", action="store_true", help="continue an interrupted run")
    p.add_argument("--processes", metavar="N", help=PROCESSES_HELP)
    _read_options(p)
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("evaluate", help="score a model on a labelled file",
                       description="Accuracy, macro-F1, per-class scores, confusion matrix "
                                   "(text and PNG).")
    p.add_argument("model", help="model folder")
    p.add_argument("data", help="labelled file")
    p.add_argument("--out", help="folder for metrics.json and confusion_matrix.png "
                                 "(default MODEL/evaluations/DATA)")
    p.add_argument("--neutral-band", type=float, nargs=2, metavar=("LOW", "HIGH"))
    p.add_argument("--mistakes", type=int, default=100, metavar="N",
                   help="classifiers: the N most confident mistakes get the words that spoke "
                        "for the wrong label in mistakes.csv (default 100; 0: none)")
    p.add_argument("--stream", type=int, nargs="?", const=50, metavar="CHUNK",
                   help="generators: also score the tweets as a stream, oldest first, CHUNK "
                        "(default 50) at a time, each chunk counted after it is scored")
    _read_options(p)
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("predict", help="label tweets given as arguments, a file or typed in",
                       description="Label tweets. With no text and no --input, reads tweets "
                                   "interactively (or line by line from a pipe).")
    p.add_argument("--model", "-m", help="model folder or bundled name (en-sentiment, "
                   "es-sentiment, disaster, multilingual-sentiment: Russian and 15 more "
                   "languages); default en-sentiment, or multilingual-sentiment for tweets "
                   "mostly in other scripts. A folder may also be the first argument")
    p.add_argument("texts", nargs="*", metavar="[MODEL] TEXT")
    p.add_argument("--input", "-i", help="file of tweets to label")
    p.add_argument("--entity", help="what the tweets are about, for models trained on "
                                    "entity-level data (files use their entity column)")
    p.add_argument("--output", "-o", help="file to write: CSV, TSV, JSONL or Parquet by its "
                   "name, .gz ok (default: CSV on standard output)")
    p.add_argument("--columns", metavar="COL,NEW=COL,...", help="--input: only these output "
                   "columns, renamed with NEW=COL (Kaggle disaster submission: id,target=label)")
    p.add_argument("--neutral-band", type=float, nargs=2, metavar=("LOW", "HIGH"))
    p.add_argument("--force", action="store_true", help="overwrite --output")
    p.add_argument("--workers", type=int, default=None,
                   help="--input: scoring processes (default: one per core for files over "
                        "~150k tweets, none for smaller ones)")
    _engine_options(p, "--input PATH (a file, folder or glob of CSV/JSONL/Parquet parts) "
                       "scored on Ray Data, --output written as a Parquet dataset")
    p.add_argument("--explain", action="store_true",
                   help="also show the words that decided each label, and those against it "
                        "(each word left out in turn; weights in bits: +1 doubles the odds "
                        "of the label); --input: a 'words' column with the three that spoke "
                        "most for it (each tweet then costs one prediction per word)")
    _read_options(p)
    p.set_defaults(func=cmd_predict)

    p = sub.add_parser("analyze", help="sentiment over time and by group, with charts",
                       description="Score every tweet of a file (streamed in chunks), count "
                                   "labels per period and group, and write counts.csv, "
                                   "typical.csv, terms.csv, PNG charts and report.html.")
    p.add_argument("data", help="tweets, with a date column for counts over time "
                   "(CSV/TSV/JSONL/Parquet, gzip ok), or a tweet store (.duckdb: only the "
                   "tweets the model has not scored yet are scored)")
    p.add_argument("--model", "-m", help="classifier folder or bundled name (default "
                                          "en-sentiment; es-sentiment for Spanish, "
                                          "multilingual-sentiment for Russian and more)")
    p.add_argument("--by", default="auto",
                   choices=["auto", "hour", "day", "week", "month", "all"],
                   help="period to count by (default auto: days, or weeks / months when the "
                        "tweets span more than 120 days / weeks; all: no time axis, also "
                        "auto's choice for a file without dates)")
    p.add_argument("--group", help="hashtag, entity, user or any column name")
    p.add_argument("--neutral-band", type=float, nargs=2, metavar=("LOW", "HIGH"),
                   help="binary models: P(positive) below LOW negative, above HIGH positive")
    p.add_argument("--text", help="column holding the tweet text (guessed when omitted)")
    p.add_argument("--encoding", help="the file's text encoding (default UTF-8; Sentiment140 "
                                      "files are read as latin-1)")
    p.add_argument("--skip-bad-rows", action="store_true",
                   help="skip rows with the wrong number of fields (reports how many)")
    p.add_argument("--top", type=int, default=5, help="typical tweets per label and group")
    p.add_argument("--out", "-o", help="report folder (default DATA-analysis)")
    p.add_argument("--force", action="store_true", help="overwrite --out")
    p.add_argument("--workers", type=int, default=None,
                   help="scoring processes (default: one per core for files over ~150k "
                        "tweets, none for smaller ones)")
    _engine_options(p, "DATA (a file, folder or glob of CSV/JSONL/Parquet parts) scored and "
                       "counted on Ray Data")
    p.add_argument("--where", help="DATA a tweet store (.duckdb): only the tweets this SQL "
                   "condition selects, e.g. \"lang = 'es' AND date >= '2024-01-01'\"")
    p.set_defaults(func=cmd_analyze)

    p = sub.add_parser("collect", help="collect tweets from the X API or import files",
                       description="Write tweets as JSONL (id, date, user, text, lang, "
                                   "is_retweet). API runs append page by page and resume "
                                   "after an interruption; X_BEARER_TOKEN must be set.")
    csub = p.add_subparsers(dest="source", required=True, metavar="SOURCE")
    c = csub.add_parser("search", help="recent search (last 7 days) by query or hashtag")
    c.add_argument("query", help='e.g. "#python -is:retweet lang:en"')
    _collect_out(c, "JSONL file (appended to, resumable)")
    c.add_argument("--max", type=int, default=1000, help="stop after N new tweets")
    c = csub.add_parser("user", help="a user's timeline (their newest 3,200 tweets)")
    c.add_argument("username")
    _collect_out(c, "JSONL file (appended to, resumable)")
    c.add_argument("--max", type=int, default=3200, help="stop after N new tweets")
    c = csub.add_parser("import", help="X archive tweets.js, JSON dumps (.json/.json.gz), "
                                       "CSV; deduplicated by tweet id")
    c.add_argument("files", nargs="+", help="tweets.js, .json/.json.gz or CSV files")
    _collect_out(c, "JSONL file to write")
    c.add_argument("--force", action="store_true", help="replace --out")
    p.set_defaults(func=cmd_collect)

    p = sub.add_parser("store", help="a tweet store (DuckDB): export, counts",
                       description="Work with a tweet store made by collect --store.")
    ssub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    c = ssub.add_parser("export", help="write the tweets as Parquet parts partitioned by day")
    c.add_argument("store", help="the .duckdb file")
    c.add_argument("out", help="folder to write (out/day=YYYY-MM-DD/*.parquet)")
    c.add_argument("--where", help="SQL condition on the tweets, e.g. \"lang = 'es'\"")
    c.add_argument("--force", action="store_true", help="replace a non-empty OUT")
    c = ssub.add_parser("info", help="how many tweets, and the models that scored them")
    c.add_argument("store", help="the .duckdb file")
    p.set_defaults(func=cmd_store)

    p = sub.add_parser("generator", help="train tweet generators on an account's tweets, "
                                         "compare them, or update one with newer tweets")
    gsub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    g = gsub.add_parser("train", help="learn an account's style from its tweets",
                        description="Train a character language model on tweets (CSV/TSV/"
                                    "JSONL/Parquet or an X archive tweets.js). The newest 5% "
                                    "are held out; bits per character are reported. "
                                    "Started by torchrun, it trains data-parallel.")
    g.add_argument("data", help="tweet file")
    g.add_argument("--out", "-o", required=True, help="model folder to write")
    g.add_argument("--model", "-m", choices=["char-lstm", "char-transformer"],
                   help="family (default char-lstm; with --from, the base's)")
    g.add_argument("--from", dest="base", metavar="BASE",
                   help="start from this trained generator's network instead of random weights "
                        "(for an account with few tweets: a base trained on many tweets in its "
                        "language)")
    g.add_argument("--set", action="append", metavar="KEY=VALUE",
                   help="e.g. --set hidden=512 --set cleaning.truncated=drop --set lr=0.002")
    g.add_argument("--epochs", type=int, help="most epochs (early stopping may end sooner)")
    g.add_argument("--minutes", type=float, help="time budget (default 14 minutes)")
    g.add_argument("--lowercase", action="store_true", help="lower-case every tweet")
    g.add_argument("--keep-retweets", action="store_true", help="learn from retweets too")
    g.add_argument("--text", help="column holding the tweet text (guessed when omitted)")
    g.add_argument("--encoding", help="the file's text encoding (default UTF-8)")
    g.add_argument("--device", help="auto (default), cpu, cuda")
    g.add_argument("--force", action="store_true", help="overwrite --out if it exists")
    g.add_argument("--resume", action="store_true", help="continue an interrupted run")
    g.add_argument("--processes", metavar="N", help=PROCESSES_HELP)
    g.set_defaults(func=cmd_generator_train)
    g = gsub.add_parser("compare", help="train several generator families on the same tweets; "
                                        "leaderboard",
                        description="Train each generator (a family, or NAME=FAMILY with its "
                                    "own --set NAME:key=value) for --minutes on the same "
                                    "tweets, score all on the same newest 5%, and write "
                                    "leaderboard.md (with samples), leaderboard.csv, "
                                    "report.html, curves.png and the models. --resume keeps what an "
                                    "interrupted run finished.")
    g.add_argument("data", help="tweet file")
    g.add_argument("--models", default="char-lstm,char-transformer",
                   help="comma-separated (default char-lstm,char-transformer)")
    g.add_argument("--minutes", type=float, default=5.0, help="time budget per model (default 5)")
    g.add_argument("--out", "-o", default="compare-generators", help="output folder")
    g.add_argument("--set", action="append", metavar="[MODEL:]KEY=VALUE")
    g.add_argument("--prompt", "--seed", dest="prompt", default="",
                   help="seed phrase of the samples and speed test")
    g.add_argument("--text", help="column holding the tweet text (guessed when omitted)")
    g.add_argument("--encoding", help="the file's text encoding (default UTF-8)")
    g.add_argument("--resume", action="store_true", help="keep the models already finished")
    g.set_defaults(func=cmd_generator_compare)
    g = gsub.add_parser("update", help="teach a trained generator the account's newer tweets "
                                       "(seconds, no retraining)",
                        description="Add newer tweets to a generator's n-gram counts and "
                                    "novelty filter; the network is unchanged. Tweets it "
                                    "already counted are skipped, so the same growing file "
                                    "can be given each time. A running bot picks up an "
                                    "--in-place update at its next tweet.")
    g.add_argument("model", help="generator folder")
    g.add_argument("data", help="tweet file (read with the model's cleaning)")
    where = g.add_mutually_exclusive_group(required=True)
    where.add_argument("--out", "-o", help="folder for the updated model")
    where.add_argument("--in-place", action="store_true", help="replace MODEL (atomically)")
    g.add_argument("--text", help="column holding the tweet text (guessed when omitted)")
    g.add_argument("--encoding", help="the file's text encoding (default UTF-8)")
    g.add_argument("--force", action="store_true", help="overwrite --out if it exists")
    g.set_defaults(func=cmd_generator_update)

    p = sub.add_parser("generate", help="write new tweets with a trained generator",
                       description="Write new tweets in the learned style, starting with a "
                                   "seed phrase.")
    p.add_argument("model", help="generator folder")
    p.add_argument("--seed", "--prompt", dest="seed_text", default="",
                   help='seed phrase, e.g. "las mafias son"')
    p.add_argument("-n", type=int, default=5, help="how many tweets (default 5)")
    p.add_argument("--temperature", "-t", type=float, default=0.8,
                   help="lower: safer, more repetitive; higher: wilder (default 0.8)")
    p.add_argument("--top-k", type=int, default=None,
                   help="sample among the k likeliest characters only (default: no limit)")
    p.add_argument("--top-p", type=float, default=0.95,
                   help="sample within the smallest set of characters holding this much "
                        "probability (default 0.95; 1 turns it off)")
    p.add_argument("--max-chars", type=int, default=280,
                   help="longest tweet, seed phrase included (default 280)")
    p.add_argument("--random-seed", dest="seed", type=int, default=None,
                   help="for reproducible output")
    p.add_argument("--allow-copies", action="store_true",
                   help="keep generations that copy 8+ words of a training tweet")
    p.add_argument("--no-trim", action="store_true",
                   help="keep a tweet cut by --max-chars as cut (default: it ends at its last "
                        "sentence end or whole word)")
    p.add_argument("--output", "-o", help="write the tweets to a file (CSV, TSV, JSONL or "
                   "Parquet by its name) instead of printing them one per line (a tweet may "
                   "hold line breaks)")
    p.add_argument("--format", choices=["text", "jsonl"], default="text",
                   help="printed tweets: one per line with line breaks as \\n (text), or JSON "
                        "lines")
    p.add_argument("--force", action="store_true", help="overwrite --output")
    p.add_argument("--interactive", "-i", action="store_true",
                   help="read seed phrases one per line (typed, or piped in) and write -n "
                        "tweets for each; the model loads once")
    p.add_argument("--device", help="auto, cpu, cuda")
    p.set_defaults(func=cmd_generate)

    p = sub.add_parser("bot", help="post generated tweets on a schedule (dry-run by default)",
                       description="Every --every, write a tweet and print it and append it to "
                                   "--log; with --publish, post it through the X API v2 "
                                   "(X_API_KEY, X_API_SECRET, X_ACCESS_TOKEN, "
                                   "X_ACCESS_TOKEN_SECRET). Ctrl-C stops it; a restart "
                                   "never posts the same text twice.")
    p.add_argument("model", help="generator folder")
    p.add_argument("--every", default="2h", help="interval, e.g. 2h, 30m, 90s (default 2h)")
    p.add_argument("--jitter", help="move each post by up to this much either way, e.g. 20m "
                                    "(default: none)")
    p.add_argument("--prompt", "--seed", dest="prompt", action="append",
                   help="seed phrase(s), used in turn")
    p.add_argument("--publish", action="store_true", help="really post (default: dry-run)")
    p.add_argument("--confirm", action="store_true",
                   help="show each tweet and post it only when you answer y (n writes another, "
                        "q stops)")
    p.add_argument("--state", default="bot-state.json", help="state file (default bot-state.json)")
    p.add_argument("--log", default="bot-log.jsonl", help="log of every tweet (JSONL)")
    p.add_argument("--daily-cap", type=int, default=12, help="most posts per UTC day")
    p.add_argument("--max-posts", type=int, help="stop after N posts")
    p.add_argument("--temperature", "-t", type=float, default=0.8,
                   help="sampling temperature (default 0.8)")
    p.set_defaults(func=cmd_bot)

    p = sub.add_parser("tune", help="search a family's settings on a held-out part",
                       description="Random search (like fastText's autotune): trial 1 is the "
                                   "defaults, each further trial draws one option per "
                                   "dimension of the family's search space (tfidf, fasttext, "
                                   "bow-mlp, lstm, cnn, transformer; or --search), trains on the data less "
                                   "--valid-size and scores on that part. With --out, the "
                                   "best settings train a model on all the data.")
    p.add_argument("data", help="labelled tweet file")
    p.add_argument("--model", "-m", default="fasttext", help="family (default fasttext)")
    p.add_argument("--trials", type=int, default=20, help="most trials (default 20)")
    p.add_argument("--minutes", type=float, help="stop starting trials after this long")
    p.add_argument("--metric", default="macro_f1",
                   help="macro_f1 (default), accuracy, or f1_LABEL (one class, e.g. f1_1)")
    p.add_argument("--valid-size", type=float, default=0.2,
                   help="share held out to score the trials (default 0.2)")
    p.add_argument("--folds", type=int, help="score each trial over k folds instead "
                                             "(k times the work, a steadier choice)")
    p.add_argument("--search", action="append", metavar="KEY=A|B|C",
                   help="search these options instead of the family's space (repeatable)")
    p.add_argument("--set", action="append", metavar="KEY=VALUE",
                   help="a setting every trial keeps")
    p.add_argument("--out", "-o", help="train the best settings on all the data and save here")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--force", action="store_true", help="overwrite --out")
    p.add_argument("--resume", action="store_true",
                   help="after a kill: reuse the trials that finished (kept beside --out) "
                        "and run the rest")
    _read_options(p)
    p.set_defaults(func=cmd_tune)

    p = sub.add_parser("compare", help="train several families on one split; leaderboard",
                       description="Train each family on the same training part, score it on "
                                   "the same held-out part (or k folds), and write "
                                   "leaderboard.csv, leaderboard.md, report.html and the "
                                   "models. Ctrl-C keeps what finished; --resume continues.")
    p.add_argument("data", help="labelled tweet file")
    p.add_argument("--models", default="tfidf,fasttext,bow-mlp,lstm,cnn",
                   help="comma-separated families (default tfidf,fasttext,bow-mlp,lstm,cnn); "
                        "NAME=FAMILY adds a variant with its own --set NAME:key=value")
    p.add_argument("--out", "-o", default="compare", help="output folder (default compare)")
    p.add_argument("--test", help="separate test file (default: hold out --test-size)")
    p.add_argument("--test-size", type=float, default=0.2)
    p.add_argument("--split", default="auto", choices=SPLITS)
    p.add_argument("--folds", type=int, help="k-fold cross-validation instead of one split")
    p.add_argument("--set", action="append", metavar="[MODEL:]KEY=VALUE",
                   help="an option for every model, or one model (--set lstm:hidden=64) "
                        "or variant (--set bal:class_weight=balanced)")
    p.add_argument("--epochs", type=int, help="epochs for every torch family")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--resume", action="store_true", help="reuse families finished in --out")
    _read_options(p)
    p.set_defaults(func=cmd_compare)

    p = sub.add_parser("check", help="behaviour checks of a sentiment model (negation, "
                                     "emoji, 'but'...)",
                       description="Run the CheckList-style behaviour cases of "
                                   "tweetlab.checklist - negation, intensifiers, emoji, "
                                   "contrast, questions, neutral headlines, tweet form - and "
                                   "print the pass rate per capability.")
    p.add_argument("model", nargs="?", help="model folder or bundled name (default "
                                            "en-sentiment)")
    p.add_argument("--failures", type=int, default=10, metavar="N",
                   help="list the first N failed cases (default 10; 0: none)")
    p.add_argument("--neutral-band", nargs=2, type=float, metavar=("LOW", "HIGH"),
                   help="binary models: label P(positive) in [LOW, HIGH] neutral")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("build", help="train a named model from its recipe (en-sentiment-accurate)",
                       description="Train a model too large to ship from its recipe - the "
                                   "shared data files, labels, held-out splits and settings in "
                                   "tweetlab.recipes - into the models home, where every "
                                   "command finds it by name. No name: list the recipes.")
    p.add_argument("name", nargs="?", help="recipe name (none: list them)")
    p.add_argument("--data", default=".", help="folder holding the recipe's data files")
    p.add_argument("--out", help="model folder (default: $TWEETLAB_HOME/models/NAME)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="change a setting of the recipe, e.g. --set max_seconds=1800")
    p.add_argument("--force", action="store_true", help="overwrite a built model")
    p.add_argument("--resume", action="store_true", help="continue an interrupted build")
    p.set_defaults(func=cmd_build)

    p = sub.add_parser("export", help="export a model folder to ONNX (ONNX Runtime inference)")
    p.add_argument("model", help="model folder (fasttext, bow-mlp, cnn, transformer)")
    p.add_argument("--format", default="onnx", choices=["onnx"])
    p.add_argument("--int8", action="store_true",
                   help="also write a dynamically int8-quantized copy and use it")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("serve", help="REST API and web page for models",
                       description="Serve models over HTTP: POST /v1/predict (classifiers), "
                                   "POST /v1/generate (tweet generators), GET /v1/models, "
                                   "/healthz, /metrics, a web page at / and docs at /docs. "
                                   "Binding beyond 127.0.0.1 needs TWEETLAB_API_KEY.")
    p.add_argument("models", nargs="*", help="classifier or generator folders, or bundled "
                                             "names (default: the bundled models); the first "
                                             "of each kind is its default")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--workers", type=int, default=1,
                   help="server processes (each loads the models; default 1)")
    p.add_argument("--threads", type=int, default=None,
                   help="torch threads per process (default: 1 for fast families, all cores "
                        "for transformer/embed-lr; env TWEETLAB_THREADS)")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("info", help="describe a model folder")
    p.add_argument("model", help="model folder or bundled name")
    p.set_defaults(func=cmd_info)

    p = sub.add_parser("leakage", help="count tweets of TEST that also occur in TRAIN")
    p.add_argument("train")
    p.add_argument("test")
    p.add_argument("--strict", action="store_true", help="exit 1 when any overlap is found")
    p.add_argument("--encoding", help="the files' text encoding (default UTF-8; "
                                      "Sentiment140: latin-1)")
    p.set_defaults(func=cmd_leakage)
    _quiet_anywhere(parser)
    return parser


def _command_parsers(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
    """Every (sub)command parser below ``parser``, depth first."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                yield child
                yield from _command_parsers(child)


def _quiet_anywhere(parser: argparse.ArgumentParser) -> None:
    """Let ``-q`` stand after the command too (``tweetlab train DATA -q``), as people type
    it; the commands' help keeps listing it once, under ``tweetlab -h``."""
    for command in _command_parsers(parser):
        if command.get_default("func") is not None:
            command.add_argument("-q", "--quiet", action="store_true",
                                 default=argparse.SUPPRESS, help=argparse.SUPPRESS)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    args, extra = parser.parse_known_args(argv)
    args.argv = argv  # (--processes runs the same command again in each process)
    if extra:
        # argparse gives the tweets of `predict MODEL --neutral-band 0.4 0.6 "text"` (after
        # an option) back unparsed: they are tweets too. Anything else is an error.
        if getattr(args, "func", None) is cmd_predict and not any(x.startswith("-")
                                                                  for x in extra):
            args.texts = [*args.texts, *extra]
        else:
            command = _subparser(parser, getattr(args, "func", None)) or parser
            command.error(f"unrecognized arguments: {' '.join(extra)}")
    handler = logging.StreamHandler(sys.stderr)
    rank = distributed.rank()
    handler.setFormatter(logging.Formatter(f"tweetlab{f' [process {rank}]' if rank else ''}: "
                                           "%(message)s"))
    # The logger is put back as it was on return: main() called from Python (a notebook, a
    # test) must not leave a handler writing to the stderr of that moment.
    before = (log.handlers[:], log.propagate, log.level)
    log.handlers[:] = [handler]
    log.propagate = False
    # Under torchrun the other processes only speak of errors (the first reports).
    log.setLevel(logging.ERROR if rank else logging.WARNING if args.quiet else logging.INFO)
    try:
        if distributed.active() and getattr(args, "func", None) not in (cmd_train,
                                                                         cmd_generator_train):
            print("error: only `train` and `generator train` run in several processes "
                  "(torchrun); run this command once, without torchrun", file=sys.stderr)
            return 2
        code = _run(args)
    finally:
        distributed.shutdown()
        log.handlers[:], log.propagate, level = before
        log.setLevel(level)
    distributed.exit_if_joined(code)  # (a process that trained data-parallel ends here)
    return code


def _subparser(parser: argparse.ArgumentParser, func: Any) -> argparse.ArgumentParser | None:
    """The (sub)command parser whose default ``func`` is ``func``."""
    return next((p for p in _command_parsers(parser) if p.get_default("func") is func), None)


def _did_you_mean(parser: argparse.ArgumentParser, extra: Sequence[str]) -> str:
    """``"; did you mean --random-seed?"`` for unknown options close to known ones (same
    words in another order, or a near spelling)."""
    known = [o for o in parser._option_string_actions if o.startswith("--")]
    hints = []
    for arg in extra:
        if not arg.startswith("--"):
            continue
        name = arg.split("=", 1)[0]
        words = sorted(name[2:].split("-"))
        match = [o for o in known if sorted(o[2:].split("-")) == words] or \
            difflib.get_close_matches(name, known, n=1, cutoff=0.75)
        if match:
            hints.append((name, match[0]))
    if len(hints) == 1:
        return f" (did you mean {hints[0][1]}?)"
    return f" (did you mean {', '.join(f'{m} for {n}' for n, m in hints)}?)" if hints else ""


# "force=True (CLI: --force)", "label_map= (CLI: --label-map a=...)", "tweetlab.load_generator
# (CLI: tweetlab generate)": the library's errors name both ways; the CLI says its own.
_PYTHON_THEN_CLI = re.compile(r"(?:[\w.]+=(?:'[^']*'|[^\s()]*)|tweetlab\.\w+) \(CLI: ([^)]+)\)")


def for_the_cli(message: str) -> str:
    """A library error as the command line says it: the flag, not the keyword argument.

    >>> for_the_cli("out exists; pass force=True (CLI: --force) to overwrite it")
    'out exists; pass --force to overwrite it'
    >>> for_the_cli("pass encoding='cp1252' (CLI: --encoding cp1252) if it is not UTF-8")
    'pass --encoding cp1252 if it is not UTF-8'
    """
    return _PYTHON_THEN_CLI.sub(lambda m: m.group(1), message)


def _sigterm_as_interrupt(signum: int, frame: Any) -> None:
    """systemd, Docker and kill stop a program with SIGTERM: stop as Ctrl-C does (worker
    processes ended, temporary files removed, a resumable run resumable)."""
    raise KeyboardInterrupt


def _run(args: argparse.Namespace) -> int:
    before = None
    # Not in a process of a data-parallel run: its launcher (or torchrun) stops it with
    # SIGTERM, maybe while it waits inside gloo's C++ code, where no Python handler runs.
    if threading.current_thread() is threading.main_thread() and not distributed.active() \
            and not os.environ.get(distributed.LAUNCHED):
        before = signal.signal(signal.SIGTERM, _sigterm_as_interrupt)
    try:
        return _run_command(args)
    finally:
        if before is not None:
            signal.signal(signal.SIGTERM, before)


def _run_command(args: argparse.Namespace) -> int:
    try:
        return int(args.func(args) or 0)
    except TweetlabError as exc:
        rank = distributed.rank()
        print(f"error{f' (process {rank})' if rank else ''}: {for_the_cli(str(exc))}",
              file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        resumable = args.func in (cmd_train, cmd_build, cmd_generator_train, cmd_compare,
                                  cmd_generator_compare) or (args.func is cmd_tune and args.out)
        if not distributed.is_main() or os.environ.get(distributed.LAUNCHED):
            return 130  # (the first process says it, or --processes' launcher)
        print("\ninterrupted" + ("; the same command plus --resume continues it"
                                 if resumable else ""), file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except OSError as exc:  # a disk that filled up, a folder that vanished: one line
        where = f": {exc.filename}" if exc.filename else ""
        print(f"error: {exc.strerror or exc}{where}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
