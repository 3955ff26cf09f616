"""Commit and annotated-tag messages: text that is pushed and published like any file, and scanned like one.

`git log -z` streams every message of the scanned revisions (one process); messages are scanned in batches of
about a megabyte, each kept apart by blank lines, and a finding is mapped back to its commit and line. A tag's
message is read with `git cat-file --batch`. Findings have the history shape (`extra["places"]`,
`extra["introduced"]`), so reports and filters treat them like secrets in blobs; their `file` names the object,
`commit 1a2b3c4 (message)` or `tag v1.0 (message)`.
"""
from __future__ import annotations

import bisect
import subprocess
from dataclasses import dataclass
from typing import Callable, Iterator, Optional

from crypto_key_guard.engine.findings import Finding

BATCH_BYTES = 1 << 20
SEPARATOR = b"\n\n\n\n"  # keeps one message's words from being read as the context of the next one's


@dataclass(frozen=True)
class Message:
    kind: str       # "commit" or "tag"
    sha: str        # the commit, or the tag object
    name: str       # short sha for a commit, the tag's name for a tag
    date: str       # ISO 8601 (author date of a commit, tagger date of a tag)
    subject: str
    text: bytes

    @property
    def label(self) -> str:
        return f"{self.kind} {self.name} (message)"


def commit_messages(path: str, revs: list[str], abbrev: int, env: dict) -> Iterator[Message]:
    proc = subprocess.Popen(["git", "log", "-z", "--format=%H%x1f%aI%x1f%B", *revs, "--"], cwd=path,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    assert proc.stdout is not None
    rest = b""
    try:
        while True:
            chunk = proc.stdout.read(1 << 16)
            records = (rest + chunk).split(b"\0")
            rest = records.pop() if chunk else b""
            for record in records:
                message = _commit_message(record.lstrip(b"\n"), abbrev)
                if message is not None:
                    yield message
            if not chunk:
                break
    finally:
        proc.stdout.close()
        proc.wait()


def _commit_message(record: bytes, abbrev: int) -> Optional[Message]:
    parts = record.split(b"\x1f", 2)
    if len(parts) != 3:
        return None
    sha, date, text = parts[0].decode("ascii", "replace"), parts[1].decode("ascii", "replace"), parts[2]
    subject = text.split(b"\n", 1)[0].decode("utf-8", "replace")
    return Message("commit", sha, sha[:abbrev], date, subject, text)


def tag_objects(path: str, revs: list[str], env: dict) -> list[tuple[str, str]]:
    """(tag object, name) of the annotated tags a scan covers: every tag under refs/tags when the revisions
    include --all, and any tag object named as a revision itself (a pushed tag)."""
    wanted: list[tuple[str, str]] = []
    positives = revs[:revs.index("--not")] if "--not" in revs else revs
    if "--all" in positives:
        out = subprocess.run(["git", "for-each-ref", "--format=%(objecttype) %(objectname) %(refname:short)",
                              "refs/tags"], cwd=path, capture_output=True, env=env, check=False).stdout
        for line in out.decode("utf-8", "replace").splitlines():
            kind, _, rest = line.partition(" ")
            sha, _, name = rest.partition(" ")
            if kind == "tag":
                wanted.append((sha, name))
    named = [r for r in positives if not r.startswith("-")]
    if named:
        out = subprocess.run(["git", "cat-file", "--batch-check=%(objecttype) %(objectname) %(rest)"], cwd=path,
                             input="".join(f"{r} {r}\n" for r in named).encode(), capture_output=True, env=env,
                             check=False).stdout
        for line in out.decode("utf-8", "replace").splitlines():
            parts = line.split(" ", 2)
            if len(parts) == 3 and parts[0] == "tag" and all(parts[1] != w[0] for w in wanted):
                wanted.append((parts[1], parts[2]))
    return wanted


def tag_messages(path: str, tags: list[tuple[str, str]], env: dict) -> Iterator[Message]:
    if not tags:
        return
    out = subprocess.run(["git", "cat-file", "--batch"], cwd=path, capture_output=True, env=env, check=False,
                         input="".join(f"{sha}\n" for sha, _ in tags).encode()).stdout
    pos = 0
    for sha, name in tags:
        end = out.find(b"\n", pos)
        header = out[pos:end].split()
        if end < 0 or len(header) < 3:
            return
        size = int(header[2])
        body = out[end + 1:end + 1 + size]
        pos = end + 1 + size + 1
        head, _, text = body.partition(b"\n\n")
        date, short = "", ""
        for line in head.split(b"\n"):
            if line.startswith(b"tagger "):
                date = _tagger_date(line)
            elif line.startswith(b"tag "):
                short = line[4:].decode("utf-8", "replace")
        short = short or (name if name and name != sha else sha[:12])
        yield Message("tag", sha, short, date, text.split(b"\n", 1)[0].decode("utf-8", "replace"), text)


def _tagger_date(line: bytes) -> str:
    """`tagger Name <mail> 1700000000 +0100` -> ISO 8601 (UTC)."""
    import datetime

    try:
        stamp = int(line.rsplit(b" ", 2)[1])
    except (IndexError, ValueError):
        return ""
    return datetime.datetime.fromtimestamp(stamp, datetime.timezone.utc).isoformat()


def scan_messages(messages: Iterator[Message], scanner) -> list[tuple[Finding, Message]]:
    """Every finding in the messages, each with the message it is in (line numbers within the message)."""
    hits: list[tuple[Finding, Message]] = []
    batch: list[Message] = []
    size = 0

    def flush() -> None:
        starts: list[int] = []  # first line of each message in the batch
        buf = bytearray()
        line = 1
        for m in batch:
            starts.append(line)
            buf += m.text + SEPARATOR
            line += m.text.count(b"\n") + SEPARATOR.count(b"\n")
        for f in scanner.scan_bytes(bytes(buf)):
            i = bisect.bisect_right(starts, f.line) - 1
            hits.append((f._replace(line=f.line - starts[i] + 1), batch[i]))

    for message in messages:
        if not message.text.strip():
            continue
        batch.append(message)
        size += len(message.text)
        if size >= BATCH_BYTES:
            flush()
            batch, size = [], 0
    if batch:
        flush()
    return hits


def message_findings(hits: list[tuple[Finding, Message]], scanner, names: dict[str, str],
                     keep: Optional[Callable[[Finding], bool]] = None) -> list[Finding]:
    """One finding per secret with every message it is in (history's shape), oldest first."""
    from crypto_key_guard.engine.findings import safe_subject

    groups: dict[str, list[tuple[Finding, Message]]] = {}
    for f, m in hits:
        f = f._replace(file=m.label)
        if keep is None or keep(f):
            groups.setdefault(f.fingerprint, []).append((f, m))
    result = []
    for entries in groups.values():
        entries.sort(key=lambda e: (e[1].date, e[1].label))
        places = []
        for f, m in entries:
            info = {"commit": m.sha, "short": m.name, "date": m.date, "subject": safe_subject(m.subject, scanner)}
            if m.sha in names:
                info["ref"] = names[m.sha]
            places.append({"path": m.label, "blob": "", "line": f.line, "column": f.column,
                           "introduced_in": [info], "removed_in": [], "commits": 1, "in_head": False,
                           "note": f"in the {m.kind} message"})
        f0 = entries[0][0]
        extra = dict(f0.extra, introduced=dict(places[0]["introduced_in"][0], path=places[0]["path"]),
                     in_head=False, places=places)
        result.append(f0._replace(extra=extra))
    return result
