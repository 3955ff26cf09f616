"""pre-commit hook: block staged files that contain exchange API keys or wallet secrets."""
from __future__ import annotations

import argparse
import sys

from crypto_key_guard.errors import EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE, UsageError
from crypto_key_guard.policy.options import HelpFormatter, add_rule_options, fail_usage, prepare, verbose_log

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Sequence

PROG = "crypto-key-patterns"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__, formatter_class=HelpFormatter)
    parser.add_argument("filenames", nargs="*", help="files to scan (pre-commit passes the staged ones)")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    add_rule_options(parser)
    args = parser.parse_args(argv)

    from crypto_key_guard.engine.scanner import scan_items
    from crypto_key_guard.reports.text import write_text
    from crypto_key_guard.sources.files import named_files

    try:
        session = prepare(args)
    except UsageError as exc:
        return fail_usage(PROG, exc)
    filenames = [f for f in args.filenames if not session.excluded(f)]
    result = session.filter(scan_items(session.scanner, named_files(filenames), log=verbose_log(args, PROG)))
    for message in result.notes + result.errors:
        print(f"{PROG}: {message}", file=sys.stderr)
    if args.format == "json":
        from crypto_key_guard.reports.json import write_json

        write_json(result.findings, result.stats, sys.stdout, result.notes + result.errors)
    else:
        write_text(result.findings, sys.stdout)
    if result.findings:
        return EXIT_FINDINGS
    return EXIT_USAGE if result.errors else EXIT_CLEAN


if __name__ == "__main__":
    raise SystemExit(main())
