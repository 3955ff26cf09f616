"""crypto-key-guard pre-receive: a server hook that refuses a push introducing a secret.

Install it as the repository's `hooks/pre-receive` (`exec crypto-key-guard pre-receive`): git passes one
`<old sha> <new sha> <ref>` line per updated ref on stdin and keeps the pushed objects in quarantine until the
hook exits 0, so a refused push leaves nothing behind. Only objects new to the repository are scanned
(`git rev-list --objects <new> --not --all`): blobs, commit messages and annotated tag messages. The project's
configuration and ignore file are read as committed in the pushed tip, not from the server's disk. Deleting a
ref is always allowed. See docs/server-hooks.md for GitLab, Gitea/Forgejo and plain SSH servers.
"""
from __future__ import annotations

import argparse
import os
import posixpath
import subprocess
import sys
import tempfile
from typing import Optional, Sequence

from crypto_key_guard.errors import EXIT_CLEAN, EXIT_USAGE, UsageError
from crypto_key_guard.policy.options import add_rule_options, fail_usage, prepare

PROG = "crypto-key-guard pre-receive"
CONFIG_FILES = (".crypto-key-guard.yaml", "pyproject.toml")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repository", metavar="DIR", default=".",
                        help="the repository receiving the push (default: the current directory, as git runs it)")
    add_rule_options(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from crypto_key_guard.commands.pre_push import run_push
    from crypto_key_guard.sources.pushed import Push, from_pre_receive_lines, read_lines

    try:
        push = from_pre_receive_lines(read_lines(sys.stdin))
        if not push.tips:
            return EXIT_CLEAN
        git_dir = _git_dir(args.repository)
        os.environ["GIT_DIR"] = git_dir  # git gives hooks a relative GIT_DIR; nothing below may depend on cwd
        worst = EXIT_CLEAN
        for tip, updates in _group_by_committed_config(git_dir, push).items():
            with tempfile.TemporaryDirectory(prefix="ckg-pre-receive-") as tmp:
                session = _session_as_committed(args, git_dir, tip, tmp)
                group = Push(updates=updates, negatives=push.negatives)
                worst = max(worst, run_push(git_dir, group, session, PROG, server=True))
        return worst
    except (UsageError, RuntimeError) as exc:
        # fail closed: a push that cannot be judged is refused, with the reason
        return fail_usage(PROG, exc)


def _git_dir(path: str) -> str:
    out = subprocess.run(["git", "rev-parse", "--absolute-git-dir"], cwd=path, capture_output=True, check=False)
    if out.returncode != 0:
        raise UsageError(f"{path}: not a git repository")
    return out.stdout.decode("utf-8", "surrogateescape").strip()


def _committed(git_dir: str, rev: str, path: str) -> Optional[bytes]:
    """The content of `path` in `rev`'s tree, or None when it has no such file."""
    out = subprocess.run(["git", "cat-file", "blob", f"{rev}:{path}"], cwd=git_dir, capture_output=True, check=False)
    return out.stdout if out.returncode == 0 else None


def _config_key(git_dir: str, rev: str) -> tuple[str, ...]:
    out = subprocess.run(["git", "cat-file", "--batch-check=%(objectname)"], cwd=git_dir, capture_output=True,
                         check=False, input="".join(f"{rev}:{name}\n" for name in CONFIG_FILES).encode())
    return tuple(out.stdout.decode("ascii", "replace").split())


def _group_by_committed_config(git_dir: str, push) -> dict:
    """Refs whose tips commit the same configuration files are scanned together: {a tip: [updates]}."""
    groups: dict[tuple[str, ...], tuple[str, list]] = {}
    for update in push.updates:
        key = _config_key(git_dir, update.new)
        groups.setdefault(key, (update.new, []))[1].append(update)
    return {tip: updates for tip, updates in groups.values()}


def _inside(relative: str) -> bool:
    """A path a pushed configuration may name: relative, and inside the repository (a server must never read
    its own files because a push asked it to)."""
    norm = posixpath.normpath(relative.replace("\\", "/"))
    return not (posixpath.isabs(norm) or norm == ".." or norm.startswith("../") or relative[1:2] == ":")


def _session_as_committed(args: argparse.Namespace, git_dir: str, tip: str, tmp: str):
    """The session `scan` would build in a checkout of `tip`: its configuration, pattern files and ignore file,
    copied from the pushed tree into `tmp` (nothing else is checked out)."""
    from crypto_key_guard.policy.config import load_config

    def copy(path: str) -> None:
        if not _inside(path):
            raise UsageError(f"the configuration committed in {tip[:12]} names {path!r}, outside the repository")
        content = _committed(git_dir, tip, path)
        if content is not None:
            target = os.path.join(tmp, *posixpath.normpath(path).split("/"))
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "wb") as fh:
                fh.write(content)

    for name in CONFIG_FILES:
        copy(name)
    if not args.config:
        from pathlib import Path

        cfg = load_config(Path(tmp))
        for path in [*cfg.get("patterns"), cfg.get("ignore_file")]:
            copy(path)
    args.history = True
    return prepare(args, tmp)


if __name__ == "__main__":
    raise SystemExit(main())
