"""pre-commit hook: block staged files that contain exchange API keys or wallet secrets."""
from __future__ import annotations

import sys

from crypto_key_guard.errors import EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE, UsageError, console_main
from crypto_key_guard.policy.options import RULE_OPTION_DEFAULTS, add_rule_options, fail_usage, prepare, verbose_log

TYPE_CHECKING = False  # `typing` only for the type checker: its import is ~3.5 ms of a hook run
if TYPE_CHECKING:
    from typing import Sequence
    import argparse

PROG = "crypto-key-patterns"
# the namespace of a command line that is only file names (what pre-commit passes), as build_parser() makes it
FILES_ONLY_DEFAULTS = {"format": "text", "verify": False, "verify_timeout": 10.0, **RULE_OPTION_DEFAULTS}


def build_parser() -> argparse.ArgumentParser:
    import argparse

    parser = argparse.ArgumentParser(prog=PROG, description=__doc__)
    parser.add_argument("filenames", nargs="*", help="files to scan (pre-commit passes the staged ones)")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    # off unless the hook's `args:` turn it on: the only network use a hook can make (docs/verify.md)
    parser.add_argument("--verify", action="store_true",
                        help="ask each exchange whether a found key pair is live and what it may do (network)")
    parser.add_argument("--verify-timeout", type=float, default=10.0, metavar="SECONDS",
                        help="with --verify: timeout per request (default: 10)")
    add_rule_options(parser)
    return parser


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line. One of file names only, as pre-commit passes it, is read without argparse: its import,
    the parser and its help formatter (which import shutil, gettext and locale) and the patterns it compiles cost
    8 ms CPU of a hook run on a 10-file commit (98 -> 86 ms, docs/architecture.md, start-up tricks). Anything
    that starts with '-' (an option, '-', '--') goes to argparse."""
    args = list(sys.argv[1:] if argv is None else argv)
    if any(a.startswith("-") for a in args):
        return build_parser().parse_args(args)
    from types import SimpleNamespace

    defaults = {k: list(v) if isinstance(v, list) else v for k, v in FILES_ONLY_DEFAULTS.items()}
    return SimpleNamespace(filenames=args, **defaults)  # type: ignore[return-value]


@console_main
def main(argv: Sequence[str] | None = None) -> int:
    args = parse_arguments(argv)
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


def console() -> None:
    """The console script: main(), then an exit that skips tearing the interpreter down. Freeing every module,
    rule and compiled regex one by one cost 16 ms CPU of a hook run on a 10-file commit (115 -> 97 ms,
    docs/architecture.md, start-up tricks); the output is flushed first and the hook leaves nothing running."""
    code = main()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):  # a reader gone at the last moment: main's own handling already ran
        pass
    import os

    os._exit(code)


if __name__ == "__main__":
    console()
