"""crypto-key-guard ignore: accept findings by fingerprint (`add`), find stale entries (`check`)."""
from __future__ import annotations

import argparse
import datetime as dt
import sys
from typing import Sequence

from .errors import EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE, UsageError
from .options import add_rule_options, fail_usage, prepare

PROG = "crypto-key-guard ignore"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__)
    sub = parser.add_subparsers(dest="action", required=True)
    add = sub.add_parser("add", help="scan like `scan` and record every current finding as accepted")
    add.add_argument("paths", nargs="*", default=[])
    add.add_argument("--yes", action="store_true", help="do not ask (required when not on a terminal)")
    add.add_argument("--with-path", action="store_true", help="limit each entry to the file it was found in")
    add.add_argument("--note", default="", help="a note written after each entry (why it is accepted)")
    add_rule_options(add)
    check = sub.add_parser("check", help="list entries that no longer match any finding (exit 1 if any)")
    check.add_argument("paths", nargs="*", default=[])
    add_rule_options(check)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from .engine import scan_items
    from .fsutil import atomic_write
    from .ignorefile import HEADER, render_entries, unused_entries
    from .sources import tree_files

    args.staged = False
    try:
        session = prepare(args, args.paths[0] if len(args.paths) == 1 else ".")
        roots = args.paths or ["."]
        findings = []
        for root in roots:
            findings += scan_items(session.scanner, (i for i in tree_files(root)
                                                     if not session.excluded(i.path))).findings
    except (UsageError, RuntimeError) as exc:
        return fail_usage(PROG, exc)
    ignore_path = session.config.path(session.config.get("ignore_file"))

    if args.action == "check":
        stale = unused_entries(session.ignore, findings)
        for entry in stale:
            print(f"{ignore_path}:{entry.line}: {entry.rule}:{entry.fingerprint[:12]}… matches no finding any more; "
                  "remove the line")
        return EXIT_FINDINGS if stale else EXIT_CLEAN

    new = [f for f in findings if not any(e.matches(f) for e in session.ignore)]
    unique = list({(f.rule, f.fingerprint): f for f in new}.values())
    if not unique:
        print("nothing to add: every finding is already accepted" if findings else "nothing to add: no findings")
        return EXIT_CLEAN
    for f in unique:
        print(f"{f.file}:{f.line}:{f.column}: {f.rule} (value {f.redacted})")
    if not args.yes:
        if not sys.stdin.isatty():
            print(f"{PROG}: not on a terminal: pass --yes to accept these {len(unique)} finding(s)",
                  file=sys.stderr)
            return EXIT_USAGE
        answer = input(f"Accept these {len(unique)} finding(s) in {ignore_path.name}? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("nothing written")
            return EXIT_CLEAN
    try:
        existing = ignore_path.read_bytes() if ignore_path.exists() else HEADER.encode()
    except OSError as exc:
        return fail_usage(PROG, UsageError(f"{ignore_path}: cannot read ({exc.strerror})"))
    if existing and not existing.endswith(b"\n"):
        existing += b"\n"
    note = args.note or f"accepted {dt.date.today().isoformat()}"
    atomic_write(ignore_path, existing + render_entries(unique, note, args.with_path).encode("utf-8"))
    print(f"added {len(unique)} entr{'y' if len(unique) == 1 else 'ies'} to {ignore_path}; commit it")
    return EXIT_CLEAN


if __name__ == "__main__":
    raise SystemExit(main())
