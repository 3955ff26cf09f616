"""crypto-key-guard scan --history: every secret that ever entered git, each unique blob scanned once.

Deleting a key from a file does not remove it from git; history is what scrapers read when a repository goes
public. Peer tools walk commit diffs, where most of the text is the same content again and again. Here:

1. list   `git rev-list --objects --filter=object:type=blob <revs>`: every reachable blob once, with one path
          (and the commit count), streamed: scanning starts with the first;
2. scan   batches of blobs go to one worker process per core (one process for a small history), each
          streaming them from its own `git cat-file --batch` and scanning them with the same
          `engine.Scanner` as `scan`, in bounded windows (`scan_stream`), so a huge blob is never held whole;
          results come back in listing order, at most four batches per worker in flight;
3. place  only when something was found: one `git log --raw` walk (tree diffs, no content) follows the blobs
          that hold secrets through every commit: the paths and commits where each appears, the commit that
          introduced it, where it was removed, and whether HEAD still holds it.

Findings of one secret (same fingerprint) in many blobs become one entry listing every place. The report is a
`ScanResult` whose findings carry the history in `Finding.extra`, so JSON and SARIF go through
`reports.write_report` like `scan`; `reports/history.py` writes the text.
"""
from __future__ import annotations

import itertools
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from typing import IO, Callable, Iterable, Iterator, Optional, Sequence

from crypto_key_guard.engine.findings import Finding, mask_reported, safe_subject
from crypto_key_guard.engine.scanner import ScanResult
from crypto_key_guard.errors import UsageError
from crypto_key_guard.sources.catfile import CatFileObject
from crypto_key_guard.util.display import printable

ZERO = "0" * 40
# Scanning must never reach the network: a partial clone would otherwise fetch missing blobs on demand. And
# it reads the objects as they are: a replace ref (refs/replace/, never pushed by default) must not swap a
# blob holding a secret for a clean one.
GIT_ENV = {"GIT_NO_LAZY_FETCH": "1", "GIT_TERMINAL_PROMPT": "0", "GIT_NO_REPLACE_OBJECTS": "1"}
# git maps pack files in windows of up to 1 GiB (8 GiB in all) and keeps 96 MiB of inflated delta bases per
# process: on freqtrade's 160 MB pack that made rev-list 186 MB, each cat-file 340 MB and the placing log
# 170 MB resident, growing with the pack. These limits keep each under ~40 MB whatever the pack's size, for
# about 1 CPU-second of system time more per git process on that history (windows mapped again). Halving
# 32m/8m/16m took the whole scan's peak (summed PSS of our processes and git's) from 199-204 to 171-176 MB
# for the same wall time (2 pairs, idle 2-core machine, 2026-12-03).
GIT_MEMORY = ("-c", "core.packedGitLimit=16m", "-c", "core.packedGitWindowSize=4m",
              "-c", "core.deltaBaseCacheLimit=8m")


# -- git plumbing --------------------------------------------------------------------------------------------
def _env() -> dict:
    return dict(os.environ, **GIT_ENV)


def _git(repo: str, *args: str, check: bool = True) -> bytes:
    out = subprocess.run(["git", *args], cwd=repo, capture_output=True, env=_env(), check=False)
    if check and out.returncode != 0:
        raise RuntimeError(_git_error(args, out.stderr))
    return out.stdout


def _git_error(args: Sequence[str], stderr: bytes) -> str:
    lines = [ln for ln in stderr.decode("utf-8", "replace").splitlines() if ln.strip()]
    reason = lines[-1].removeprefix("fatal: ").removeprefix("error: ") if lines else "failed"
    return f"git {args[0]}: {reason}"


@dataclass
class Repo:
    """Where history is read from, and what this clone cannot show."""
    path: str                       # cwd for git commands (a work tree or a bare repository)
    revs: list[str]                 # revision arguments for rev-list / log
    bare: bool = False
    shallow: list[str] = field(default_factory=list)    # shallow boundary commits (history beyond is absent)
    head: Optional[str] = None      # None: unborn HEAD (no commit yet)
    abbrev: int = 7


def open_repo(path: str, since: Optional[str] = None, rev_range: Optional[str] = None) -> Repo:
    """Check that `path` is in a git repository and turn --since/--range into revision arguments."""
    try:
        probe = subprocess.run(["git", "rev-parse", "--is-bare-repository", "--is-shallow-repository",
                                "--git-path", "shallow"], cwd=path, capture_output=True, env=_env(), check=False)
    except OSError as exc:
        raise UsageError(f"--history needs git, which cannot be run here ({exc.strerror or exc})") from None
    if probe.returncode != 0:
        raise UsageError(f"--history needs a git repository ({printable(path)} is not inside one)")
    bare, shallow, shallow_file = probe.stdout.decode("utf-8", "surrogateescape").splitlines()[:3]
    for rev in (since, rev_range):
        if rev is not None and (not rev or rev.startswith("-")):
            raise UsageError(f"{rev!r} is not a revision")  # never let a value become a git option
    if since is not None and rev_range is not None:
        raise UsageError("give --since or --range, not both")
    if since is not None:
        if not _resolves(path, since):
            raise UsageError(f"--since {since}: not a commit in this repository")
        revs = ["--all", "--not", since]
    elif rev_range is not None:
        ends = [e for e in re.split(r"\.\.\.?", rev_range) if e]  # "A..B", "A...B", "A.." (HEAD implied)
        if not ends or not all(_resolves(path, e) for e in ends):
            raise UsageError(f"--range {rev_range}: not a revision range (A..B) in this repository")
        revs = [rev_range]
    else:
        revs = ["--all"]
    if revs[0] == "--all":  # --all names only the newest stash; the older entries live in its reflog
        revs[1:1] = stash_entries(path)
    repo = Repo(path=path, revs=revs, bare=bare == "true")
    if shallow == "true":
        shallow_path = os.path.join(path, shallow_file)
        try:
            with open(shallow_path, encoding="ascii") as fh:
                repo.shallow = [ln.strip() for ln in fh if ln.strip()]
        except OSError:
            repo.shallow = ["(unknown)"]
    head = _git(path, "rev-parse", "--verify", "-q", "HEAD^{commit}", check=False).decode().strip()
    repo.head = head or None
    if repo.head:
        repo.abbrev = len(_git(path, "rev-parse", "--short", repo.head).strip())
    return repo


def stash_entries(path: str) -> list[str]:
    """Every stash entry's commit (stash@{0}, stash@{1}, ...)."""
    out = _git(path, "reflog", "show", "--format=%H", "refs/stash", "--", check=False)
    return [line for line in out.decode("ascii", "replace").split() if re.fullmatch(r"[0-9a-f]{40,64}", line)]


def _resolves(path: str, rev: str) -> bool:
    return subprocess.run(["git", "rev-parse", "--verify", "-q", rev + "^{commit}"],
                          cwd=path, capture_output=True, env=_env(), check=False).returncode == 0


@dataclass(frozen=True)
class BlobRef:
    sha: str
    path: str       # one path git reports for it (the scan's context; places come later)


@dataclass
class Listing:
    commits: int
    blobs: "Sequence[BlobRef] | Iterator[BlobRef]"  # every blob once, in rev-list order (newest first)
    missing: list[str]                      # ids of missing objects (the first MISSING_KEPT of them)
    missing_count: int = 0
    excluded: int = 0                       # blobs the `keep` filter dropped (not in `blobs`)
    listed: int = 0                         # blobs in `blobs`
    complete: bool = True                   # False while a streamed listing is still being read


MISSING_KEPT = 100


def list_blobs(repo: Repo, keep: Optional[Callable[[str], bool]] = None, stream: bool = False) -> Listing:
    """Every blob reachable from the revisions, once, from one `git rev-list --objects` (sizes come with the
    contents: a `cat-file --batch-check` beside it cost ~3 CPU-s of re-mapped pack windows on freqtrade).

    keep(path): blobs it rejects are counted in `excluded` and left out. stream: `blobs` is a one-pass
    iterator that yields each blob as git lists it, so scanning starts at once and memory does not grow with
    the number of blobs; the counts are final once it is exhausted (`complete`). An annotated tag object
    named by a ref is listed like a blob (rev-list prints both as `<id> <name>`); the reader, which learns
    each object's type, leaves it out and takes it off `listed` (`not_a_blob`)."""
    listing = Listing(0, [], [], complete=False)
    listing.blobs = _listed_blobs(repo, keep, listing)
    if not stream:
        listing.blobs = list(listing.blobs)
    return listing


def _listed_blobs(repo: Repo, keep: Optional[Callable[[str], bool]], listing: Listing) -> Iterator[BlobRef]:
    with tempfile.TemporaryFile() as err_list:
        # blobs (and tag objects) print as `<id> <path>`, missing objects as `?<id>`; the filter leaves out the
        # trees and all commits but the tips, so a walk of commits alone counts them
        lister = subprocess.Popen(["git", *GIT_MEMORY, "rev-list", "--objects", "--missing=print",
                                   "--filter=object:type=blob", *repo.revs, "--"],
                                  cwd=repo.path, stdout=subprocess.PIPE, stderr=err_list, env=_env())
        counter = subprocess.Popen(["git", *GIT_MEMORY, "rev-list", "--count", *repo.revs, "--"], cwd=repo.path,
                                   stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=_env())
        assert lister.stdout is not None
        finished = False
        try:
            for line in lister.stdout:
                line = line[:-1] if line.endswith(b"\n") else line
                if line.startswith(b"?"):
                    listing.missing_count += 1
                    if len(listing.missing) < MISSING_KEPT:
                        listing.missing.append(line[1:].decode("ascii", "replace"))
                    continue
                sha, named, path = line.partition(b" ")
                if not named:  # a tip commit
                    continue
                blob = BlobRef(sha.decode("ascii"), path.decode("utf-8", "surrogateescape"))
                if keep is not None and not keep(blob.path):
                    listing.excluded += 1
                    continue
                listing.listed += 1
                yield blob
            finished = True
        finally:
            if not finished:  # the scan stopped early (an error, a closed generator): do not wait for git
                lister.kill()
                counter.kill()
            lister.stdout.close()
            lister.wait()
            count = counter.communicate()[0].strip()
        listing.commits = int(count) if count.isdigit() else 0
        if lister.returncode != 0:
            err_list.seek(0)
            raise RuntimeError(_git_error(["rev-list"], err_list.read()))
    listing.complete = True


def blob_sizes(repo_path: str, shas: Sequence[str]) -> dict[str, int]:
    """The size of each object, from one `git cat-file --batch-check` (missing ones are left out)."""
    out = subprocess.run(["git", *GIT_MEMORY, "cat-file", "--batch-check=%(objectname) %(objectsize)"],
                         cwd=repo_path, input="".join(f"{s}\n" for s in shas).encode("ascii"),
                         capture_output=True, env=_env(), check=False).stdout
    sizes: dict[str, int] = {}
    for line in out.decode("ascii", "replace").splitlines():
        sha, _, size = line.partition(" ")
        if size.isdigit():
            sizes[sha] = int(size)
    return sizes


# -- reading and scanning blobs: the layer every history source (commits, ranges, pushes) goes through --------
BATCH_BLOBS = 96            # ids asked of one cat-file at a time: a worker's unit of work (~3 MB on average)
PARALLEL_MIN_BYTES = 8 << 20    # below this much listed content the scan is over before workers start
PARALLEL_MIN_BLOBS = 2000


class BlobReader:
    """One `git cat-file --batch` process, asked for a batch of blobs at a time (one per worker process)."""

    def __init__(self, repo_path: str) -> None:
        self._proc = subprocess.Popen(["git", *GIT_MEMORY, "cat-file", "--batch"], cwd=repo_path,
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                      env=_env(), bufsize=1 << 16)
        assert self._proc.stdout is not None
        _widen_pipe(self._proc.stdout)

    def read(self, blobs: Sequence[BlobRef]) -> Iterator[tuple[BlobRef, Optional[CatFileObject]]]:
        """(blob, stream), or (blob, None) when the object is not in this clone, in order. The caller must be
        done with each stream before asking for the next one."""
        stdin, stdout = self._proc.stdin, self._proc.stdout
        assert stdin is not None and stdout is not None
        request = b"".join(b.sha.encode("ascii") + b"\n" for b in blobs)

        def feed() -> None:  # a thread, so git never blocks on a full stdout while ids are still being written
            try:
                stdin.write(request)
                stdin.flush()
            except (BrokenPipeError, ValueError, OSError):
                pass

        writer = threading.Thread(target=feed, daemon=True)
        writer.start()
        try:
            for b in blobs:
                header = stdout.readline().split()
                if not header:
                    raise RuntimeError("git cat-file: ended early")
                if len(header) < 3:  # "<id> missing": not in this (partial) clone
                    yield b, None
                    continue
                stream = CatFileObject(stdout, int(header[2]), header[1])
                yield b, stream
                stream.drain()
                stdout.read(1)  # the newline after each object
        finally:
            writer.join()

    def close(self) -> None:
        try:
            assert self._proc.stdin is not None
            self._proc.stdin.close()
        except OSError:
            pass
        if self._proc.poll() is None:
            self._proc.kill()  # stopped early (an error or a closed generator): do not wait for git to finish
        try:
            assert self._proc.stdout is not None
            self._proc.stdout.close()
        except OSError:
            pass
        self._proc.wait()


def read_blobs(repo: Repo, blobs: Iterable[BlobRef]) -> Iterator[tuple[BlobRef, Optional[CatFileObject]]]:
    """Stream the blobs through one `git cat-file --batch`; yields (blob, stream) or (blob, None) if missing.

    The caller must be done with each stream before asking for the next one.
    """
    reader = BlobReader(repo.path)
    try:
        for batch in blob_batches(blobs):
            yield from reader.read(batch)
    finally:
        reader.close()


def blob_batches(blobs: Iterable[BlobRef]) -> Iterator[list[BlobRef]]:
    blobs = iter(blobs)
    while batch := list(itertools.islice(blobs, BATCH_BLOBS)):
        yield batch


# What scanning one blob gives: None when the object is missing, else (findings, how it was read, size);
# how is NOT_A_BLOB for a listed tag object.
BlobOutcome = Optional[tuple[list[Finding], str, int]]
NOT_A_BLOB = "not a blob"


def scan_blob_batch(reader: BlobReader, scanner, batch: Sequence[BlobRef]) -> list[BlobOutcome]:
    out: list[BlobOutcome] = []
    for blob, stream in reader.read(batch):
        if stream is None:
            out.append(None)
            continue
        if stream.kind != b"blob":
            out.append(([], NOT_A_BLOB, 0))
            continue
        found, how = scanner.scan_stream(stream, blob.path)
        stream.drain()
        out.append((found, how, stream.size))
    return out


_WORKER: Optional[tuple[object, BlobReader]] = None


def _worker_init(scanner, repo_path: str) -> None:
    global _WORKER
    from multiprocessing.util import Finalize

    reader = BlobReader(repo_path)
    _WORKER = (scanner, reader)
    Finalize(reader, reader.close, exitpriority=10)  # a worker leaving normally waits for its git


def _worker_scan(batch: list[BlobRef]) -> list[BlobOutcome]:
    assert _WORKER is not None
    return scan_blob_batch(_WORKER[1], _WORKER[0], batch)


def scan_blob_outcomes(repo: Repo, blobs: Iterable[BlobRef], scanner,
                       jobs: Optional[int] = 1) -> Iterator[tuple[BlobRef, BlobOutcome]]:
    """(blob, outcome) for every blob, in the order given, each read and scanned once.

    jobs > 1: worker processes, each with its own `git cat-file --batch`, scan batches of blobs; at most four
    batches per worker are in flight and results come back in order, so memory does not grow with the
    number of blobs and the outcomes are those of jobs=1, where this process reads and scans them itself.
    jobs None: one worker per core once the first blobs hold enough work (PARALLEL_MIN_*), else this process."""
    blobs = iter(blobs)
    if jobs is None:
        from crypto_key_guard.engine.scanner import default_jobs

        jobs = default_jobs()
        if jobs > 1:  # a short listing is sized in one go (the listing itself has no sizes)
            head = list(itertools.islice(blobs, PARALLEL_MIN_BLOBS))
            if len(head) < PARALLEL_MIN_BLOBS and \
                    sum(blob_sizes(repo.path, [b.sha for b in head]).values()) < PARALLEL_MIN_BYTES:
                jobs = 1
            blobs = itertools.chain(head, blobs)
    batches = blob_batches(blobs)
    if jobs <= 1:
        reader = BlobReader(repo.path)
        try:
            for batch in batches:
                yield from zip(batch, scan_blob_batch(reader, scanner, batch))
        finally:
            reader.close()
        return
    import collections
    import multiprocessing

    from crypto_key_guard.engine import scanner as engine

    context = multiprocessing.get_context(engine.START_METHOD or engine._start_method())
    pool = context.Pool(jobs, _worker_init, (scanner, repo.path))
    try:
        pending: collections.deque = collections.deque()
        for batch in itertools.islice(batches, jobs * 4):
            pending.append((batch, pool.apply_async(_worker_scan, (batch,))))
        while pending:
            batch, future = pending.popleft()
            outcomes = future.get()
            following = next(batches, None)
            if following is not None:
                pending.append((following, pool.apply_async(_worker_scan, (following,))))
            yield from zip(batch, outcomes)
        pool.close()
        pool.join()  # workers end normally, each closing its git
    finally:
        pool.terminate()
        pool.join()


def _widen_pipe(pipe: IO[bytes]) -> None:
    """Let git run up to 1 MiB ahead of the scanner (Linux; a no-op elsewhere), so that inflating blobs and
    scanning them overlap on two cores instead of taking turns through a 64 KiB pipe."""
    try:
        import fcntl

        fcntl.fcntl(pipe.fileno(), getattr(fcntl, "F_SETPIPE_SZ", 1031), 1 << 20)
    except (ImportError, OSError, ValueError):
        pass


# -- progress ------------------------------------------------------------------------------------------------
class Progress:
    """`history: 1234/5678 blobs  12.3 MB/s` on a terminal (stderr), redrawn ~10 times a second; silent otherwise."""

    def __init__(self, total: Optional[int], stream: IO[str] = sys.stderr) -> None:
        self.total = total
        self.stream = stream
        self.enabled = _isatty(stream)
        self.start = time.monotonic()
        self._last = 0.0

    def update(self, done: int, nbytes: int, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if not force and now - self._last < 0.1:
            return
        self._last = now
        rate = nbytes / max(now - self.start, 1e-6) / 1e6
        if self.total is None:  # git is still listing: no bar yet
            self.stream.write(f"\rhistory {done} blobs (listing ...)  {rate:.1f} MB/s")
        else:
            width = 24
            filled = int(width * done / self.total) if self.total else width
            bar = "#" * filled + "-" * (width - filled)
            self.stream.write(f"\rhistory [{bar}] {done}/{self.total} blobs  {rate:.1f} MB/s")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\r\033[K")
            self.stream.flush()


def _isatty(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


# -- scanning ------------------------------------------------------------------------------------------------
@dataclass
class BlobScan:
    stats: dict
    hits: dict              # blob sha -> findings in that blob (file = the path rev-list gave)
    notes: list[str]


def scan_blobs(repo: Repo, listing: Listing, scanner, progress: Optional[Progress] = None,
               jobs: Optional[int] = 1) -> BlobScan:
    """Scan each unique blob once with the shared scanner (scan_stream: bounded memory for any blob size);
    jobs > 1 or None: in worker processes (scan_blob_outcomes), with the same result. The listing may be
    streamed (list_blobs(stream=True)): its counts are read once every blob has been scanned."""
    stats = {"commits": 0, "unique_blobs": 0, "blobs_scanned": 0, "binary_skipped": 0, "blobs_missing": 0,
             "bytes": 0, "bytes_scanned": 0, "excluded": 0}
    hits: dict[str, list[Finding]] = {}
    notes: list[str] = []
    done = 0
    for blob, outcome in scan_blob_outcomes(repo, listing.blobs, scanner, jobs):
        done += 1
        if outcome is None:
            stats["blobs_missing"] += 1
        elif outcome[1] == NOT_A_BLOB:
            listing.listed -= 1
        else:
            found, how, size = outcome
            stats["bytes"] += size
            if how == "binary":
                stats["binary_skipped"] += 1
            else:
                if "(stopped:" in how:  # an archive a limit stopped
                    notes.append(f"{printable(blob.path)} (blob {blob.sha[:12]}): {how}")
                stats["blobs_scanned"] += 1
                stats["bytes_scanned"] += size
                if found:
                    hits[blob.sha] = found
        if progress:
            if progress.total is None and listing.complete:
                progress.total = listing.listed
            progress.update(done, stats["bytes"])
    stats.update(commits=listing.commits, unique_blobs=listing.listed,
                 blobs_missing=stats["blobs_missing"] + listing.missing_count)
    if stats["blobs_missing"]:
        notes.append(f"{stats['blobs_missing']} object(s) are not in this clone (a partial clone?) and were "
                     "not scanned; fetch them or scan a full clone")
    return BlobScan(stats, hits, notes)


# -- placing findings in history -----------------------------------------------------------------------------
@dataclass
class Commit:
    sha: str
    date: str       # author date, ISO 8601
    subject: str
    order: int      # position in the parents-first walk (ties of the same date)


@dataclass
class Place:
    path: str
    blob: str
    introduced: list[str] = field(default_factory=list)    # commits that added it (no parent had it)
    removed: list[str] = field(default_factory=list)       # commits whose first parent had it and they do not
    commits: int = 0                                        # commits whose tree holds it
    in_head: bool = False


def place_blobs(repo: Repo, wanted: set[str]) -> tuple[dict[tuple[str, str], Place], dict[str, Commit]]:
    """Follow the wanted blobs through every commit's tree diff (first parent; merges included).

    The tree state of a commit, restricted to wanted blobs, is its first parent's state plus its diff. Only
    non-empty states are kept and unchanged ones are shared, so memory follows the secrets, not the history.
    """
    cmd = ["git", *GIT_MEMORY, "log", *repo.revs, "-z", "--raw", "--no-abbrev", "--no-renames", "--root",
           "--topo-order", "--reverse", "--diff-merges=first-parent", "--no-ext-diff",
           "--format=%x01%H %P%x00%aI%x00%s", "--"]
    empty: frozenset = frozenset()
    states: dict[str, frozenset] = {}
    times_seen: dict[int, int] = {}         # id(state) -> commits holding exactly that state
    distinct: dict[int, frozenset] = {}
    places: dict[tuple[str, str], Place] = {}
    commits: dict[str, Commit] = {}
    order = 0

    def finish(sha: str, parents: list[str], meta: tuple[str, str], changes: list[tuple[str, str, str]]) -> None:
        nonlocal order
        order += 1
        base = states.get(parents[0], empty) if parents else empty
        state = base
        if changes:
            removed = {(p, old) for old, new, p in changes if old in wanted}
            added = {(p, new) for old, new, p in changes if new in wanted}
            state = frozenset((base - removed) | added)
            for key in added - base:
                if not any(key in states.get(q, empty) for q in parents[1:]):
                    places.setdefault(key, Place(*key)).introduced.append(sha)
            for key in base - state:
                places.setdefault(key, Place(*key)).removed.append(sha)
            commits[sha] = Commit(sha, meta[0], meta[1], order)
        if state:
            states[sha] = state
            times_seen[id(state)] = times_seen.get(id(state), 0) + 1
            distinct[id(state)] = state

    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, cwd=repo.path, stdout=subprocess.PIPE, stderr=err, env=_env())
        assert proc.stdout is not None
        current: Optional[tuple[str, list[str], tuple[str, str]]] = None
        changes: list[tuple[str, str, str]] = []
        for token, path in _raw_tokens(proc.stdout):
            if path is None:  # a commit header: "\x01<sha> <parents>\0<date>\0<subject>"
                if current:
                    finish(current[0], current[1], current[2], changes)
                ids, date, subject = token
                sha, *parents = ids.split()
                current, changes = (sha, parents, (date, subject)), []
            else:
                meta = token[0].split()
                old, new = meta[2], meta[3]
                if old in wanted or new in wanted:
                    changes.append((old, new, path))
        if current:
            finish(current[0], current[1], current[2], changes)
        if proc.wait() != 0:
            err.seek(0)
            raise RuntimeError(_git_error(["log"], err.read()))
    for key, state in distinct.items():
        for place_key in state:
            places.setdefault(place_key, Place(*place_key)).commits += times_seen[key]
    if repo.head:
        listing = _git(repo.path, "ls-tree", "-r", "-z", "--full-tree", repo.head)
        for entry in listing.split(b"\0"):
            meta, _, name = entry.partition(b"\t")
            parts = meta.split()
            if len(parts) == 3 and parts[2].decode() in wanted:
                key = (name.decode("utf-8", "surrogateescape"), parts[2].decode())
                places.setdefault(key, Place(*key)).in_head = True
    return places, commits


def _raw_tokens(pipe: IO[bytes]) -> Iterator[tuple[tuple[str, ...], Optional[str]]]:
    """Parse `git log -z --raw` with our format: ((sha+parents, date, subject), None) for a commit header,
    ((raw meta,), path) for a changed file. Subjects cannot hold NUL, so NUL splitting is exact."""
    def fields() -> Iterator[bytes]:
        rest = b""
        while True:
            chunk = pipe.read(1 << 16)
            if not chunk:
                break
            parts = (rest + chunk).split(b"\0")
            rest = parts.pop()
            yield from parts
        if rest:
            yield rest

    it = fields()
    for tok in it:
        tok = tok.lstrip(b"\n")
        if tok.startswith(b"\x01"):
            date, subject = next(it, b""), next(it, b"")
            yield (tok[1:].decode("ascii", "replace"), date.decode("ascii", "replace"),
                   subject.decode("utf-8", "replace")), None
        elif tok.startswith(b":"):
            yield (tok[1:].decode("ascii", "replace"),), next(it, b"").decode("utf-8", "surrogateescape")


def name_commits(repo: Repo, shas: Sequence[str]) -> dict[str, str]:
    """`feature~2`-style names (git name-rev) so a reader sees which branch or tag holds a commit."""
    if not shas:
        return {}
    out = _git(repo.path, "name-rev", "--name-only", "--no-undefined", *shas[:500], check=False)
    names = out.decode("utf-8", "replace").splitlines()
    return {s: n for s, n in zip(shas, names) if n and n != "undefined"} if len(names) == len(shas[:500]) else {}


# -- grouping ------------------------------------------------------------------------------------------------
def group_findings(scan: BlobScan, places: dict[tuple[str, str], Place], commits: dict[str, Commit],
                   repo: Repo, scanner, keep: Optional[Callable[[Finding], bool]] = None) -> list[Finding]:
    """One finding per secret (fingerprint) with every place it appears, oldest introduction first.

    `keep(finding)` is asked once per place (the finding with that place's path): the configuration's
    exclude globs, severity threshold and ignore file drop places, and a secret with no place left."""
    by_blob: dict[str, list[Place]] = {}
    for p in places.values():
        by_blob.setdefault(p.blob, []).append(p)
    groups: dict[str, list[tuple[Finding, Place | None]]] = {}
    for sha, found in scan.hits.items():
        seen: set[str] = set()
        for f in found:  # a blob holding the same secret twice counts its first occurrence
            if f.fingerprint in seen:
                continue
            seen.add(f.fingerprint)
            for p in by_blob.get(sha) or [None]:
                if keep is None or keep(f._replace(file=_place_path(p, f)) if p else f):
                    groups.setdefault(f.fingerprint, []).append((f, p))
    intro_shas = sorted({c for p in places.values() for c in p.introduced + p.removed})
    names = name_commits(repo, intro_shas)
    shallow = set(repo.shallow)

    reported = list({f.fingerprint: f for found in scan.hits.values() for f in found}.values())
    subjects: dict[str, str] = {}

    def commit_info(sha: str) -> dict:
        c = commits.get(sha)
        if c is not None and sha not in subjects:
            subjects[sha] = safe_subject(c.subject, scanner, reported)
        info = {"commit": sha, "short": sha[:repo.abbrev], "date": c.date if c else "",
                "subject": subjects[sha] if c else ""}
        if sha in names:
            info["ref"] = mask_reported(names[sha], reported, scanner.fingerprint)
        if sha in shallow:
            info["shallow_boundary"] = True
        return info

    def first_intro(p: Place | None) -> tuple:
        """(0, date, order, sha) of a place's oldest introduction; places without one sort last."""
        dated = [(0, commits[c].date, commits[c].order, c) for c in p.introduced if c in commits] if p else []
        return min(dated) if dated else (1, "", 0, "")

    result: list[tuple[tuple, Finding]] = []
    for entries in groups.values():
        entries.sort(key=lambda e: (first_intro(e[1]), e[1].path if e[1] else e[0].file))
        f0, p0 = entries[0]
        intro = first_intro(p0)
        place_dicts = []
        for f, p in entries:
            d = {"path": _place_path(p, f) if p else f.file, "blob": p.blob if p else "", "line": f.line,
                 "column": f.column}
            if p:
                d.update(introduced_in=[commit_info(c) for c in _by_date(p.introduced, commits)],
                         removed_in=[commit_info(c) for c in _by_date(p.removed, commits)],
                         commits=p.commits, in_head=p.in_head)
            else:
                d.update(introduced_in=[], removed_in=[], commits=0, in_head=False,
                         note="reachable from a ref but from no commit in range (a tag on a blob?)")
            place_dicts.append(d)
        extra = dict(f0.extra)
        extra["introduced"] = dict(commit_info(intro[3]), path=place_dicts[0]["path"]) if intro[3] else None
        extra["in_head"] = any(d["in_head"] for d in place_dicts)
        extra["places"] = place_dicts
        finding = f0._replace(file=place_dicts[0]["path"], line=f0.line, column=f0.column, extra=extra)
        result.append(((intro, finding.file, finding.line), finding))
    result.sort(key=lambda r: r[0])
    return [f for _, f in result]


def _place_path(place: Place, finding: Finding) -> str:
    """Where a finding is at a place: the blob's path, and the member's within it for an archive."""
    member = finding.extra.get("archive_member")
    return f"{place.path}!{member}" if member else place.path


def _by_date(shas: list[str], commits: dict[str, Commit]) -> list[str]:
    return sorted(shas, key=lambda s: (commits[s].date, commits[s].order) if s in commits else ("", 0))


# -- the command ---------------------------------------------------------------------------------------------
def scan_history(repo: Repo, scanner, progress_stream: IO[str] = sys.stderr, session=None,
                 jobs: Optional[int] = 1) -> ScanResult:
    """The whole history scan. `session` (options.Session) applies the project's exclude globs, severity
    threshold and ignore file exactly as `scan` does; without it every finding is reported.

    jobs: worker processes (None: one per core, once the listing holds enough work; 1: this process only,
    the default for callers that pass their own scanner). The result is the same for any number."""
    started = time.monotonic()
    # a blob is judged by the path git lists it under (its other places are filtered after placing)
    keep = (lambda path: not session.excluded(path)) \
        if session is not None and (session.exclude or session.vendored is not None) else None
    listing = list_blobs(repo, keep=keep, stream=True)  # scanning starts while git is still listing
    progress = Progress(None, progress_stream)
    try:
        scan = scan_blobs(repo, listing, scanner, progress, jobs)
        scan.stats["excluded"] = listing.excluded
        scan.stats["unique_blobs"] += listing.excluded
        progress.total = listing.listed
        progress.update(listing.listed, scan.stats["bytes"], force=True)
    finally:
        progress.close()
    scanned_at = time.monotonic()
    findings: list[Finding] = []
    if scan.hits:
        places, commits = place_blobs(repo, set(scan.hits))
        keep = None
        if session is not None:
            keep = lambda f: not session.excluded(f.file) and session.keep(f)  # noqa: E731
        findings = group_findings(scan, places, commits, repo, scanner, keep)
        # every distinct fingerprint makes one entry unless the configuration dropped all its places
        scan.stats["ignored"] = len({x.fingerprint for found in scan.hits.values() for x in found}) - len(findings)
    in_messages = scan_history_messages(repo, scanner, session)
    findings += in_messages
    ended = time.monotonic()
    stats = dict(scan.stats)
    stats.setdefault("ignored", 0)
    seconds = max(scanned_at - started, 1e-9)
    stats.update(
        findings=len(findings), secrets=len(findings), places=sum(len(f.extra["places"]) for f in findings),
        secrets_in_head=sum(1 for f in findings if f.extra["in_head"]),
        shallow=bool(repo.shallow), bare=repo.bare,
        seconds=round(ended - started, 3), scan_seconds=round(seconds, 3),
        blobs_per_second=round(listing.listed / seconds, 1), mb_per_second=round(stats["bytes"] / seconds / 1e6, 2),
    )
    notes = list(scan.notes)
    if repo.shallow:
        notes.insert(0, f"shallow clone: history behind {len(repo.shallow)} boundary commit(s) "
                        f"({', '.join(s[:repo.abbrev] for s in repo.shallow[:3])}"
                        f"{', ...' if len(repo.shallow) > 3 else ''}) is not in this clone and was not scanned; "
                        "a secret present there is shown as introduced at the boundary. Run "
                        "`git fetch --unshallow` for the full history")
    if listing.commits == 0:
        notes.append("no commits to scan" + (" in this range" if repo.revs != ["--all"] else ""))
    elif repo.head is None and findings:
        notes.append("HEAD does not name a commit, so no place is reported as still in HEAD; check the branches")
    stats["message_findings"] = len(in_messages)
    return ScanResult(findings, stats, notes, unreadable_objects(stats, listing))


def scan_history_messages(repo: Repo, scanner, session=None) -> list[Finding]:
    """Secrets in the commit messages of the scanned revisions and in their annotated tags' messages."""
    from crypto_key_guard.sources.messages import (
        commit_messages,
        message_findings,
        scan_messages,
        tag_messages,
        tag_objects,
    )

    env = _env()
    messages = itertools.chain(commit_messages(repo.path, repo.revs, repo.abbrev, env),
                               tag_messages(repo.path, tag_objects(repo.path, repo.revs, env), env))
    hits = scan_messages(messages, scanner)
    if not hits:
        return []
    keep = None
    if session is not None:
        keep = lambda f: not session.excluded(f.file) and session.keep(f)  # noqa: E731
    names = name_commits(repo, sorted({m.sha for _, m in hits if m.kind == "commit"}))
    return message_findings(hits, scanner, names, keep)


def unreadable_objects(stats: dict, listing: Listing) -> list[str]:
    """Objects the scan could not read make it fail (exit 2): a secret may be in them."""
    if not stats.get("blobs_missing"):
        return []
    shown = ", ".join(m[:12] for m in listing.missing[:5]) + (", ..." if len(listing.missing) > 5 else "")
    return [f"{stats['blobs_missing']} object(s) could not be read{' (' + shown + ')' if shown else ''}, so "
            "this history is not known to be clean: fetch them (`git fetch --refetch` / a full clone) and "
            "scan again"]

