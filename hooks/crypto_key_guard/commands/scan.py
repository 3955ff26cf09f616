"""crypto-key-guard scan: scan a tree (default), the git index (--staged) or history (--history)."""
from __future__ import annotations

import argparse
import os
import sys
from typing import Sequence

from crypto_key_guard.errors import EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE, UsageError
from crypto_key_guard.policy.options import add_rule_options, fail_usage, prepare, verbose_log
from crypto_key_guard.reports import write_report

PROG = "crypto-key-guard scan"
FORMATS = ("text", "json", "sarif", "gitlab")
STDIN = "<stdin>"  # how a scan of `-` names its one file


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__)
    parser.add_argument("paths", nargs="*", default=[],
                        help="files or directories (default: .); inside git: tracked plus untracked, not ignored; "
                             "- reads standard input")
    parser.add_argument("--staged", action="store_true", help="scan what the next commit holds (the git index)")
    parser.add_argument("--history", action="store_true",
                        help="scan every blob reachable from any ref, each unique blob once")
    parser.add_argument("--since", metavar="REV", help="with --history: only commits after REV")
    parser.add_argument("--range", metavar="A..B", dest="rev_range", help="with --history: a revision range")
    parser.add_argument("--format", choices=FORMATS, default="text")
    parser.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE instead of stdout")
    parser.add_argument("--exit-code", type=int, default=EXIT_FINDINGS, metavar="N",
                        help=f"exit code when something is found (default {EXIT_FINDINGS})")
    parser.add_argument("--jobs", "-j", type=int, default=0, metavar="N",
                        help="worker processes for a large tree or history (default 0: one per core; 1: no workers)")
    add_rule_options(parser)
    from crypto_key_guard.integrations.verify import add_arguments

    add_arguments(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    import time

    started = time.perf_counter()
    args = build_parser().parse_args(argv)
    if not 0 <= args.exit_code <= 255 or args.exit_code == EXIT_USAGE:
        return fail_usage(PROG, UsageError(f"--exit-code {args.exit_code}: use 0-255 other than {EXIT_USAGE} "
                                           "(the usage error code)"))
    try:
        start = args.paths[0] if len(args.paths) == 1 else "."
        history = bool(args.history or args.since or args.rev_range)
        if history and _bare_repository(start):
            return _history_of_bare(args, start)
        session = prepare(args, start)
        args.session = session  # the history scan applies the same filters
        scanner = session.scanner
        from crypto_key_guard.integrations.verify import start as start_verify

        args.verifier = start_verify(args)  # --verify: None unless asked
        if history:
            return run_history(args, scanner)
        result = session.filter(scan_paths(args, session))
    except (UsageError, RuntimeError) as exc:
        return fail_usage(PROG, exc)
    for message in result.notes + result.errors:
        print(f"crypto-key-guard: {message}", file=sys.stderr)
    if args.verifier is not None:
        args.verifier.apply(result, scanner)
    try:
        write_report(args.format, result, args.output, tool_args=args, blocked=args.staged)
    except UsageError as exc:
        return fail_usage(PROG, exc)
    if args.format == "text":
        from crypto_key_guard.reports.text import summary_line

        sys.stdout.flush()
        print(summary_line("crypto-key-guard", result.stats, len(result.findings), time.perf_counter() - started),
              file=sys.stderr)
    if result.findings:
        return args.exit_code if args.verifier is None else args.verifier.exit_code(result.findings, args.exit_code)
    return EXIT_USAGE if result.errors else EXIT_CLEAN


def _bare_repository(start: str) -> bool:
    import subprocess

    out = subprocess.run(["git", "rev-parse", "--is-bare-repository"], cwd=start if os.path.isdir(start) else ".",
                         capture_output=True, check=False)
    return out.returncode == 0 and out.stdout.strip() == b"true"


def _history_of_bare(args: argparse.Namespace, start: str) -> int:
    """A bare repository (a mirror, a server) has no work tree to read the configuration and ignore file from:
    they are read as committed in HEAD, as pre-receive reads them from a pushed tip."""
    import subprocess
    import tempfile

    from crypto_key_guard.commands.pre_receive import _git_dir, _session_as_committed

    git_dir = _git_dir(start if os.path.isdir(start) else ".")
    has_head = subprocess.run(["git", "rev-parse", "--verify", "-q", "HEAD^{commit}"], cwd=git_dir,
                              capture_output=True).returncode == 0
    with tempfile.TemporaryDirectory(prefix="ckg-bare-") as tmp:
        args.session = _session_as_committed(args, git_dir, "HEAD", tmp) if has_head else prepare(args, start)
        return run_history(args, args.session.scanner)


def scan_paths(args: argparse.Namespace, session):
    """The scan of `args.paths` (or the index with --staged), before the session's filters: shared by `ignore`."""
    from crypto_key_guard.engine.scanner import ScanResult, scan_items
    from crypto_key_guard.sources.files import staged_files, tree_files

    scanner = session.scanner
    verifier = getattr(args, "verifier", None)  # --verify re-reads the files holding exchange keys afterwards
    if args.staged:
        if args.paths:
            raise UsageError("--staged scans the whole index; give no paths")
        items = (i for i in staged_files(".") if not session.excluded(i.path))
        return scan_items(scanner, verifier.record(items) if verifier else items,
                          log=verbose_log(args, "crypto-key-guard"))
    if "-" in args.paths:
        if args.paths != ["-"]:
            raise UsageError("- (standard input) is scanned alone; give no other paths")
        return scan_items(scanner, iter([_stdin_item()]), log=verbose_log(args, "crypto-key-guard"))
    roots = args.paths or ["."]
    merged: ScanResult | None = None
    for root in roots:
        if not os.path.lexists(root):
            raise UsageError(f"{root}: no such file or directory")
        # every name as the user would open it from here (`scan one/file.py` reports one/file.py, in text, JSON
        # and SARIF alike), so excludes, notes, reports and --verify all see the same path
        items = (i for i in (_under(i, root) for i in tree_files(root)) if not session.excluded(i.path))
        if verifier:
            items = verifier.record(items)
        result = scan_items(scanner, items, jobs=getattr(args, "jobs", 0) or None,
                            log=verbose_log(args, "crypto-key-guard"))
        if merged is None:
            merged = result
        else:
            merged.findings += result.findings
            merged.notes += result.notes
            merged.errors += result.errors
            for k, v in result.stats.items():
                merged.stats[k] = merged.stats.get(k, 0) + v
    assert merged is not None
    return merged


def run_history(args: argparse.Namespace, scanner) -> int:
    """`scan --history`: returns the exit code (0 clean, 1 findings, 2 usage/git error)."""
    if getattr(args, "staged", False):
        raise UsageError("--history and --staged do not combine")
    paths = list(getattr(args, "paths", []) or [])
    if len(paths) > 1:
        raise UsageError("--history scans one repository; give at most one path")
    where = paths[0] if paths else "."
    if not os.path.isdir(where):
        raise UsageError(f"{where}: not a directory")
    from crypto_key_guard.sources.history import open_repo, scan_history

    repo = open_repo(where, getattr(args, "since", None), getattr(args, "rev_range", None))
    session = getattr(args, "session", None)
    result = scan_history(repo, scanner, session=session, jobs=getattr(args, "jobs", 0) or None)
    if session is not None:
        result.notes += session.vendored_notes(repo.path)
    verifier = getattr(args, "verifier", None)  # --verify: ask the exchanges about the keys found in the blobs
    if verifier is not None:
        from crypto_key_guard.integrations.verify import blob_contents

        verifier.apply(result, scanner, blob_contents(result.findings, repo.path))
    for message in result.notes + result.errors:
        print(f"crypto-key-guard: {message}", file=sys.stderr)
    fmt = getattr(args, "format", "text")
    if fmt == "text":
        from crypto_key_guard.reports.history import write_history_text

        try:
            if args.output:
                with open(args.output, "w", encoding="utf-8") as out:
                    write_history_text(result, out)
            else:
                write_history_text(result, sys.stdout)
                sys.stdout.flush()
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise UsageError(f"{args.output or 'standard output'}: cannot write the report "
                             f"({exc.strerror or exc})") from None
    else:
        write_report(fmt, result, args.output, tool_args=args)
    if result.findings and verifier is not None:
        return verifier.exit_code(result.findings, getattr(args, "exit_code", EXIT_FINDINGS))
    if result.findings:
        return getattr(args, "exit_code", EXIT_FINDINGS)
    return EXIT_USAGE if result.errors else EXIT_CLEAN


def _stdin_item():
    """Standard input as one file named <stdin>, read once when the scan opens it."""
    import io

    from crypto_key_guard.sources.files import Item

    return Item(STDIN, lambda: io.BytesIO(sys.stdin.buffer.read()))


def _under(item, root: str):
    """An item named by the root it was found under: the root itself for a file, root/name in a directory."""
    if root in (".", "", "./"):
        return item
    if os.path.isfile(root) or os.path.islink(root):
        return item._replace(path=os.path.normpath(root))
    return item._replace(path=os.path.normpath(os.path.join(root, item.path)))


if __name__ == "__main__":
    raise SystemExit(main())
