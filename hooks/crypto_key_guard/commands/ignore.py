"""crypto-key-guard ignore: accept findings by fingerprint (`add`), find stale entries (`check`), rewrite an old
ignore file's unsalted fingerprints (`migrate`)."""
from __future__ import annotations

import argparse
import datetime as dt
import os
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
    migrate = sub.add_parser("migrate", help="rewrite old unsalted fingerprints with this repository's salt")
    migrate.add_argument("paths", nargs="*", default=[],
                         help="where the accepted secrets are (default: .); entries found nowhere are commented out")
    add_rule_options(migrate)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from crypto_key_guard.engine.scanner import SEVERITY_ORDER
    from crypto_key_guard.util.fs import atomic_write
    from crypto_key_guard.engine.findings import Fingerprinter
    from crypto_key_guard.policy.ignorefile import new_header, new_salt, render_entries, unused_entries
    from crypto_key_guard.commands.scan import scan_paths as scan_roots  # the same roots, names and excludes as `scan`

    args.staged = False
    try:
        session = prepare(args, args.paths[0] if len(args.paths) == 1 else ".")
        ignore_path = session.config.path(session.config.get("ignore_file"))
        if args.action == "migrate":
            return _migrate(args, session, ignore_path)
        if args.action == "add" and session.ignore.legacy:
            raise UsageError(f"{ignore_path}: holds old unsalted fingerprints; run `crypto-key-guard ignore "
                             "migrate` first")
        salt = session.ignore.salt
        if args.action == "add" and not salt:  # a new ignore file: its fingerprints are keyed by a fresh salt
            salt = new_salt()
            session.scanner.fingerprint = Fingerprinter(salt)
        # scanned like `scan` (same roots, excludes and rules), but before the ignore file is applied
        found = [(f, session.relative(f.file)) for f in scan_roots(args, session).findings]
    except (UsageError, RuntimeError) as exc:
        return fail_usage(PROG, exc)

    if args.action == "check":
        if session.ignore.legacy:  # every entry looks stale only because it has the old form
            from crypto_key_guard.policy.ignorefile import legacy_message

            print(legacy_message(str(ignore_path), len(session.ignore)))
            return EXIT_FINDINGS
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
        existing = ignore_path.read_bytes() if os.path.lexists(ignore_path) else new_header(salt).encode()
        if not session.ignore.salt and os.path.lexists(ignore_path):  # a file with comments only: salt it now
            existing = new_header(salt).encode() + existing
        if existing and not existing.endswith(b"\n"):
            existing += b"\n"
        note = args.note or f"accepted {dt.date.today().isoformat()}"
        atomic_write(ignore_path, existing + render_entries(unique, note, args.with_path).encode("utf-8"),
                     root=session.config.root)
    except OSError as exc:
        return fail_usage(PROG, UsageError(f"{ignore_path}: cannot write ({exc.strerror or exc})"))
    print(f"added {len(unique)} entr{'y' if len(unique) == 1 else 'ies'} to {ignore_path}; review and commit it")
    return EXIT_CLEAN


def _migrate(args: argparse.Namespace, session, ignore_path) -> int:
    """Rewrite v1 (sha256 of rule and secret) entries: each current finding is fingerprinted both ways, so an entry
    whose secret is still found gets its salted fingerprint; one found nowhere is commented out."""
    from crypto_key_guard.engine.findings import Fingerprinter, secret_hash
    from crypto_key_guard.policy.ignorefile import migrate_text, new_salt
    from crypto_key_guard.util.fs import atomic_write, read_regular_file
    from crypto_key_guard.commands.scan import scan_paths

    if session.ignore.salt:
        print(f"{ignore_path}: already uses this repository's salt; nothing to migrate")
        return EXIT_CLEAN
    if not os.path.lexists(ignore_path):
        print(f"{ignore_path}: no ignore file; nothing to migrate")
        return EXIT_CLEAN
    salt = new_salt()
    scanner = session.scanner
    scanner.fingerprint = secret_hash
    old = scan_paths(args, session).findings
    scanner.fingerprint = Fingerprinter(salt)
    new = {(f.file, f.line, f.column, f.rule): f.fingerprint for f in scan_paths(args, session).findings}
    renamed = {(f.rule, f.fingerprint): new[(f.file, f.line, f.column, f.rule)] for f in old
               if (f.file, f.line, f.column, f.rule) in new}
    try:
        text = read_regular_file(ignore_path).decode("utf-8-sig")
        migrated_text, migrated, dropped = migrate_text(text, salt, renamed)
        atomic_write(ignore_path, migrated_text.encode("utf-8"), root=session.config.root)
    except UnicodeDecodeError:
        return fail_usage(PROG, UsageError(f"{ignore_path}: not UTF-8 text"))
    except OSError as exc:
        return fail_usage(PROG, UsageError(f"{ignore_path}: cannot migrate ({exc.strerror or exc})"))
    print(f"{ignore_path}: {migrated} entr{'y' if migrated == 1 else 'ies'} rewritten with this repository's "
          f"fingerprint salt" + (f"; {dropped} matched no current finding and were commented out" if dropped else "")
          + "; review and commit it")
    return EXIT_CLEAN


if __name__ == "__main__":
    raise SystemExit(main())
