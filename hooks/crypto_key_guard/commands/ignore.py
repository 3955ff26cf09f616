"""crypto-key-guard ignore: accept findings by fingerprint (`add`), find stale entries (`check`)."""
from __future__ import annotations

import argparse
import datetime as dt
import sys
from typing import Sequence

from crypto_key_guard.errors import EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE, UsageError
from crypto_key_guard.policy.options import add_rule_options, fail_usage, prepare
from crypto_key_guard.util.display import printable

PROG = "crypto-key-guard ignore"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__)
    sub = parser.add_subparsers(dest="action", required=True)
    add = sub.add_parser("add", help="scan like `scan` and record every current finding as accepted")
    add.add_argument("paths", nargs="*", default=[], help="files or directories, as for `scan` (default: .)")
    add.add_argument("--yes", action="store_true", help="do not ask (required when not on a terminal)")
    add.add_argument("--with-path", action="store_true", help="limit each entry to the file it was found in")
    add.add_argument("--note", default="", help="a note written after each entry (why it is accepted)")
    add_rule_options(add)
    check = sub.add_parser("check", help="list entries that no longer match any finding (exit 1 if any)")
    check.add_argument("paths", nargs="*", default=[],
                       help="what to scan for matches (default: .; an entry for a file outside them looks stale)")
    add_rule_options(check)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from crypto_key_guard.engine.scanner import SEVERITY_ORDER
    from crypto_key_guard.util.fs import atomic_write
    from crypto_key_guard.policy.ignorefile import HEADER, render_entries, unused_entries
    from crypto_key_guard.commands.scan import scan_paths as scan_roots  # the same roots, names and excludes as `scan`

    args.staged = False
    try:
        session = prepare(args, args.paths[0] if len(args.paths) == 1 else ".")
        # scanned like `scan` (same roots, excludes and rules), but before the ignore file is applied
        found = [(f, session.relative(f.file)) for f in scan_roots(args, session).findings]
    except (UsageError, RuntimeError) as exc:
        return fail_usage(PROG, exc)
    ignore_path = session.config.path(session.config.get("ignore_file"))

    if args.action == "check":
        stale = unused_entries(session.ignore, found)
        for entry in stale:
            print(f"{ignore_path}:{entry.line}: {entry.rule}:{entry.fingerprint[:12]}… matches no finding any more; "
                  "remove the line")
        if not stale:
            print(f"{ignore_path}: every entry ({len(session.ignore)}) still matches a finding")
        return EXIT_FINDINGS if stale else EXIT_CLEAN

    # what `scan` would report: at or above the severity threshold, not accepted yet
    new = [(f, path) for f, path in found
           if SEVERITY_ORDER[f.severity] >= SEVERITY_ORDER[session.min_severity]
           and not any(e.matches(f, path) for e in session.ignore)]
    # one entry per secret (per file with --with-path): the fingerprint, not the place, is what is accepted
    unique = list({(f.rule, f.fingerprint, path if args.with_path else ""): (f, path) for f, path in new}.values())
    if not unique:
        print("nothing to add: every finding is already accepted" if found else "nothing to add: no findings")
        return EXIT_CLEAN
    for f, path in unique:
        print(f"{printable(path)}:{f.line}:{f.column}: {f.rule} (value {f.redacted})")
    if not args.yes:
        if sys.stdin is None or not sys.stdin.isatty():
            print(f"{PROG}: not on a terminal: pass --yes to accept these {len(unique)} finding(s)",
                  file=sys.stderr)
            return EXIT_USAGE
        try:
            answer = input(f"Accept these {len(unique)} finding(s) in {ignore_path.name}? [y/N] ")
        except EOFError:
            answer = ""
        if answer.strip().lower() not in ("y", "yes"):
            print("nothing written")
            return EXIT_CLEAN
    try:
        existing = ignore_path.read_bytes() if ignore_path.exists() else HEADER.encode()
        if existing and not existing.endswith(b"\n"):
            existing += b"\n"
        note = args.note or f"accepted {dt.date.today().isoformat()}"
        atomic_write(ignore_path, existing + render_entries(unique, note, args.with_path).encode("utf-8"))
    except OSError as exc:
        return fail_usage(PROG, UsageError(f"{ignore_path}: cannot write ({exc.strerror})"))
    print(f"added {len(unique)} entr{'y' if len(unique) == 1 else 'ies'} to {ignore_path}; review and commit it")
    return EXIT_CLEAN


if __name__ == "__main__":
    raise SystemExit(main())
