"""pre-commit hook: make sure git ignores env files, secrets/ and Python caches; --fix appends what is missing."""
from __future__ import annotations

import argparse
import codecs
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Sequence

from crypto_key_guard.errors import EXIT_CLEAN, EXIT_FINDINGS, UsageError, console_main
from crypto_key_guard.policy.options import fail_usage
from crypto_key_guard.util.fs import atomic_write

PROG = "gitignore-enforcer"
HEADER = "# added by gitignore-enforcer (crypto-key-guard): keep secrets out of git"


def ignored_paths(top: str, paths: Sequence[str]) -> set[str]:
    """Which of `paths` the repository's own ignore files make git ignore.

    git's matching decides (negations, nested .gitignore files, comments), against the work tree's
    .gitignore files only: a throw-away git dir stands in for .git so that a developer's global excludes
    file or .git/info/exclude cannot hide a gap that every other clone would have.
    """
    with tempfile.TemporaryDirectory(prefix="ckg-gitdir-") as gitdir:
        subprocess.run(["git", "init", "-q", "--bare", gitdir], capture_output=True, check=True)
        proc = subprocess.run(
            ["git", f"--git-dir={gitdir}", f"--work-tree={top}", "-c", f"core.excludesFile={os.devnull}",
             "check-ignore", "--no-index", "--stdin", "-z"],
            cwd=top, input="\0".join(paths).encode() + b"\0", capture_output=True, check=False)
    if proc.returncode not in (0, 1):  # 1 = nothing ignored
        raise UsageError(f"git check-ignore failed: {proc.stderr.decode('utf-8', 'replace').strip()}")
    return {p.decode("utf-8", "surrogateescape") for p in proc.stdout.split(b"\0") if p}


def gitignore_entry(path: str) -> str:
    """A line of .gitignore that matches exactly this path: glob characters, a leading '#' or '!' and trailing
    spaces escaped, as gitignore(5) reads them (`keys/backup[1].json` unescaped matches `keys/backup1.json`)."""
    escaped = "".join("\\" + ch if ch in "*?[]\\" else ch for ch in path)
    if escaped[:1] in ("#", "!"):
        escaped = "\\" + escaped
    stripped = escaped.rstrip(" ")
    return stripped + "\\ " * (len(escaped) - len(stripped))


def check_required_path(path: str) -> None:
    """A required path is one line of .gitignore: a line break or NUL in it would write two entries (or none)."""
    if not path or any(ch in path for ch in "\n\r\0"):
        raise UsageError(f"--require {path!r}: a path must be one line, without line breaks or NUL")


def read_original(path: str) -> tuple[bytes, int]:
    try:
        with open(path, "rb") as fh:
            return fh.read(), os.stat(path).st_mode & 0o7777
    except FileNotFoundError:
        return b"", 0o644


def with_entries(original: bytes, entries: Sequence[str]) -> bytes:
    """The file with `entries` appended, keeping its content, BOM and line endings, ending in a newline."""
    newline = b"\r\n" if b"\r\n" in original else b"\n"
    body = original
    if body and not body.endswith(b"\n"):
        body += newline
    if body.strip(codecs.BOM_UTF8 + b"\r\n"):
        body += newline  # a blank line before our block
    return body + newline.join([HEADER.encode()] + [e.encode("utf-8") for e in entries]) + newline


@console_main
def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__)
    parser.add_argument("--fix", action="store_true",
                        help="append the missing entries to the root .gitignore (then exit 1 so you re-stage it)")
    parser.add_argument("--require", action="append", default=[], metavar="PATH",
                        help="another path git must ignore (repeatable); --fix appends it with glob characters escaped")
    args = parser.parse_args(argv)

    from crypto_key_guard.policy.config import load_config
    from crypto_key_guard.policy.datafiles import IgnoreRequirement, load_gitignore_requirements
    from crypto_key_guard.util.git import git_toplevel

    top = git_toplevel(".")
    if top is None:
        return fail_usage(PROG, UsageError("not inside a git repository (run it from your repository)"))
    try:
        required, templates = load_gitignore_requirements()
        configured = load_config(Path(top)).section("gitignore")["require"]  # gitignore.require
    except UsageError as exc:
        return fail_usage(PROG, exc)
    try:
        for path in configured + args.require:
            check_required_path(path)
    except UsageError as exc:
        return fail_usage(PROG, exc)
    required += [IgnoreRequirement(p, gitignore_entry(p)) for p in configured + args.require]
    try:
        ignored = ignored_paths(top, [r.path for r in required] + templates)
        missing = [r for r in required if r.path not in ignored]
        if not missing:
            return EXIT_CLEAN
        for r in missing:
            print(f".gitignore: gitignore-enforcer '{r.path}' is not ignored by git; add '{r.entry}'"
                  + ("" if args.fix else " (or run gitignore-enforcer --fix)"))
        if not args.fix:
            return EXIT_FINDINGS
        target = os.path.join(top, ".gitignore")
        if os.path.islink(target):
            # git (2.32+) does not read a .gitignore that is a link, so nothing written through it takes effect;
            # and a link may point at .git/config or a hook
            raise UsageError(".gitignore is a symbolic link, which git does not read (and --fix never writes "
                             "through a link); replace it with a regular file (e.g. `cp --remove-destination "
                             "\"$(readlink -f .gitignore)\" .gitignore`), then run --fix again")
        if os.path.isdir(target):
            raise UsageError(".gitignore is a directory")
        entries = list(dict.fromkeys(r.entry for r in missing))
        # templates (.env.example) that were committable must stay so after a broad entry like `.env.*`
        newly_hidden = [t for t in templates if t not in ignored]
        original, mode = read_original(target)
        atomic_write(target, with_entries(original, entries), mode, root=top)
        now_ignored = ignored_paths(top, [r.path for r in required] + newly_hidden)
        restore = [f"!{t}" for t in newly_hidden if t in now_ignored]
        if restore:
            atomic_write(target, with_entries(original, entries + restore), mode, root=top)
        still = [r.path for r in required if r.path not in now_ignored]
    except (UsageError, OSError) as exc:
        return fail_usage(PROG, exc)
    print(f"gitignore-enforcer: appended {', '.join(entries + restore)} to .gitignore; review and stage it "
          "(git add .gitignore).")
    if still:
        print(f"gitignore-enforcer: still not ignored after --fix (a later negation or a nested .gitignore "
              f"re-includes them): {', '.join(still)}", file=sys.stderr)
    return EXIT_FINDINGS


if __name__ == "__main__":
    raise SystemExit(main())
