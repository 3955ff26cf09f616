"""Reading and writing users' files: one policy for every file we write, and bounded reads of the ones we load.

Writing: never through a symbolic link (git itself does not read a linked .gitignore, and a link may point into
.git/ or out of the repository), never outside the repository or into .git/, never over a read-only file (the
user made it so; they make it writable again when they want it changed), never half-written (temporary file,
fsync, atomic rename, mode kept).
"""
from __future__ import annotations

import errno
import os
import stat

MAX_CONFIG_BYTES = 16 << 20  # a configuration, pattern, ignore or log file larger than this is not one


class UnsafeWrite(OSError):
    """A write the policy refuses; `strerror` says why and what to do."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(errno.EPERM, reason, path)


def check_writable(path: str | os.PathLike, root: str | os.PathLike | None = None) -> None:
    """Raise UnsafeWrite unless `path` may be (re)written under the policy above."""
    path = os.fspath(path)
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        st = None
    if st is not None:
        if stat.S_ISLNK(st.st_mode):
            raise UnsafeWrite(path, "is a symbolic link; not written through it (replace the link with a regular "
                                    "file if this one should be changed)")
        if not stat.S_ISREG(st.st_mode):
            raise UnsafeWrite(path, "is not a regular file")
        if not st.st_mode & stat.S_IWUSR:
            raise UnsafeWrite(path, "is read-only; left as it is (make it writable, e.g. chmod u+w, to let it be "
                                    "changed)")
    if root is not None:
        real_root = os.path.realpath(root)
        real_dir = os.path.realpath(os.path.dirname(os.path.abspath(path)))
        if os.path.commonpath([real_dir, real_root]) != real_root:
            raise UnsafeWrite(path, "lies outside the repository (through a linked directory); not written")
        git_dir = os.path.join(real_root, ".git")
        if real_dir == git_dir or real_dir.startswith(git_dir + os.sep):
            raise UnsafeWrite(path, "lies inside .git/; not written")


def atomic_write(path: str | os.PathLike, data: bytes, mode: int | None = None,
                 root: str | os.PathLike | None = None) -> None:
    """Write through a temporary file in the same directory, fsync, and an atomic rename; keep the file mode.
    Refuses what check_writable refuses (links, read-only files, and with `root`, places outside it)."""
    import tempfile  # not at the top: reading (the hook path) must not import shutil with it

    path = os.fspath(path)
    check_writable(path, root)
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


def read_regular_file(path: str | os.PathLike, limit: int = MAX_CONFIG_BYTES) -> bytes:
    """The bytes of a regular file of at most `limit` bytes. /dev/zero, a FIFO, a directory or a huge file raise
    OSError with a one-line reason (FileNotFoundError as usual): never a hang or a MemoryError."""
    path = os.fspath(path)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags)  # non-blocking: opening a FIFO with no writer must not wait
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            kind = "a directory" if stat.S_ISDIR(st.st_mode) else "a pipe" if stat.S_ISFIFO(st.st_mode) else \
                "a device" if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode) else "not a regular file"
            raise OSError(errno.EINVAL, f"{kind}, not a regular file", path)
        if st.st_size > limit:
            raise OSError(errno.EFBIG, f"larger than {limit >> 20} MiB", path)
        with os.fdopen(fd, "rb", closefd=True) as fh:
            fd = -1
            data = fh.read(limit + 1)
        if len(data) > limit:
            raise OSError(errno.EFBIG, f"larger than {limit >> 20} MiB", path)
        return data
    finally:
        if fd >= 0:
            os.close(fd)


class locked:
    """An exclusive lock around a read-modify-write of `path` (with statement), across processes.

    POSIX: flock on the file's directory (the file itself is replaced by each write, so its inode cannot carry
    the lock, and a lock file beside it would show up in `git status`). Windows: msvcrt.locking on a lock file in
    the temporary directory named after the path."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = os.path.abspath(os.fspath(path))
        self.fd = -1

    def __enter__(self) -> "locked":
        try:
            import fcntl
        except ImportError:  # Windows
            self._lock_windows()
            return self
        self.fd = os.open(os.path.dirname(self.path) or ".", os.O_RDONLY)
        fcntl.flock(self.fd, fcntl.LOCK_EX)
        return self

    def _lock_windows(self) -> None:
        import hashlib
        import msvcrt  # type: ignore[import-not-found]
        import tempfile
        import time

        name = hashlib.sha256(os.path.normcase(self.path).encode("utf-8", "surrogatepass")).hexdigest()[:32]
        self.fd = os.open(os.path.join(tempfile.gettempdir(), f"crypto-key-guard-{name}.lock"),
                          os.O_RDWR | os.O_CREAT, 0o600)
        while True:
            try:
                msvcrt.locking(self.fd, msvcrt.LK_LOCK, 1)  # itself retries for ~10 s
                return
            except OSError:
                time.sleep(0.05)

    def __exit__(self, *exc: object) -> None:
        if self.fd >= 0:
            try:
                import fcntl

                fcntl.flock(self.fd, fcntl.LOCK_UN)
            except ImportError:
                import msvcrt  # type: ignore[import-not-found]

                try:
                    msvcrt.locking(self.fd, msvcrt.LK_UNLCK, 1)
                except OSError:
                    pass
            os.close(self.fd)
            self.fd = -1
