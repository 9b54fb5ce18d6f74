"""The model folder format: writing and reading a folder's files atomically.

A model directory holds ``config.json`` (family, format version, hyperparameters,
labels, cleaning options, tweetlab version), ``model.safetensors``, vocabulary JSON,
``metrics.json`` and a generated ``README.md`` model card. No pickle anywhere.
Writes are atomic: everything goes to a temporary sibling folder that is renamed
into place, so an interrupted save leaves the previous model untouched.

A model writes and reads its folder through :func:`tweetlab.models.save_model` and
:func:`tweetlab.models.load_model`, which use the functions here; this module knows the
files, not the models (it imports nothing from :mod:`tweetlab.models`).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from safetensors.numpy import load_file, save_file

from ._fs import check_can_write, publish
from ._version import __version__
from .card import CURVES_FILE, model_card, plot_history, wants_curves
from .data.splits import text_keys
from .errors import ModelError

FORMAT_VERSION = 1
CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"
METRICS_FILE = "metrics.json"
CARD_FILE = "README.md"
def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON to ``path`` through a temporary file and an atomic rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, ensure_ascii=False, indent=2)
        publish(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def check_writable(directory: Path, force: bool) -> None:
    """Refuse to overwrite an existing non-empty folder unless ``force``, and a place
    where nothing can be written at all (before the work, not after it)."""
    if directory.exists() and not force:
        if directory.is_file() or any(directory.iterdir()):
            raise ModelError(f"{directory} already exists; pass force=True (CLI: --force) "
                             "to overwrite it, or choose another folder")
    check_can_write(directory.parent, f"the folder {directory.name}")


def write_model_dir(directory: str | Path, arrays: dict[str, np.ndarray],
                    files: dict[str, Any], config: dict[str, Any], metrics: dict[str, Any],
                    *, force: bool = False) -> Path:
    """Write a model folder atomically: weights, JSON files, config, metrics, model card.

    ``config`` holds the family's entries (task, family, params...); the format, version
    and date entries are added here. Shared by classifiers and generators.
    """
    target = Path(directory)
    check_writable(target, force)
    config = {
        "format": "tweetlab.model",
        "format_version": FORMAT_VERSION,
        "tweetlab_version": __version__,
        **config,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "files": sorted([WEIGHTS_FILE, *files]),
    }
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.partial-"))
    try:
        save_file({k: np.ascontiguousarray(v) for k, v in arrays.items()},
                  str(tmp / WEIGHTS_FILE), metadata={"format": "tweetlab"})
        for name, data in files.items():
            (tmp / name).write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        (tmp / CONFIG_FILE).write_text(json.dumps(config, ensure_ascii=False, indent=2),
                                       encoding="utf-8")
        (tmp / METRICS_FILE).write_text(json.dumps(metrics, indent=2), encoding="utf-8")
        if wants_curves(metrics):
            plot_history(metrics["history"], tmp / CURVES_FILE,
                         f"{config.get('family', '')}: training curves",
                         best_epoch=metrics.get("best_epoch"))
        (tmp / CARD_FILE).write_text(model_card(config, metrics), encoding="utf-8")
        if target.exists():
            old = target.with_name(f".{target.name}.old-{os.getpid()}")
            os.replace(target, old)
            publish(tmp, target)
            shutil.rmtree(old, ignore_errors=True) if old.is_dir() else old.unlink()
        else:
            publish(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target


def read_config(directory: str | Path) -> dict[str, Any]:
    """The parsed ``config.json`` of a model directory, with clear errors."""
    d = Path(directory)
    path = d / CONFIG_FILE
    if not d.exists():
        raise ModelError(f"model folder {d} not found")
    if not path.exists():
        raise ModelError(f"{d} is not a tweetlab model folder (no {CONFIG_FILE})")
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ModelError(f"{path}: invalid JSON ({exc})") from None
    if config.get("format") != "tweetlab.model":
        raise ModelError(f"{path}: not a tweetlab model config")
    if config.get("format_version", 0) > FORMAT_VERSION:
        raise ModelError(f"{path}: format version {config['format_version']} is newer than this "
                         f"tweetlab ({__version__}) reads; upgrade tweetlab")
    return config


def write_metrics(directory: str | Path, metrics: dict[str, Any]) -> None:
    """Replace ``metrics.json`` (and refresh the model card) of a saved model."""
    d = Path(directory)
    config = read_config(d)
    write_json_atomic(d / METRICS_FILE, metrics)
    tmp = d / f".{CARD_FILE}.tmp"
    tmp.write_text(model_card(config, metrics), encoding="utf-8")
    os.replace(tmp, d / CARD_FILE)


def file_fingerprint(path: str | Path | None) -> str | None:
    """SHA-256 of a data file's bytes (``None`` when ``path`` is not a readable file).

    Recorded in ``metrics.json`` at training so that evaluating on the very file a model
    was trained on can be noticed (the score would be optimistic).
    """
    if path is None:
        return None
    p = Path(path)
    if not p.is_file():
        return None
    digest = hashlib.sha256()
    try:
        with p.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    except OSError:
        return None
    return digest.hexdigest()


def read_metrics(directory: str | Path) -> dict[str, Any]:
    path = Path(directory) / METRICS_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def read_model_dir(directory: str | Path) -> tuple[dict[str, Any], dict[str, np.ndarray],
                                                   dict[str, Any]]:
    """(config, arrays of model.safetensors, {file name: JSON}) of a model folder."""
    d = Path(directory)
    config = read_config(d)
    try:
        arrays = load_file(str(d / WEIGHTS_FILE))
    except FileNotFoundError:
        raise ModelError(f"{d}: {WEIGHTS_FILE} is missing") from None
    except Exception as exc:  # safetensors raises its own error types for damaged files
        raise ModelError(f"{d / WEIGHTS_FILE}: cannot read ({exc})") from None
    files = {}
    for name in config.get("files", []):
        if name == WEIGHTS_FILE:
            continue
        try:
            files[name] = json.loads((d / name).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise ModelError(f"{d / name}: cannot read ({exc})") from None
    return config, arrays, files


TEXT_KEYS_FILE = "training_texts.safetensors"


def write_text_keys(directory: str | Path, texts: Sequence[str]) -> None:
    """Keep the keys of a model's training texts (:func:`tweetlab.data.splits.text_keys`,
    8 bytes a tweet, no text) in its folder, for :func:`read_text_keys`."""

    d = Path(directory)
    tmp = d / f".{TEXT_KEYS_FILE}.tmp"
    save_file({"keys": text_keys(texts)}, str(tmp))
    os.replace(tmp, d / TEXT_KEYS_FILE)


def read_text_keys(directory: str | Path) -> np.ndarray | None:
    """The training texts' keys kept by :func:`write_text_keys` (None: none kept)."""
    path = Path(directory) / TEXT_KEYS_FILE
    if not path.exists():
        return None
    return load_file(str(path))["keys"]
