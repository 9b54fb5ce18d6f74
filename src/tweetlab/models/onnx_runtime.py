"""Running an exported model (``tweetlab export``) in ONNX Runtime: the session that
stands in for a family's network when a folder with an export is loaded. torch and
onnxruntime are imported only when such a folder is loaded."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from ..errors import ModelError

ONNX_FILE = "model.onnx"
INT8_FILE = "model.int8.onnx"


class OnnxModule:
    """Stands in for a family's ``nn.Module`` at prediction time: same inputs, same logits."""

    def __init__(self, path: Path, n_inputs: int) -> None:
        import onnxruntime as ort  # lazy: optional dependency

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = torch.get_num_threads()
        opts.log_severity_level = 3  # errors only: graph-optimizer notes are not for users
        self.session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        self.names = [i.name for i in self.session.get_inputs()][:n_inputs]
        self.path = path
        self._device_probe = torch.zeros(1)

    def __call__(self, *inputs: torch.Tensor) -> torch.Tensor:
        feeds = {n: t.cpu().numpy() for n, t in zip(self.names, inputs, strict=True)}
        return torch.from_numpy(self.session.run(None, feeds)[0])

    # The classifier code asks these of its module; an ONNX session is always on the CPU.
    def parameters(self) -> Any:
        yield self._device_probe

    def eval(self) -> OnnxModule:
        return self

    def to(self, device: Any) -> OnnxModule:
        return self


def attach_onnx(model: Any, directory: Path, config: dict[str, Any], backend: str) -> bool:
    """Swap ``model.module_`` for an ONNX Runtime session when the folder has an export."""
    info = config.get("onnx")
    if not info or backend == "torch":
        return False
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        if backend == "onnx":
            raise ModelError("this needs onnxruntime: pip install onnxruntime") from None
        return False
    name = info.get("int8") or info["file"]
    path = directory / name
    if not path.exists():
        raise ModelError(f"{directory}: config.json names {name}, which is missing")
    model.module_ = OnnxModule(path, int(info.get("inputs", 2)))
    model.backend_ = f"onnxruntime ({name})"
    return True
