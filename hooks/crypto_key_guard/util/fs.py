"""Writing users' files without ever leaving a half-written one."""
from __future__ import annotations

import os
import tempfile


def atomic_write(path: str | os.PathLike, data: bytes, mode: int | None = None) -> None:
    """Write through a temporary file in the same directory, fsync, and an atomic rename; keep the file mode."""
    path = os.fspath(path)
    if mode is None:
        try:
            mode = os.stat(path).st_mode & 0o7777
        except FileNotFoundError:
            mode = 0o644
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
