"""Where bytes come from: named files (the hooks), a tree (git ls-files or a walk), the git index.

Each source yields Item(path, opener) pairs; nothing else knows where bytes came from. Symlinks are never
followed: a link's target may lie outside the scanned root.
"""
from __future__ import annotations

import functools
import os
import stat

from crypto_key_guard.util.records import record

# subprocess and pathlib are imported by the tree and index sources only: the hooks list named files, and
# those imports would cost them ~10 ms per commit.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import BinaryIO, Callable, Iterator, Optional


@record
class Item:
    path: str                                   # what reports show (relative to the scanned root)
    open: Optional[Callable[[], BinaryIO]]      # None when the item cannot be read; see `skip`
    skip: str = ""                              # why it is not scanned ("" = scan it)
    error: bool = False                         # the skip is the user's problem (e.g. a missing argument)
    real: str = ""                              # the file on disk it reads, if any: lets a worker process open it
    size: int = -1                              # bytes, when known from listing (-1: unknown)


from crypto_key_guard.util.display import printable  # noqa: E402,F401  (re-exported: sources name their items)


def _file_item(display: str, real: str, st: Optional[os.stat_result] = None) -> Item:
    if st is None:
        try:
            st = os.lstat(real)
        except FileNotFoundError:
            return Item(display, None, "no such file", error=True)
        except OSError as exc:
            return Item(display, None, f"cannot read ({exc.strerror})", error=True)
    if stat.S_ISLNK(st.st_mode):
        return Item(display, None, "symlink (not followed)")
    if stat.S_ISDIR(st.st_mode):
        return Item(display, None, "is a directory")
    if not stat.S_ISREG(st.st_mode):
        return Item(display, None, "not a regular file")
    return Item(display, functools.partial(open, real, "rb"), real=real, size=st.st_size)


def named_files(paths: list[str]) -> Iterator[Item]:
    """The files a hook was given, in order, each once."""
    seen: set[str] = set()
    for p in paths:
        if p not in seen:
            seen.add(p)
            yield _file_item(p, p)


def git_toplevel(path: str = ".") -> Optional[str]:
    import subprocess

    try:
        out = subprocess.run(["git", "-C", path, "rev-parse", "--show-toplevel"],
                             capture_output=True, check=False)
    except OSError:
        return None
    return out.stdout.decode("utf-8", "surrogateescape").strip() if out.returncode == 0 else None


def git_output(args: list[str], cwd: str) -> bytes:
    import subprocess

    out = subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False)
    if out.returncode != 0:
        msg = out.stderr.decode("utf-8", "replace").strip().splitlines()
        raise RuntimeError(f"git {' '.join(args[:2])} failed: {msg[-1] if msg else out.returncode}")
    return out.stdout


def _git_ignored_dir(root: str) -> bool:
    """A directory git ignores lists no files; asked for by name, it is walked instead."""
    import subprocess

    return subprocess.run(["git", "check-ignore", "-q", "."], cwd=root, capture_output=True).returncode == 0


def tree_files(root: str) -> Iterator[Item]:
    """Inside a git work tree: tracked files plus untracked ones not ignored. Elsewhere: a walk, dotfiles included."""
    from pathlib import Path

    root_path = Path(root)
    if git_toplevel(root) is not None and root_path.is_dir() and not _git_ignored_dir(root):
        listing = git_output(["ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", "."], cwd=root)
        names = sorted({n.decode("utf-8", "surrogateescape") for n in listing.split(b"\0") if n})
        prefix = os.path.join(root, "")
        for name in names:
            item = _file_item(name, prefix + name)
            if item.error and item.skip == "no such file":  # tracked, deleted in the work tree, not staged yet
                item = Item(name, None, "deleted in the work tree (not scanned)")
            yield item
        return
    if root_path.is_file() or root_path.is_symlink():
        yield _file_item(root_path.name, str(root_path))
        return
    yield from _walk(root, "")


def _walk(top: str, rel: str) -> Iterator[Item]:
    """os.walk's order (a directory's files sorted, then its subdirectories sorted, depth first) without its
    per-file path arithmetic: scandir's entries carry the lstat a file item needs. Iterative: a tree thousands of
    levels deep is walked whole (recursion stopped at Python's limit, ~1000 levels, with no findings)."""
    pending = [(top, rel)]
    while pending:
        top, rel = pending.pop()
        try:
            with os.scandir(top) as it:
                entries = list(it)
        except OSError:
            continue  # like os.walk: an unreadable directory is skipped
        files, dirs = [], []
        for entry in entries:
            try:
                is_dir = entry.is_dir()  # follows symlinks, as os.walk does: a linked directory is listed, not entered
            except OSError:
                is_dir = False
            if is_dir:
                if entry.name != ".git":
                    dirs.append(entry)
            else:
                files.append(entry)
        files.sort(key=lambda e: e.name)
        dirs.sort(key=lambda e: e.name, reverse=True)  # popped last-in first: the first name is walked first
        for entry in files:
            display = rel + entry.name
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError:
                yield _file_item(display, entry.path)
                continue
            yield _file_item(display, entry.path, st)
        pending.extend((entry.path, rel + entry.name + os.sep) for entry in dirs if not entry.is_symlink())


def staged_files(root: str) -> Iterator[Item]:
    """What the next commit will hold: the index blobs of added, copied, modified and renamed files."""
    import io
    import subprocess

    top = git_toplevel(root)
    if top is None:
        raise RuntimeError("--staged needs a git repository (no .git found here)")
    has_head = subprocess.run(["git", "rev-parse", "--verify", "-q", "HEAD"], cwd=top,
                              capture_output=True).returncode == 0
    if has_head:
        changed = git_output(["diff", "--cached", "--name-only", "-z", "--diff-filter=ACMR", "--no-renames"], cwd=top)
        wanted = {n for n in changed.split(b"\0") if n}
    else:
        wanted = None  # no commit yet: everything in the index is new
    entries = []
    for rec in git_output(["ls-files", "-s", "-z"], cwd=top).split(b"\0"):
        if not rec:
            continue
        meta, _, name = rec.partition(b"\t")
        mode, blob, stage = meta.split(b" ")
        if (wanted is None or name in wanted) and stage in (b"0", b"2") and mode.startswith(b"100"):
            entries.append((name.decode("utf-8", "surrogateescape"), blob.decode()))
    if not entries:
        return
    proc = subprocess.run(["git", "cat-file", "--batch"], cwd=top, capture_output=True, check=False,
                          input=b"".join(b.encode() + b"\n" for _, b in entries))
    out = proc.stdout
    pos = 0
    for name, blob in entries:
        header_end = out.index(b"\n", pos)
        header = out[pos:header_end].split(b" ")
        if len(header) < 3:
            pos = header_end + 1
            yield Item(name, None, "missing from the object store")
            continue
        size = int(header[2])
        content = out[header_end + 1: header_end + 1 + size]
        pos = header_end + 1 + size + 1
        yield Item(name, (lambda c=content: io.BytesIO(c)))
