"""Files inside archives: zip-based (.zip .whl .jar .apk .xlsx .docx ...) and tar-based (.tar .tar.gz .tgz
.tar.bz2 .tar.xz), and single gzip/bzip2/xz streams, recognised by their first bytes in every mode (named files,
a tree, the index, history blobs).

The scanner calls `expand` for a binary file (`Scanner.containers`); each member is scanned by the same scanner
under the name `archive.zip!path/inside.py`, so an archive inside an archive is expanded too, up to
MAX_DEPTH levels. Bounded against bombs, per outermost archive: MAX_ENTRIES members, MAX_TOTAL_BYTES of
uncompressed content, members expanding more than MAX_RATIO times their compressed size; an archive read from
a pipe (a history blob) or nested is held in memory only up to MAX_IN_MEMORY bytes. When a limit stops the scan
the returned description says so ("zip: 12 entries (stopped: ...)"), and the caller shows it as a note.
"""
from __future__ import annotations

import io
import threading
from typing import BinaryIO, Optional

MAX_DEPTH = 3                  # an archive, an archive in it, and one more level
MAX_ENTRIES = 10_000
MAX_TOTAL_BYTES = 256 << 20
MAX_RATIO = 100
RATIO_FLOOR = 1 << 20          # a member smaller than this is never called a bomb
MAX_IN_MEMORY = 64 << 20
READ_CHUNK = 1 << 20


def kind_of(head: bytes) -> Optional[str]:
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "zip"
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    if head.startswith(b"BZh") and head[3:4].isdigit():
        return "bzip2"
    if head.startswith(b"\xfd7zXZ\x00"):
        return "xz"
    if len(head) >= 262 and head[257:262] == b"ustar":
        return "tar"
    return None


class _Limits(threading.local):
    def __init__(self) -> None:
        self.depth = 0
        self.entries = 0
        self.left = MAX_TOTAL_BYTES
        self.stopped = ""


_STATE = _Limits()


class _Member:
    """A read-only, unseekable view of a member that counts what it gives out against the byte budget."""

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self._pos = 0

    def read(self, n: int = -1) -> bytes:
        want = _STATE.left + 1 if n is None or n < 0 else min(n, _STATE.left + 1)
        data = self._raw.read(want) if want > 0 else b""
        if len(data) > _STATE.left:
            data = data[:_STATE.left]
            _STATE.stopped = _STATE.stopped or f"more than {MAX_TOTAL_BYTES >> 20} MiB uncompressed"
        _STATE.left -= len(data)
        self._pos += len(data)
        return data

    def tell(self) -> int:
        return self._pos


def expand(scanner, head: bytes, stream, path: str):
    """(findings, description) for an archive, or None when `head` starts no archive format we read."""
    kind = kind_of(head)
    if kind is None:
        return None
    outermost = _STATE.depth == 0
    if outermost:
        _STATE.entries, _STATE.left, _STATE.stopped = 0, MAX_TOTAL_BYTES, ""
    elif _STATE.depth >= MAX_DEPTH:
        _STATE.stopped = _STATE.stopped or f"archives nested deeper than {MAX_DEPTH} levels"
        return [], f"{kind} (not opened: nested too deep)"
    _STATE.depth += 1
    try:
        fileobj, size = _seekable(head, stream)
        if fileobj is None:
            _STATE.stopped = _STATE.stopped or f"an archive larger than {MAX_IN_MEMORY >> 20} MiB held in memory"
            findings, count = [], 0
        elif kind == "zip":
            findings, count = _zip(scanner, fileobj, path)
        else:
            findings, count = _tar_or_stream(scanner, fileobj, size, path, kind)
    except Exception as exc:  # a damaged or unsupported archive: what was read is kept, the rest is a note
        import lzma
        import tarfile
        import zipfile  # noqa: E401
        import zlib

        if not isinstance(exc, (zipfile.BadZipFile, tarfile.TarError, zlib.error, lzma.LZMAError, EOFError,
                                OSError, ValueError, NotImplementedError, RuntimeError)):
            raise
        _STATE.stopped = _STATE.stopped or f"cannot read the {kind} archive ({type(exc).__name__})"
        findings, count = [], 0
    finally:
        _STATE.depth -= 1
    description = f"{kind}: {count} entries"
    if outermost:  # history places a finding by its archive's path: it needs the member's path within it
        findings = [f._replace(extra=dict(f.extra, archive_member=f.file[len(path) + 1:])) for f in findings]
    if outermost and _STATE.stopped:
        description += f" (stopped: {_STATE.stopped}; the rest was not scanned)"
    return findings, description


def _seekable(head: bytes, stream) -> tuple[Optional[BinaryIO], int]:
    """The whole archive as a seekable file object: the file itself when it can seek, else read into memory."""
    try:
        if stream.seekable():
            size = stream.seek(0, 2)
            stream.seek(0)
            return stream, size
    except (AttributeError, OSError, ValueError):
        pass
    limit = min(MAX_IN_MEMORY, _STATE.left + len(head))
    data = head + stream.read(limit + 1 - len(head))
    if len(data) > limit:
        return None, len(data)
    return io.BytesIO(data), len(data)


def _scan_member(scanner, raw: BinaryIO, outer: str, name: str) -> list:
    found, _ = scanner.scan_stream(_Member(raw), f"{outer}!{name}")
    return found


def _count_entry() -> bool:
    _STATE.entries += 1
    if _STATE.entries > MAX_ENTRIES:
        _STATE.stopped = _STATE.stopped or f"more than {MAX_ENTRIES} entries"
        return False
    return _STATE.left > 0 and not _STATE.stopped.startswith("more than")


def _zip(scanner, fileobj: BinaryIO, path: str) -> tuple[list, int]:
    import zipfile

    findings: list = []
    count = 0
    with zipfile.ZipFile(fileobj) as zf:
        for info in zf.infolist():
            if info.is_dir():
                continue
            if not _count_entry():
                break
            count += 1
            if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
                ratio = info.file_size // max(info.compress_size, 1)
                _STATE.stopped = _STATE.stopped or f"{info.filename} expands {ratio}x"
                continue
            if info.flag_bits & 0x1:
                _STATE.stopped = _STATE.stopped or f"{info.filename} is encrypted"
                continue
            with zf.open(info) as member:
                findings += _scan_member(scanner, member, path, info.filename)
    return findings, count


def _tar_or_stream(scanner, fileobj: BinaryIO, size: int, path: str, kind: str) -> tuple[list, int]:
    import tarfile

    try:
        tf = tarfile.open(fileobj=fileobj, mode="r:*")
    except tarfile.ReadError:
        if kind == "tar":
            raise
        fileobj.seek(0)
        return _single_stream(scanner, fileobj, size, path, kind), 1
    findings: list = []
    count = 0
    with tf:
        for member in tf:
            if not member.isfile():
                continue
            if not _count_entry():
                break
            count += 1
            if kind != "tar" and MAX_TOTAL_BYTES - _STATE.left > RATIO_FLOOR + MAX_RATIO * max(size, 1):
                _STATE.stopped = _STATE.stopped or f"expands more than {MAX_RATIO}x"
                break
            raw = tf.extractfile(member)
            if raw is not None:
                findings += _scan_member(scanner, raw, path, member.name)
    return findings, count


def _single_stream(scanner, fileobj: BinaryIO, size: int, path: str, kind: str) -> list:
    """A compressed file that is not a tar (`data.json.gz`): its one member, named after the file."""
    import bz2
    import gzip
    import lzma

    opener = {"gzip": gzip.GzipFile, "bzip2": bz2.BZ2File, "xz": lzma.LZMAFile}[kind]
    base = path.rsplit("!", 1)[-1].rsplit("/", 1)[-1]
    name = base.rsplit(".", 1)[0] if "." in base else base
    with opener(fileobj=fileobj) if kind == "gzip" else opener(fileobj) as raw:
        _STATE.entries += 1
        return _scan_member(scanner, _RatioGuard(raw, size), path, name)


class _RatioGuard:
    """Stops a single compressed stream that expands more than MAX_RATIO times its compressed size."""

    def __init__(self, raw: BinaryIO, size: int) -> None:
        self._raw, self._cap = raw, RATIO_FLOOR + MAX_RATIO * max(size, 1)
        self._seen = 0

    def read(self, n: int = -1) -> bytes:
        if self._seen >= self._cap:
            _STATE.stopped = _STATE.stopped or f"expands more than {MAX_RATIO}x"
            return b""
        data = self._raw.read(min(n, self._cap - self._seen) if n is not None and n >= 0 else self._cap - self._seen)
        self._seen += len(data)
        return data
