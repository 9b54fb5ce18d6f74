"""Publishing files written through a temporary name.

``tempfile.mkstemp``/``mkdtemp`` (and safetensors) create private files (0600) and
folders (0700); a model folder, prediction file or report made that way could not be
read by another user or a server running under another account. Before the atomic
rename they get the mode a plainly created file or folder would have (0644 / 0755 under
the usual umask).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .errors import ConfigError


def current_umask() -> int:
    """The process umask, read without changing it where Linux allows."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)  # elsewhere: set and restore
    os.umask(mask)
    return mask


def publish(tmp: str | Path, path: str | Path) -> None:
    """Give ``tmp`` the usual permissions (recursively for a folder), then rename it to
    ``path`` atomically."""
    mask = current_umask()
    tmp = Path(tmp)
    if tmp.is_dir():
        for root, dirs, files in os.walk(tmp):
            for name in files:
                os.chmod(os.path.join(root, name), 0o666 & ~mask)
            for name in dirs:
                os.chmod(os.path.join(root, name), 0o777 & ~mask)
        os.chmod(tmp, 0o777 & ~mask)
    else:
        os.chmod(tmp, 0o666 & ~mask)
    os.replace(tmp, path)


def check_can_write(folder: str | Path, what: str = "the output") -> None:
    """Fail early - before minutes of training or scoring - when ``folder`` (created if
    missing) cannot take new files: a clear error instead of a lost result at the end."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise ConfigError(f"cannot write {what} in {folder}: {exc.strerror or exc}; "
                          "choose another place") from None
