"""Errors the user can act on. Their messages never contain a secret."""
from __future__ import annotations

import sys

EXIT_CLEAN = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
# only with `scan --verify`: a found key is live (3), and may move funds: withdraw or transfer, or its venue does
# not say (4). Without --verify the codes stay 0/1/2.
EXIT_LIVE_KEY = 3
EXIT_LIVE_KEY_MOVES_FUNDS = 4


class UsageError(Exception):
    """Bad command line or environment; exit 2."""


class ConfigError(UsageError):
    """A pattern or configuration file is wrong; names the file, the rule and the reason."""

    def __init__(self, file: str, reason: str, rule: str | None = None) -> None:
        self.file = file
        self.rule = rule
        self.reason = reason
        where = f"{file}: rule {rule!r}" if rule else file
        super().__init__(f"{where}: {reason}")


def console_main(main):
    """Wrap a console script's main(argv): when the reader of its output goes away (`| head`, a closed pager),
    stop quietly instead of with a BrokenPipeError traceback, also at the final flush."""
    def run(argv=None, **kwargs):
        try:
            try:
                return main(argv, **kwargs)
            finally:  # also after argparse's SystemExit (--help): the buffered text is written here, not at exit
                sys.stdout.flush()
        except BrokenPipeError:
            import os

            try:  # what is still buffered must not fail again when the interpreter flushes at exit
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            except (OSError, ValueError, AttributeError):
                pass
            return EXIT_FINDINGS
    run.__name__, run.__doc__, run.__wrapped__ = main.__name__, main.__doc__, main
    return run
