"""crypto-key-guard rotation: record key rotations (names, levels, dates; never a key) and show which are due."""
from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Optional, Sequence

from crypto_key_guard.errors import EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE, UsageError
from crypto_key_guard.policy.rotation import (
    DEFAULT_POLICY,
    LEVELS,
    LOG_NAME,
    PROG,
    RecordError,
    add_policy_options,
    check_file,
    default_log_path,
    display,
    evaluate,
    format_when,
    hint,
    parse_when,
    policy_from_args,
    record,
    table,
    utc_now,
    withdrawal_warning,
)
from crypto_key_guard.sources.files import printable


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description="Record key rotations and show which keys are due.")
    sub = parser.add_subparsers(dest="action", metavar="ACTION")
    sub.required = True
    rec = sub.add_parser("record", help="record that a key was rotated (today, or --date)",
                         description="Record that a key was rotated. Writes names, levels and dates only.")
    rec.add_argument("name", metavar="NAME", help="a descriptive key name, e.g. binance-trading-bot (never the key)")
    rec.add_argument("--permission", required=True, choices=LEVELS, help="what the key may do")
    rec.add_argument("--date", metavar="ISO", help="when it was rotated (ISO 8601; default: now, UTC)")
    rec.add_argument("--file", metavar="FILE", help=f"the record file (default: {LOG_NAME} at the repository root)")
    st = sub.add_parser("status", help="show every key's age, policy and due date (overdue first)",
                        description="Show every key's age, policy and due date, overdue first.")
    st.add_argument("--file", metavar="FILE", help=f"the record file (default: {LOG_NAME} at the repository root)")
    st.add_argument("--format", choices=("text", "json"), default="text")
    add_policy_options(st)
    return parser


def main(argv: Sequence[str] | None = None, *, now: Optional[datetime] = None) -> int:
    args = build_parser().parse_args(argv)
    now = now or utc_now()
    try:
        path = Path(args.file) if args.file else default_log_path()
        if args.action == "record":
            return _record(args, path, now)
        return _status(args, path, now)
    except UsageError as exc:
        for line in str(exc).splitlines():
            print(f"{PROG}: error: {line}", file=sys.stderr)
        return EXIT_USAGE


def _record(args: argparse.Namespace, path: Path, now: datetime) -> int:
    try:
        when = parse_when(args.date) if args.date else now
    except (ValueError, IndexError):
        raise RecordError(f"--date {args.date!r} is not an ISO 8601 date (like 2026-01-31 or "
                          "2026-01-31T09:00:00+00:00)") from None
    record(path, args.name, args.permission, when, now)
    due = when + timedelta(days=DEFAULT_POLICY[args.permission])
    print(f"recorded {printable(args.name)} ({args.permission}) rotated {format_when(when)} in {display(path)}; "
          f"{'already overdue' if due < now else 'next rotation due'} by {due.date().isoformat()} under the "
          "default policy")
    if args.permission == "withdrawal":
        print(withdrawal_warning(args.name))
    return EXIT_CLEAN


def _status(args: argparse.Namespace, path: Path, now: datetime) -> int:
    checked = check_file(path, now)
    if checked is None:
        if args.file:
            raise RecordError(f"{display(path)}: no such file")
        print(hint(path))
        return EXIT_CLEAN
    if checked.secrets:
        for message in checked.secrets:
            print(f"{PROG}: {message}", file=sys.stderr)
        return EXIT_FINDINGS
    if checked.errors:
        raise RecordError("\n".join(checked.errors))
    statuses = evaluate(checked.entries, policy_from_args(args), now)
    if args.format == "json":
        json.dump({"file": display(path), "now": format_when(now), "policy": policy_from_args(args), "keys": [
            {"name": s.entry.name, "permission_level": s.entry.level, "last_rotated": format_when(s.entry.last_rotated),
             "age_days": s.age_days, "policy_days": s.policy_days, "due": format_when(s.due), "state": s.state}
            for s in statuses]}, sys.stdout, indent=2, ensure_ascii=False)
        print()
        return EXIT_CLEAN
    if not statuses:
        print(f"{display(path)}: no keys recorded")
        return EXIT_CLEAN
    print(table(statuses))
    for s in statuses:
        if s.entry.level == "withdrawal":
            print(withdrawal_warning(s.entry.name))
    return EXIT_CLEAN


if __name__ == "__main__":
    raise SystemExit(main())
