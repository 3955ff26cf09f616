"""pre-commit hook: fail when an exchange key in the rotation log is overdue for rotation.

Reads `.key_rotation_log.json` at the repository root (or --file). Exit 0: every key within its policy, or no
log yet; 1: a key is overdue (0 with --warn-only), or the log holds something that looks like key material;
2: the log is malformed.
"""
from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path
from typing import Optional, Sequence

from crypto_key_guard.errors import EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE, UsageError, console_main
from crypto_key_guard.policy.options import fail_usage
from crypto_key_guard.policy.rotation import (LOG_NAME, ROTATION_STEPS, add_policy_options, check_file, default_log_path, describe,
                       display, evaluate, hint, policy_from_args, record_command, utc_now, withdrawal_warning)

PROG = "key-rotation-check"


@console_main
def main(argv: Sequence[str] | None = None, *, now: Optional[datetime] = None) -> int:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--file", metavar="FILE",
                        help=f"the rotation log (default: {LOG_NAME} at the repository root); must exist")
    parser.add_argument("--warn-only", action="store_true",
                        help="report overdue keys but exit 0 (a secret in the log still fails)")
    add_policy_options(parser)
    args = parser.parse_args(argv)
    now = now or utc_now()  # the system clock, so a shifted clock (faketime) shifts the check
    try:
        path = Path(args.file) if args.file else default_log_path()
        policy = policy_from_args(args)  # the command line over the project configuration
        checked = check_file(path, now)
    except UsageError as exc:
        return fail_usage(PROG, exc)
    if checked is None:
        if args.file:  # an explicit path that does not exist is a typo that would silence the check for good
            return fail_usage(PROG, UsageError(f"{display(path)}: no such file"))
        print(f"{PROG}: {hint(path)}")
        return EXIT_CLEAN

    if checked.secrets:
        # Exit 1, like any finding: the hook ran fine and found key material that must not be committed.
        # --warn-only does not soften it: it is about dates, not leaks.
        for message in checked.secrets:
            print(f"{PROG}: {message}")
        print(f"{PROG}: the rotation log holds key names, permission levels and dates only: remove the value, and "
              "rotate that key (it has been written to disk, and maybe committed)")
        return EXIT_FINDINGS
    if checked.errors:
        for message in checked.errors:
            print(f"{PROG}: error: {message}", file=sys.stderr)
        return EXIT_USAGE

    statuses = evaluate(checked.entries, policy, now)
    overdue = [s for s in statuses if s.overdue]
    for s in overdue:
        print(f"{PROG}: {display(path)}: {describe(s)}: overdue")
        print(f"    then: {record_command(s.entry.name, s.entry.level, args.file)}")
    if overdue:
        print(f"{PROG}: to rotate a key: {ROTATION_STEPS}.")
    for s in statuses:
        if s.state == "due soon":
            print(f"{PROG}: note: {describe(s)}: due soon")
    for s in statuses:
        if s.entry.level == "withdrawal":
            print(f"{PROG}: {withdrawal_warning(s.entry.name)}")
    if not overdue:
        print(f"{PROG}: {len(statuses)} key(s) in {display(path)}, none overdue")
        return EXIT_CLEAN
    return EXIT_CLEAN if args.warn_only else EXIT_FINDINGS


if __name__ == "__main__":
    raise SystemExit(main())
