"""Saving and loading a model: ``save_model(model, dir)`` and ``load_model(dir)``, the
model's side of the folder format in :mod:`tweetlab.persistence`.

>>> from tweetlab.models import create
>>> import tempfile
>>> clf = create("tfidf").fit(["good", "great", "bad", "awful"], ["pos", "pos", "neg", "neg"])
>>> d = save_model(clf, tempfile.mkdtemp() + "/m")
>>> load_model(d).predict(["great"])
['pos']
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..config import TrainConfig
from ..errors import ConfigError, ModelError
from ..persistence import (
    CONFIG_FILE,
    check_writable,
    read_config,
    read_metrics,
    read_model_dir,
    write_model_dir,
)
from .registry import get_family

if TYPE_CHECKING:
    from .base import Classifier


def save_model(model: Classifier, directory: str | Path, *, force: bool = False,
               metrics: dict[str, Any] | None = None) -> Path:
    """Write ``model`` as a model directory and return its path."""
    model._check_fitted()
    if getattr(model, "backend_", "").startswith("onnxruntime"):
        raise ModelError("this model runs an ONNX export, which holds no trainable weights; "
                         "to save a copy, load it with load_model(folder, backend='torch') "
                         "(or copy the folder)")
    check_writable(Path(directory), force)
    arrays, files = model._state()
    config = {
        "task": model.task,
        "family": model.family,
        "labels": list(model.classes_),
        "neutral_band": list(model.neutral_band) if model.neutral_band else None,
        "entity_input": bool(getattr(model, "entity_input", False)),
        "temperature": float(getattr(model, "temperature", 1.0)),
        **({"scripts": model.scripts_} if getattr(model, "scripts_", None) else {}),
        "params": model.config.to_dict(),
        "train": model.train_config.to_dict(),
        "info": model.extra_info(),
    }
    return write_model_dir(directory, arrays, files, config, metrics or {}, force=force)


def load_model(directory: str | Path, *, backend: str = "auto") -> Classifier:
    """Load a classifier directory written by :func:`save_model`.

    ``backend``: for a folder exported to ONNX (``tweetlab export``), ``auto`` runs the
    network in ONNX Runtime when it is installed, ``onnx`` requires it, ``torch`` ignores
    the export.
    """
    if backend not in {"auto", "torch", "onnx"}:
        raise ConfigError(f"backend {backend!r}: choose auto, torch or onnx")
    d = Path(directory)
    config = read_config(d)
    if config.get("task") == "text-generation":
        raise ModelError(f"{d} is a tweet generator: load it with tweetlab.load_generator "
                         "(CLI: tweetlab generate)")
    cls = get_family(config["family"])
    try:
        params = cls.Config.from_dict(config["params"])
        train = TrainConfig.from_dict(config.get("train", {}))
    except ConfigError as exc:
        raise ModelError(f"{d / CONFIG_FILE}: {exc}") from None
    model = cls(params, train_config=train, neutral_band=config.get("neutral_band"))
    model.classes_ = list(config["labels"])
    model.entity_input = bool(config.get("entity_input", False))
    model.temperature = float(config.get("temperature", 1.0))  # (1.0 before calibration)
    model.scripts_ = dict(config.get("scripts") or {})
    model.folder_ = d
    _, arrays, files = read_model_dir(d)
    cls._restore(model, arrays, files)
    if config.get("onnx") and backend != "torch":
        from .onnx_runtime import attach_onnx  # (imports torch: only for exported folders)

        attach_onnx(model, d, config, backend)
    model.metrics_ = read_metrics(d)
    return model
