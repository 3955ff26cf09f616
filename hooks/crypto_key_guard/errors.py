"""Errors the user can act on. Their messages never contain a secret."""
from __future__ import annotations

EXIT_CLEAN = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2


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
