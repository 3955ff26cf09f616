"""crypto-key-guard pre-push: judge the commits a push sends, not the working tree.

As a plain git hook (`.git/hooks/pre-push`: `exec crypto-key-guard pre-push "$@"`) it reads git's ref lines on
stdin; through pre-commit the crypto-key-patterns hook comes here itself when pre-commit describes a push in
its environment (PRE_COMMIT_FROM_REF/PRE_COMMIT_TO_REF, or PRE_COMMIT_REMOTE_NAME for a whole new history).
Every blob and message new in the pushed commits is scanned by the history scanner, so a key added in one
commit and removed in the next is refused too; a new branch is judged against what the remote already has.
"""
from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from typing import Callable, Iterator, Optional, Sequence

from crypto_key_guard.errors import EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE, UsageError
from crypto_key_guard.policy.options import add_rule_options, fail_usage, prepare

PROG = "crypto-key-guard pre-push"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("remote", nargs="?", default="", help="the remote's name (git passes it)")
    parser.add_argument("url", nargs="?", default="", help="the remote's URL (git passes it; unused)")
    add_rule_options(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    args.history = True  # finding paths are relative to the repository root
    try:
        session = prepare(args)
        from crypto_key_guard.sources.history import _resolves
        from crypto_key_guard.sources.pushed import from_pre_commit_env, from_pre_push_lines, read_lines

        push = from_pre_commit_env(os.environ, lambda rev: _resolves(".", rev))
        if push is None:
            push = from_pre_push_lines(read_lines(sys.stdin), args.remote, lambda rev: _resolves(".", rev))
        return run_push(".", push, session, PROG)
    except (UsageError, RuntimeError) as exc:
        return fail_usage(PROG, exc)


def run_from_pre_commit(session, prog: str) -> int:
    """The crypto-key-patterns hook at the pre-push stage. pre-commit may split the changed files over several
    parallel runs of the hook; the range is the same for all, so the first run to take the lock scans and
    reports it, and the others (children of the same pre-commit process) repeat its exit code silently."""
    from crypto_key_guard.sources.history import _resolves
    from crypto_key_guard.sources.pushed import from_pre_commit_env

    push = from_pre_commit_env(os.environ, lambda rev: _resolves(".", rev))
    if push is None:
        return EXIT_CLEAN
    with _once_per_push(push.revs()) as (earlier, record):
        if earlier is not None:
            return earlier
        code = run_push(".", push, session, prog)
        record(code)
        return code


def run_push(path: str, push, session, prog: str, server: bool = False, out=None) -> int:
    """Scan the pushed range and report it; the exit code (0 clean, 1 refused, 2 something unreadable)."""
    from crypto_key_guard.reports.push import SERVER_ADVICE, client_advice, report
    from crypto_key_guard.sources.pushed import scan_push

    out = out or sys.stdout
    if not push.tips:
        return EXIT_CLEAN  # deletions only: nothing is sent
    session.base = None  # history paths are already relative to the repository root
    repo, result = scan_push(path, push, session)
    advice = SERVER_ADVICE if server else client_advice(push, repo.abbrev)
    report(result, out, advice, prog)
    if result.findings:
        return EXIT_FINDINGS
    return EXIT_USAGE if result.errors else EXIT_CLEAN


def _forget_old_pushes(git_dir: str) -> None:
    """The lock and result files of pushes over an hour old: they are never read again."""
    try:
        with os.scandir(git_dir) as entries:
            for entry in entries:
                if entry.name.startswith("crypto-key-guard-push-") and \
                        time.time() - entry.stat().st_mtime > 3600:
                    os.unlink(entry.path)
    except OSError:
        pass


@contextlib.contextmanager
def _once_per_push(revs: list[str]) -> Iterator[tuple[Optional[int], Callable[[int], None]]]:
    """(exit code of an earlier run of this same hook invocation, or None; a function recording ours), under a
    lock in the git directory keyed by the pushed revisions and the pre-commit process."""
    from crypto_key_guard.engine.findings import sha256_hex
    from crypto_key_guard.sources.files import git_output

    def record(code: int) -> None:
        try:
            with open(code_path, "w", encoding="ascii") as fh:
                fh.write(str(code))
        except OSError:
            pass

    try:
        git_dir = git_output(["rev-parse", "--absolute-git-dir"], cwd=".").decode().strip()
        import fcntl
    except (RuntimeError, ImportError):  # no lock to share: every run scans
        yield None, lambda code: None
        return
    _forget_old_pushes(git_dir)
    key = sha256_hex("\0".join([*revs, str(os.getppid())]).encode())[:16]
    base = os.path.join(git_dir, f"crypto-key-guard-push-{key}")
    code_path = base + ".code"
    try:
        lock = open(base + ".lock", "a+")
    except OSError:
        yield None, lambda code: None
        return
    with lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        earlier = None
        try:
            if time.time() - os.path.getmtime(code_path) < 600:
                with open(code_path, encoding="ascii") as fh:
                    earlier = int(fh.read().strip())
        except (OSError, ValueError):
            pass
        yield earlier, record


if __name__ == "__main__":
    raise SystemExit(main())
