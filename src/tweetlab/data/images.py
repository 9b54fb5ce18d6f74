"""Pixel-CSV images (the Kaggle Digit Recognizer layout) -> :class:`ImageDataset`.

A file has an optional ``label`` column and one column per pixel (``pixel0`` ...
``pixel783`` for 28x28 grey images), values 0-255, one image a row. Kaggle's
``test.csv`` is the same without the label column. Bad input - a wrong column count,
a value that is not a number, a value outside 0-255 - is reported with file, line and
column.

>>> import tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "d.csv"
>>> _ = p.write_text("label,pixel0,pixel1,pixel2,pixel3\\n1,0,255,3,4\\n0,9,8,7,6\\n")
>>> ds = load_images(p)
>>> ds.shape, ds.labels, ds.pixels.shape
((2, 2, 1), ['1', '0'], (2, 4))
"""

from __future__ import annotations

import gzip
import io
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import DataError, list_columns
from .readers import decode, looks_like_pixels, read_bytes

LABEL_NAMES = ("label", "labels", "target", "class", "digit", "y")


@dataclass
class ImageDataset:
    """Images as a (n, height*width*channels) uint8 array, with optional labels and ids."""

    pixels: np.ndarray
    shape: tuple[int, int, int]  # (height, width, channels)
    labels: list[str] | None = None
    ids: list[int] = field(default_factory=list)
    source: str | None = None

    def __post_init__(self) -> None:
        if self.pixels.ndim != 2 or self.pixels.shape[1] != math.prod(self.shape):
            raise ValueError(f"pixels of shape {self.pixels.shape} do not fit images {self.shape}")
        if self.labels is not None and len(self.labels) != len(self.pixels):
            raise ValueError(f"{len(self.labels)} labels for {len(self.pixels)} images")
        if not self.ids:
            self.ids = list(range(1, len(self.pixels) + 1))  # Kaggle's ImageId starts at 1

    def __len__(self) -> int:
        return len(self.pixels)

    def __repr__(self) -> str:
        h, w, c = self.shape
        parts = [f"{len(self)} images of {h}x{w}x{c}"]
        if self.labels is not None:
            counts = dict(sorted(self.label_counts().items()))
            parts.append(f"labels {counts}")
        if self.source:
            parts.append(f"from {self.source!r}")
        return f"ImageDataset({'; '.join(parts)})"

    @property
    def texts(self) -> np.ndarray:
        """The model inputs (named like :attr:`Dataset.texts` so both kinds flow alike)."""
        return self.pixels

    @property
    def classes(self) -> list[str]:
        return sorted(set(self.labels)) if self.labels is not None else []

    @property
    def columns(self) -> dict[str, list[Any]]:
        """Images carry no extra columns (so splits are stratified or random)."""
        return {}

    def column(self, name: str) -> list[Any]:
        raise DataError(f"image data has no column {name!r}; split stratified or random",
                        path=self.source)

    def line_of(self, row: int) -> int | None:
        return None

    def label_counts(self) -> dict[str, int]:
        values, counts = np.unique(np.array(self.labels or [], dtype=object), return_counts=True)
        return {str(v): int(c) for v, c in zip(values, counts, strict=True)}

    def subset(self, indices: Sequence[int]) -> ImageDataset:
        idx = np.asarray(indices, dtype=np.int64)
        return ImageDataset(
            pixels=self.pixels[idx], shape=self.shape,
            labels=[self.labels[i] for i in idx] if self.labels is not None else None,
            ids=[self.ids[i] for i in idx], source=self.source)


def parse_shape(text: str | Sequence[int] | None) -> tuple[int, int, int] | None:
    """``"28x28"``, ``"32x32x3"`` or a sequence -> (height, width, channels)."""
    if text is None:
        return None
    if isinstance(text, str):
        parts = [p for p in re.split(r"[x,\s]+", text.strip().lower()) if p]
        try:
            nums = [int(p) for p in parts]
        except ValueError:
            raise DataError(f"image shape {text!r}: expected HxW or HxWxC, e.g. 28x28") from None
    else:
        nums = [int(v) for v in text]
    if len(nums) == 2:
        nums.append(1)
    if len(nums) != 3 or min(nums) < 1:
        raise DataError(f"image shape {text!r}: expected HxW or HxWxC with positive sizes")
    return nums[0], nums[1], nums[2]


def _infer_shape(n_pixels: int, path: Path) -> tuple[int, int, int]:
    side = math.isqrt(n_pixels)
    if side * side == n_pixels:
        return side, side, 1
    if n_pixels % 3 == 0 and math.isqrt(n_pixels // 3) ** 2 == n_pixels // 3:
        side = math.isqrt(n_pixels // 3)
        return side, side, 3
    raise DataError(f"{n_pixels} pixel columns do not make a square image; pass the shape "
                    "(shape='HxW' or 'HxWxC'; CLI: --shape)", path=path, line=1)


def load_images(path: str | Path, *, label: str | None = None,
                shape: str | Sequence[int] | None = None,
                require_labels: bool = False) -> ImageDataset:
    """Read a pixel CSV (gzip ok): an optional label column plus one column per pixel.

    Args:
        label: the label column (default: ``label`` or a common synonym, if present).
        shape: ``HxW`` or ``HxWxC``; inferred for square images (``28x28`` from 784 columns).
        require_labels: raise when the file has no label column (training, evaluation).
    """
    import pandas as pd  # lazy: pandas: slow to import

    p = Path(path)
    text = decode(read_bytes(p), p, None)
    first_line = text.split("\n", 1)[0].strip()
    if not first_line:
        raise DataError("the file is empty", path=p, line=1)
    header = [h.strip().strip('"') for h in first_line.split(",")]
    has_header = not all(re.fullmatch(r"-?\d+(\.\d+)?", h) for h in header)
    names = header if has_header else [f"c{i}" for i in range(len(header))]
    label_col: int | None = None
    if label is not None:
        if label not in names:
            raise DataError(f"no column {label!r} for the label; the file has columns "
                            f"{list_columns(names, most=5)}", path=p, line=1, field=label)
        label_col = names.index(label)
    elif has_header:
        lowered = [n.lower() for n in names]
        label_col = next((lowered.index(c) for c in LABEL_NAMES if c in lowered), None)
    if require_labels and label_col is None:
        raise DataError("no label column (expected 'label'); pass label='NAME' (CLI: --label)",
                        path=p, line=1)
    pixel_cols = [i for i in range(len(names)) if i != label_col]
    first_data_line = 2 if has_header else 1
    # Fast path: parse numbers in C; only a file with a problem is read again as text to
    # find the first bad cell (the text pass is ~10x slower on 60,000 images).
    frame = _read_csv(text, p, has_header, dtype=None)
    pixels = frame.iloc[:, pixel_cols]
    clean = all(k in "iuf" for k in (dt.kind for dt in pixels.dtypes)) and \
        not pixels.isna().to_numpy().any()
    if clean:
        arr = pixels.to_numpy(dtype=np.float64)
    else:
        frame = _read_csv(text, p, has_header, dtype=str)
        values = frame.iloc[:, pixel_cols]
        numeric = values.apply(pd.to_numeric, errors="coerce")
        bad = numeric.isna().to_numpy()
        if bad.any():
            row, col = (int(v) for v in np.argwhere(bad)[0])
            raw = values.iat[row, col]
            what = "a missing value" if raw == "" else f"{raw!r} is not a number"
            raise DataError(f"{what} ({int(bad.sum())} such cells)", path=p,
                            line=first_data_line + row, field=names[pixel_cols[col]])
        arr = numeric.to_numpy(dtype=np.float64)
    if len(arr) == 0:
        raise DataError("no images in the file", path=p)
    out_of_range = (arr < 0) | (arr > 255)
    if out_of_range.any():
        row, col = (int(v) for v in np.argwhere(out_of_range)[0])
        raise DataError(f"pixel value {arr[row, col]:g} is outside 0-255 "
                        f"({int(out_of_range.sum())} such cells)", path=p,
                        line=first_data_line + row, field=names[pixel_cols[col]])
    img_shape = parse_shape(shape) or _infer_shape(len(pixel_cols), p)
    if math.prod(img_shape) != len(pixel_cols):
        raise DataError(f"shape {img_shape} needs {math.prod(img_shape)} pixel columns, the file "
                        f"has {len(pixel_cols)}", path=p, line=1)
    labels: list[str] | None = None
    if label_col is not None:
        labels = [str(v).strip() if v == v else "" for v in frame.iloc[:, label_col]]
        empty = [i for i, v in enumerate(labels) if not v]
        if empty:
            raise DataError("missing label", path=p, line=first_data_line + empty[0],
                            field=names[label_col])
    return ImageDataset(pixels=np.rint(arr).astype(np.uint8), shape=img_shape, labels=labels,
                        source=str(p))


def _read_csv(text: str, path: Path, has_header: bool, dtype: Any) -> Any:
    import pandas as pd  # lazy: pandas: slow to import

    try:
        return pd.read_csv(io.StringIO(text), header=0 if has_header else None, dtype=dtype,
                           keep_default_na=dtype is None, engine="c")
    except pd.errors.ParserError as exc:
        found = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
        if found:
            want, line, saw = found.groups()
            raise DataError(f"{saw} columns where the header has {want}", path=path,
                            line=int(line)) from None
        raise DataError(f"cannot parse CSV ({exc})", path=path) from None
    except pd.errors.EmptyDataError:
        raise DataError("no images in the file", path=path) from None


def is_pixel_file(path: str | Path) -> bool:
    """True when the file's header looks like a pixel CSV (``pixel0``, ``pixel1``, ...)."""

    try:
        with Path(path).open("rb") as fh:
            magic = fh.read(2)
        opener = gzip.open if magic == b"\x1f\x8b" else open
        with opener(path, "rb") as fh:
            head = fh.read(8192).decode("latin-1").split("\n", 1)[0]
    except (OSError, EOFError):
        return False
    return looks_like_pixels(head.split(","))
