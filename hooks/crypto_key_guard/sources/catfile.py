"""One object of `git cat-file --batch`'s output, read as a file: how the index and history sources hand blobs to
the scanner (engine.Scanner.scan_stream) without holding them whole."""
from __future__ import annotations

import os

TYPE_CHECKING = False  # `typing` only for the type checker: the hook reads staged blobs through this module
if TYPE_CHECKING:
    from typing import IO

SKIP_BYTES = 1 << 20  # read per step when skipping what the scanner left (a binary blob is judged by its head)


class CatFileEnded(OSError, RuntimeError):
    """git's output ended inside an object: an unreadable input to the index source (OSError) and a git failure
    to the history source (RuntimeError), each of which reports it as such."""


class CatFileObject:
    """The next `size` bytes of cat-file's output as a read-only file: read, tell, seek to the end, `with`.
    `finish()` (or leaving the `with`) skips the rest and the newline after it: the pipe is then at the next
    answer."""

    def __init__(self, pipe: IO[bytes], size: int, kind: bytes = b"blob") -> None:
        self._pipe = pipe
        self._left = size
        self._pos = 0
        self._done = False
        self.size = size
        self.kind = kind  # what cat-file says the object is: a listed tag object is not scanned

    def read(self, n: int = -1) -> bytes:
        want = self._left if n is None or n < 0 else min(n, self._left)
        data = self._pipe.read(want) if want else b""
        if len(data) < want:
            raise CatFileEnded("git cat-file: output ended inside a blob")
        self._left -= len(data)
        self._pos += len(data)
        return data

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = 0) -> int:
        if (offset, whence) != (0, os.SEEK_END):
            raise OSError("a blob from git is read front to back")
        self.drain()
        return self._pos

    def drain(self) -> None:
        """Skip what the scanner did not read."""
        while self._left:
            step = min(self._left, SKIP_BYTES)
            if len(self._pipe.read(step)) < step:
                raise CatFileEnded("git cat-file: output ended inside a blob")
            self._left -= step
            self._pos += step

    def finish(self) -> None:
        if not self._done:
            self.drain()
            self._pipe.read(1)
            self._done = True

    def __enter__(self) -> CatFileObject:
        return self

    def __exit__(self, *exc: object) -> None:
        self.finish()
