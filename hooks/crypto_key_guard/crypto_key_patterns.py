"""pre-commit hook: block staged files that contain exchange API keys or wallet secrets."""
from __future__ import annotations

import argparse
import sys
from typing import Sequence

from crypto_key_guard.errors import EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE, UsageError, console_main
from crypto_key_guard.policy.options import add_rule_options, fail_usage, prepare, verbose_log

PROG = "crypto-key-patterns"


@console_main
def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__)
    parser.add_argument("filenames", nargs="*", help="files to scan (pre-commit passes the staged ones)")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    # off unless the hook's `args:` turn it on: the only network use a hook can make (docs/verify.md)
    parser.add_argument("--verify", action="store_true",
                        help="ask each exchange whether a found key pair is live and what it may do (network)")
    parser.add_argument("--verify-timeout", type=float, default=10.0, metavar="SECONDS",
                        help="with --verify: timeout per request (default: 10)")
    add_rule_options(parser)
    args = parser.parse_args(argv)
    import time

    started = time.perf_counter()
    from crypto_key_guard.engine.scanner import scan_items
    from crypto_key_guard.reports.text import COMMIT_ADVICE, summary_line, write_text
    from crypto_key_guard.sources.files import named_files

    verifier = None
    try:
        session = prepare(args)
        if _pushing():  # pre-push: judge the pushed commits, not the files in the working tree
            from crypto_key_guard.commands.pre_push import run_from_pre_commit

            return run_from_pre_commit(session, PROG)
        if args.verify:
            from crypto_key_guard.integrations.verify import start

            verifier = start(args)
    except (UsageError, RuntimeError) as exc:
        return fail_usage(PROG, exc)
    filenames = [f for f in args.filenames if not session.excluded(f)]
    items = named_files(filenames)
    result = session.filter(scan_items(session.scanner, verifier.record(items) if verifier else items,
                                       log=verbose_log(args, PROG)))
    if verifier is not None:
        verifier.apply(result, session.scanner)
    for message in result.notes + result.errors:
        print(f"{PROG}: {message}", file=sys.stderr)
    if args.format == "json":
        from crypto_key_guard.reports.json import write_json

        write_json(result.findings, result.stats, sys.stdout, result.notes + result.errors)
    else:
        write_text(result.findings, sys.stdout, advice=COMMIT_ADVICE, blocked=True)
        sys.stdout.flush()
        print(summary_line(PROG, result.stats, len(result.findings), time.perf_counter() - started), file=sys.stderr)
    if result.findings:
        return EXIT_FINDINGS if verifier is None else verifier.exit_code(result.findings, EXIT_FINDINGS)
    return EXIT_USAGE if result.errors else EXIT_CLEAN


def _pushing() -> bool:
    """pre-commit describes a push (or an explicit --from-ref/--to-ref range) in the environment."""
    import os

    env = os.environ
    return bool(env.get("PRE_COMMIT_FROM_REF") and env.get("PRE_COMMIT_TO_REF")) or \
        bool(env.get("PRE_COMMIT_REMOTE_NAME") and env.get("PRE_COMMIT_LOCAL_BRANCH"))


if __name__ == "__main__":
    raise SystemExit(main())
