"""Command-line options shared by every command that scans, so hooks and `scan` accept the same flags."""
from __future__ import annotations

import argparse
import sys
from typing import Sequence

from .errors import EXIT_USAGE, UsageError


def add_rule_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--patterns", action="append", default=[], metavar="FILE",
                        help="an extra YAML pattern file (repeatable); same shape as the built-in ones")
    parser.add_argument("--disable", action="append", default=[], metavar="RULE_ID",
                        help="turn off a rule by id (repeatable)")
    parser.add_argument("--min-confidence", choices=("low", "medium", "high"), default="low",
                        help="report only findings at least this sure (default: low, i.e. all)")
    parser.add_argument("--include-public-test-keys", action="store_true",
                        help="also report well-known public test keys (hardhat accounts, spec test vectors)")


def build_scanner(args: argparse.Namespace):
    from .engine import Scanner
    from .rules import default_rules, load_rules

    if args.patterns or args.disable:
        ruleset = load_rules(args.patterns, args.disable)
    else:
        ruleset = default_rules()
    return Scanner(ruleset, min_confidence=args.min_confidence,
                   include_public_test_keys=getattr(args, "include_public_test_keys", False))


def fail_usage(prog: str, error: Exception) -> int:
    print(f"{prog}: error: {error}", file=sys.stderr)
    return EXIT_USAGE


def split_argv(argv: Sequence[str] | None) -> list[str]:
    return list(sys.argv[1:] if argv is None else argv)


__all__ = ["add_rule_options", "build_scanner", "fail_usage", "split_argv", "UsageError"]
