"""What a push sends: the commits, blobs and messages new to the other side, as history-scanner revisions.

Three places learn about a push, each in its own words:

- pre-commit at the `pre-push` stage sets PRE_COMMIT_FROM_REF/PRE_COMMIT_TO_REF (the remote's tip and ours),
  or, for a branch whose history reaches a root commit the remote lacks, only PRE_COMMIT_REMOTE_NAME and
  PRE_COMMIT_LOCAL_BRANCH;
- git itself runs `.git/hooks/pre-push <remote> <url>` with `<local ref> <local sha> <remote ref> <remote sha>`
  lines on stdin;
- a server runs `hooks/pre-receive` with `<old sha> <new sha> <ref>` lines on stdin.

Each becomes a `Push`: the tips to judge (positives) and what the other side already has (negatives). The
history scanner then lists only objects reachable from the tips and from none of the negatives, so a key added
in one pushed commit and removed in the next is still seen, and nothing the remote already holds is rescanned.
A ref deletion pushes nothing.
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from typing import IO, Iterable, Mapping, Optional

ZERO_RE = re.compile(r"^0+$")
_SHA = re.compile(r"^[0-9a-f]{40}(?:[0-9a-f]{24})?$")


@dataclass
class RefUpdate:
    ref: str            # the ref being written (remote side for pre-push, the server's own for pre-receive)
    old: str            # what the other side has now ("" when nothing: a new ref)
    new: str            # what it will hold ("" for a deletion)
    local_ref: str = ""  # pre-push: the local ref being pushed


@dataclass
class Push:
    """Revision arguments for the history scanner: tips minus what the receiving side already has."""
    updates: list[RefUpdate] = field(default_factory=list)
    negatives: list[str] = field(default_factory=list)   # shas and --remotes=/--all patterns
    remote: str = ""                                     # pre-push: the remote's name, for the advice

    @property
    def tips(self) -> list[str]:
        seen: list[str] = []
        for u in self.updates:
            if u.new and u.new not in seen:
                seen.append(u.new)
        return seen

    def revs(self) -> list[str]:
        return [*self.tips, "--not", *self.negatives] if self.negatives else list(self.tips)

    @property
    def base(self) -> str:
        """What `git rebase -i` should start from: the remote's old tip when there is exactly one."""
        olds = {u.old for u in self.updates if u.new and u.old}
        return olds.pop() if len(olds) == 1 else ""


def _is_zero(sha: str) -> bool:
    return bool(ZERO_RE.match(sha))


def _check_rev(value: str, what: str) -> str:
    if not value or value.startswith("-") or any(ch.isspace() for ch in value):
        from crypto_key_guard.errors import UsageError

        raise UsageError(f"{what}: {value!r} is not a revision")
    return value


def from_pre_commit_env(env: Mapping[str, str], resolves) -> Optional[Push]:
    """The push pre-commit describes in its environment; None when it describes none (not a push stage).

    `resolves(rev)` says whether a revision names a commit here (a remote tip we never fetched does not)."""
    remote = env.get("PRE_COMMIT_REMOTE_NAME", "")
    from_ref, to_ref = env.get("PRE_COMMIT_FROM_REF", ""), env.get("PRE_COMMIT_TO_REF", "")
    remote_patterns = [f"--remotes={remote}"] if remote and "/" not in remote and not remote.startswith("-") \
        else []
    if from_ref and to_ref:
        _check_rev(from_ref, "PRE_COMMIT_FROM_REF")
        _check_rev(to_ref, "PRE_COMMIT_TO_REF")
        old = from_ref if resolves(from_ref) else ""
        update = RefUpdate(env.get("PRE_COMMIT_REMOTE_BRANCH", ""), old, to_ref,
                           env.get("PRE_COMMIT_LOCAL_BRANCH", ""))
        return Push([update], ([old] if old else []) + remote_patterns, remote)
    local = env.get("PRE_COMMIT_LOCAL_BRANCH", "")
    if remote and local:  # pre-commit's "whole history" push: the branch reaches a root the remote lacks
        _check_rev(local, "PRE_COMMIT_LOCAL_BRANCH")
        update = RefUpdate(env.get("PRE_COMMIT_REMOTE_BRANCH", ""), "", local, local)
        return Push([update], remote_patterns, remote)
    return None


def from_pre_push_lines(lines: Iterable[str], remote: str, resolves) -> Push:
    """git's pre-push stdin: `<local ref> <local sha> <remote ref> <remote sha>` per ref."""
    push = Push(remote=remote)
    if remote and "/" not in remote and not remote.startswith("-"):
        push.negatives.append(f"--remotes={remote}")
    for line in lines:
        parts = line.split()
        if len(parts) != 4 or not (_SHA.match(parts[1]) and _SHA.match(parts[3])):
            continue
        local_ref, local_sha, remote_ref, remote_sha = parts
        if _is_zero(local_sha):
            continue  # deleting a ref pushes nothing
        old = "" if _is_zero(remote_sha) or not resolves(remote_sha) else remote_sha
        push.updates.append(RefUpdate(remote_ref, old, local_sha, local_ref))
        if old and old not in push.negatives:
            push.negatives.insert(0, old)
    return push


def from_pre_receive_lines(lines: Iterable[str]) -> Push:
    """A server's pre-receive stdin: `<old sha> <new sha> <ref>` per ref. Everything the repository's refs
    reach already (`--all`, read before any ref moves) is not new."""
    push = Push(negatives=["--all"])
    for line in lines:
        parts = line.split(None, 2)
        if len(parts) != 3 or not (_SHA.match(parts[0]) and _SHA.match(parts[1])):
            continue
        old, new, ref = parts[0], parts[1], parts[2].strip()
        if _is_zero(new):
            continue  # a deletion
        push.updates.append(RefUpdate(ref, "" if _is_zero(old) else old, new))
    return push


def read_lines(stream: IO[str]) -> list[str]:
    try:
        return stream.read().splitlines() if not stream.isatty() else []
    except (OSError, ValueError):
        return []


# -- the scan and its report -----------------------------------------------------------------------------------
def scan_push(path: str, push: Push, session, scanner=None):
    """History-scan the pushed range: a ScanResult whose findings name the commit that introduced each secret."""
    from crypto_key_guard.sources.history import open_repo, scan_history

    repo = open_repo(path)
    repo.revs = push.revs()
    repo.head = None  # "still in HEAD" means nothing for a push: every place is in a pushed commit
    result = scan_history(repo, scanner or session.scanner, progress_stream=io.StringIO(), session=session)
    by_name = named_files_in_push(repo, session)
    if by_name:
        result.findings = by_name + result.findings
        result.stats["findings"] = len(result.findings)
    # a push of a tag alone has no commit to walk; HEAD means nothing on the receiving side
    result.notes = [n for n in result.notes if not n.startswith(("HEAD does not name a commit", "no commits to scan"))]
    return repo, result


# -- files a push must not carry by their name ------------------------------------------------------------------
NAME_PROBE = 64 << 10
_NAME_KINDS = {"env-file": "A secrets file, blocked by its name", "wallet-file": "A wallet or keystore file, "
               "blocked by its name", "private-key-file": "A private key file, blocked by its name"}


def named_files_in_push(repo, session) -> list:
    """env-file-guard's judgement on every path the pushed commits add or change: a `.env`, a wallet or a key
    file committed with --no-verify is refused at the push even when no rule finds a key in it, and even when a
    later commit of the push deleted it. Findings have the history shape; one per path and kind."""
    import subprocess

    from crypto_key_guard.engine.findings import Finding, secret_hash
    from crypto_key_guard.policy.datafiles import load_env_file_lists
    from crypto_key_guard.policy.secret_files import judge, matching
    from crypto_key_guard.sources.history import _env, name_commits

    lists = load_env_file_lists()
    configured = session.config.section("env_files") if session is not None else {"block": [], "templates": []}
    blocked = list(lists.blocked) + configured["block"]
    templates = list(lists.templates) + configured["templates"]
    out = subprocess.run(["git", "log", "-z", "--no-renames", "--diff-filter=ACMR", "--name-only",
                          "--format=%x01%H%x00%aI%x00%s", *repo.revs, "--"], cwd=repo.path, capture_output=True,
                         env=_env(), check=False).stdout
    firsts: dict[str, tuple[str, str, str]] = {}   # path -> (commit, date, subject) of the oldest change
    commit = ("", "", "")
    tokens = iter(out.split(b"\0"))
    for token in tokens:
        token = token.lstrip(b"\n")
        if token.startswith(b"\x01"):
            commit = (token[1:].decode("ascii", "replace"), next(tokens, b"").decode("ascii", "replace"),
                      next(tokens, b"").decode("utf-8", "replace"))
        elif token:
            firsts[token.decode("utf-8", "surrogateescape")] = commit  # git log is newest first: keep the oldest
    findings = []
    hits = []
    for path, (sha, date, subject) in sorted(firsts.items()):
        if matching(path, templates):
            continue  # a template's values are judged by the content scan
        verdict = judge(path, lists, blocked, head=lambda p, c=sha: _committed_head(repo.path, c, p))
        if verdict is not None:
            hits.append((path, sha, date, subject, verdict))
    names = name_commits(repo, sorted({h[1] for h in hits})) if hits else {}
    from crypto_key_guard.engine.findings import safe_subject

    for path, sha, date, subject, (kind, pattern, advice) in hits:
        info = {"commit": sha, "short": sha[:repo.abbrev], "date": date,
                "subject": safe_subject(subject, session.scanner) if session is not None else ""}
        if sha in names:
            info["ref"] = names[sha]
        place = {"path": path, "blob": "", "line": 1, "column": 1, "introduced_in": [info], "removed_in": [],
                 "commits": 1, "in_head": False, "note": f"blocked by its name ({pattern})"}
        f = Finding(file=path, line=1, column=1, rule=kind, description=_NAME_KINDS[kind],
                    severity="critical" if kind != "env-file" else "high", confidence="high",
                    redacted="the whole file", fingerprint=secret_hash(kind, path),
                    kind="wallet" if kind == "wallet-file" else "generic",
                    remediation=advice.split(". ", 1)[0] + ": take it out of the pushed "
                    "commits (below) and keep it outside the repository.",
                    extra={"introduced": dict(info, path=path), "in_head": False, "places": [place]})
        if session is None or (not session.excluded(path) and session.keep(f)):
            findings.append(f)
    return findings


def _committed_head(git_dir: str, commit: str, path: str):
    import subprocess

    from crypto_key_guard.sources.history import _env

    out = subprocess.run(["git", "cat-file", "blob", f"{commit}:{path}"], cwd=git_dir, capture_output=True,
                         env=_env(), check=False)
    return out.stdout[:NAME_PROBE] if out.returncode == 0 else None
