"""Where bytes come from: named files (the hooks), a tree (git ls-files or a walk), the git index.

Each source yields Item(path, opener) pairs; nothing else knows where bytes came from. Symlinks are never
followed: a link's target may lie outside the scanned root.
"""
from __future__ import annotations

import functools
import os
import stat

from crypto_key_guard.sources.catfile import CatFileObject
from crypto_key_guard.util.records import record

TYPE_CHECKING = False  # `typing` only for the type checker: its import is ~3.5 ms of a hook run
if TYPE_CHECKING:
    from typing import BinaryIO, Callable, Iterator, Optional

# subprocess and pathlib are imported by the tree and index sources only: the hooks list named files, and
# those imports would cost them ~10 ms per commit.


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
        if os.path.lexists(os.path.join(real, ".git")):
            return Item(display, None, "a git submodule, scanned on its own: run `crypto-key-guard scan` inside it, "
                                       "or `git submodule foreach crypto-key-guard scan` for all of them")
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


from crypto_key_guard.util.git import git_toplevel  # noqa: E402,F401  (re-exported)


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
        sparse: Optional[set[str]] = None
        for name in names:
            item = _file_item(name, prefix + name)
            if item.error and item.skip == "no such file":  # tracked, not in the work tree
                if sparse is None:
                    sparse = _skip_worktree(root)
                if name in sparse:
                    item = Item(name, None, "outside the sparse checkout (not in the work tree, not scanned; "
                                            "`crypto-key-guard scan --history` reads committed files)")
                else:  # deleted in the work tree, not staged yet
                    item = Item(name, None, "deleted in the work tree (not scanned)")
            yield item
        return
    if root_path.is_file() or root_path.is_symlink():
        yield _file_item(root_path.name, str(root_path))
        return
    yield from _walk(root, "")


def _skip_worktree(root: str) -> set[str]:
    """Tracked files with git's skip-worktree bit (a sparse checkout leaves them out of the work tree)."""
    listing = git_output(["ls-files", "-t", "-z", "--cached", "--", "."], cwd=root)
    return {rec[2:].decode("utf-8", "surrogateescape") for rec in listing.split(b"\0") if rec[:2] == b"S "}


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

    blobs = IndexBlobs(top)
    try:
        for name, blob in entries:
            yield Item(name, functools.partial(blobs.open, blob))
    finally:
        blobs.close()


class IndexBlobs:
    """Blobs of the index read through one `git cat-file --batch`, one at a time, each streamed: the scanner reads
    a staged file in windows as it reads a file on disk, so memory does not grow with the file (all staged blobs
    were held at once: a 300 MB file took 730 MB). A blob is requested when it is opened; opening the next one
    skips what was not read of the last."""

    def __init__(self, top: str) -> None:
        self.top = top
        self.proc = None
        self.current: CatFileObject | None = None

    def open(self, sha: str) -> CatFileObject:
        import errno
        import subprocess

        if self.proc is None or self.proc.poll() is not None:
            self.proc = subprocess.Popen(["git", "cat-file", "--batch"], cwd=self.top, stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
            self.current = None
        if self.current is not None:
            self.current.finish()
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(sha.encode() + b"\n")
        self.proc.stdin.flush()  # cat-file answers each request at once (no --buffer)
        header = self.proc.stdout.readline().split()
        if len(header) < 3:
            raise OSError(errno.EIO, "missing from the object store")  # not "gone": fail closed
        self.current = CatFileObject(self.proc.stdout, int(header[2]))
        return self.current

    def close(self) -> None:
        proc, self.proc, self.current = self.proc, None, None
        if proc is not None:
            for pipe in (proc.stdin, proc.stdout):
                try:
                    pipe.close()
                except OSError:
                    pass
            if proc.poll() is None:
                proc.kill()
            proc.wait()

    def __del__(self) -> None:
        self.close()
