"""Export a torch model folder to ONNX; load it back with ONNX Runtime.

``export_model(DIR)`` writes ``model.onnx`` (and with ``int8=True`` a dynamically
quantized ``model.int8.onnx``) into the model folder and records it in
``config.json``. From then on :func:`tweetlab.load_model` scores that folder with ONNX
Runtime when it is installed (``onnxruntime``), and with PyTorch otherwise: the
featurizer (cleaning, vocabulary, tokenizer) stays the same Python code, only the
network runs in ONNX Runtime. Outputs match PyTorch within ``TOLERANCE`` (probabilities,
float32 export); int8 trades a little accuracy for speed on CPU.
"""

from __future__ import annotations

import importlib.util
import io
import logging
import os
import warnings
from pathlib import Path
from typing import Any, cast

import numpy as np
import torch

from ._fs import check_can_write
from .errors import ConfigError, ModelError
from .models import load_model
from .models.onnx_runtime import INT8_FILE, ONNX_FILE
from .persistence import CONFIG_FILE, read_config, write_json_atomic

log = logging.getLogger("tweetlab")
TOLERANCE = 1e-4  # max |p_onnx - p_torch| for the float32 export (tested)
INT8_WARN = 0.1  # int8: a warning when a sample tweet's probabilities move more than this


def export_model(directory: str | Path, *, int8: bool = False, check: bool = True) -> Path:
    """Write ``model.onnx`` (and ``model.int8.onnx``) into a model folder; returns the file."""
    from .models.torch_base import TorchTextClassifier  # lazy: imports torch

    d = Path(directory)
    needed = ("onnx", "onnxruntime") if check or int8 else ("onnx",)
    missing = [m for m in needed if importlib.util.find_spec(m) is None]
    if missing:
        raise ConfigError(f"export needs {' and '.join(missing)}: pip install 'tweetlab[onnx]'")
    check_can_write(d, "the ONNX export")
    model = load_model(d, backend="torch")
    if not isinstance(model, TorchTextClassifier):
        raise ModelError(f"{d}: only torch text families export to ONNX; this is "
                         f"{model.family}")
    if model.family == "lstm":
        raise ModelError("the lstm family packs sequences, which ONNX cannot express; "
                         "export cnn, fasttext, bow-mlp or transformer models")
    sample = ["an example tweet to trace the network with", "short one", "x"]
    inputs = next(iter(model._batches(model._encode(model.clean(sample)), None, 8,
                                      np.arange(len(sample)))))
    names = [f"input{i}" for i in range(len(inputs))]
    axes = {n: {k: f"{n}_dim{k}" for k in range(t.dim())} for n, t in zip(names, inputs,
                                                                          strict=True)}
    axes["logits"] = {0: "batch"}
    buf = io.BytesIO()
    module = model.export_module().eval()
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation chatter
        torch.onnx.export(module, tuple(inputs), cast(Any, buf), input_names=names,
                          output_names=["logits"], dynamic_axes=axes, opset_version=17,
                          dynamo=False)
    path = d / ONNX_FILE
    tmp = d / f".{ONNX_FILE}.tmp"
    tmp.write_bytes(buf.getvalue())
    os.replace(tmp, path)
    files = {"file": ONNX_FILE, "int8": None, "inputs": len(inputs)}
    if int8:
        from onnxruntime.quantization import (  # lazy: optional dependency
            QuantType,
            quantize_dynamic,
        )

        tmp8 = d / f".{INT8_FILE}.tmp"
        quantize_dynamic(str(path), str(tmp8), weight_type=QuantType.QInt8)
        os.replace(tmp8, d / INT8_FILE)
        files["int8"] = INT8_FILE
    config = read_config(d)
    config["onnx"] = files
    write_json_atomic(d / CONFIG_FILE, config)
    if check:
        texts = [*sample, "another tweet with words the model may know"]
        exported = load_model(d, backend="onnx")
        diff = float(np.abs(exported.predict_proba(texts) - model.predict_proba(texts)).max())
        if not int8 and diff > TOLERANCE:
            raise ModelError(f"ONNX export differs from PyTorch by {diff:.2e} (> "
                             f"{TOLERANCE}); please report this model's family")
        if int8 and diff > INT8_WARN:
            log.warning("int8 moves this model's probabilities by up to %.2f on %d sample "
                        "tweets (some encoders, MPNet for one, lose much more to int8 than "
                        "others); check it with `tweetlab evaluate` before serving it, or "
                        "export without --int8", diff, len(texts))
    log.debug("exported %s to %s%s", d, path, f" and {INT8_FILE}" if int8 else "")
    return d / (INT8_FILE if int8 else ONNX_FILE)
