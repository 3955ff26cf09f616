"""Command-line options shared by every command that scans, so hooks and `scan` accept the same flags."""
from __future__ import annotations

import os
import sys

from crypto_key_guard.errors import EXIT_USAGE, UsageError

TYPE_CHECKING = False  # `typing` only for the type checker: its import is ~3.5 ms of a hook run
if TYPE_CHECKING:  # the hook reads a plain file list without argparse (crypto_key_patterns.py)
    from typing import Any, Sequence
    import argparse

# what add_rule_options leaves in the namespace when none of its options is given
RULE_OPTION_DEFAULTS: dict[str, Any] = {"patterns": [], "disable": [], "min_confidence": None, "min_severity": None,
                                        "include_public_test_keys": None, "verbose": False, "config": None,
                                        "scan_vendored": False}


def add_rule_options(parser: argparse.ArgumentParser, scans: bool = True) -> None:
    """The options choosing rules; `scans`: the command reads files (not `rules`), so --scan-vendored applies."""
    parser.add_argument("--patterns", action="append", default=[], metavar="FILE",
                        help="an extra YAML pattern file (repeatable); same shape as the built-in ones")
    parser.add_argument("--disable", action="append", default=[], metavar="RULE_ID",
                        help="turn off a rule by id (repeatable)")
    parser.add_argument("--min-confidence", choices=("low", "medium", "high"), default=None,
                        help="report only findings at least this sure (default: low, i.e. all)")
    parser.add_argument("--min-severity", choices=("low", "medium", "high", "critical"), default=None,
                        help="report only findings at least this severe (default: low, i.e. all)")
    parser.add_argument("--include-public-test-keys", action="store_true", default=None,
                        help="also report well-known public test keys (hardhat accounts, spec test vectors)")
    parser.add_argument("--verbose", "-v", action="store_true",
                        help="one line per file on stderr: how it was read and how many findings (never a value)")
    parser.add_argument("--config", metavar="FILE",
                        help="configuration file (default: .crypto-key-guard.yaml or pyproject.toml at the root)")
    if not scans:
        return
    parser.add_argument("--scan-vendored", action="store_true",
                        help="scan committed virtual environments, site-packages and node_modules line by line "
                             "(default: each is reported once and not scanned)")


class Session:
    """Everything a scanning command needs, from the command line over the project configuration."""
    __slots__ = ("scanner", "config", "ignore", "exclude", "min_severity", "base", "_relative", "own_files", "_own_names",
                 "vendored")

    def __init__(self, scanner: Any, config: Any, ignore: list, exclude: list[str], min_severity: str,
                 base: Any = None) -> None:
        self.scanner = scanner
        self.config = config
        self.ignore = ignore
        self.exclude = exclude
        self.min_severity = min_severity
        self.base = base  # the directory finding paths are relative to (config.finding_base); None: as they are
        self._relative: dict[str, str] = {}  # per path: a file with 50,000 findings resolves its path once
        self.own_files: frozenset[str] = frozenset()  # root-relative files never scanned (the ignore file)
        self._own_names: frozenset[str] = frozenset()
        self.vendored: Any = None  # sources.vendored.VendoredTrees: trees reported once, not scanned (None: scan them)

    def relative(self, path: str) -> str:
        """A finding path relative to the project root, as exclude and ignore globs are written."""
        from crypto_key_guard.policy.config import root_relative

        if self.base is None:
            return path
        rel = self._relative.get(path)
        if rel is None:
            rel = self._relative[path] = root_relative(path, self.base, self.config.root_dir)
        return rel

    def excluded(self, path: str) -> bool:
        if self.own_files and os.path.basename(path) in self._own_names and self.relative(path) in self.own_files:
            return True  # rule ids and hex fingerprints, which a rule may take for a passphrase
        if self.vendored is not None and self.vendored.take(path):
            return True  # a committed virtual environment or node_modules: one note for the tree
        if not self.exclude:
            return False
        from crypto_key_guard.policy.datafiles import path_matches

        return any(path_matches(self.relative(path), glob) for glob in self.exclude)

    def keep(self, finding) -> bool:
        from crypto_key_guard.engine.scanner import SEVERITY_ORDER
        from crypto_key_guard.policy.ignorefile import is_ignored

        return SEVERITY_ORDER[finding.severity] >= SEVERITY_ORDER[self.min_severity] \
            and not is_ignored(finding, self.ignore, self.relative(finding.file))

    def filter(self, result):
        """Drop findings below the severity threshold or accepted in the ignore file."""
        kept = [f for f in result.findings if self.keep(f)]
        result.stats["ignored"] = len(result.findings) - len(kept)
        result.findings = kept
        result.stats["findings"] = len(kept)
        result.notes += self.vendored_notes()
        return result

    def vendored_notes(self, repository: str | None = None) -> list[str]:
        """repository: the vendored paths were read from that repository's history (paths from its top)."""
        return self.vendored.notes(repository) if self.vendored is not None else []


def prepare(args: argparse.Namespace, start: str = ".", use_ignore_file: bool = True) -> Session:
    """Command line + project configuration -> scanner and filters. Raises UsageError/ConfigError."""
    from crypto_key_guard.engine.findings import Fingerprinter
    from crypto_key_guard.engine.rules import default_rules, load_rules
    from crypto_key_guard.engine.scanner import Scanner
    from crypto_key_guard.policy.config import finding_base, load_config, project_root_dir
    from crypto_key_guard.policy.ignorefile import IgnoreEntries, load_ignore_file

    cfg = load_config(project_root_dir(start), getattr(args, "config", None))
    patterns = [str(cfg.path(p)) for p in cfg.get("patterns")] + list(args.patterns)
    disable = list(cfg.get("disable")) + list(args.disable)
    if patterns or disable:
        from crypto_key_guard.engine.selftest import verify_examples

        ruleset = load_rules(patterns, disable, check_examples=verify_examples)
    else:
        ruleset = default_rules()
    include_public = args.include_public_test_keys if args.include_public_test_keys is not None \
        else cfg.get("include_public_test_keys")
    ignore_path = cfg.file(cfg.get("ignore_file"))
    ignore = load_ignore_file(ignore_path) if use_ignore_file else IgnoreEntries()  # its salt keys fingerprints
    if ignore.legacy:
        from crypto_key_guard.policy.ignorefile import legacy_message

        print(f"crypto-key-guard: warning: {legacy_message(ignore_path, len(ignore))}", file=sys.stderr)
    scanner = Scanner(ruleset, min_confidence=args.min_confidence or cfg.get("min_confidence"),
                      include_public_test_keys=bool(include_public), fingerprint=Fingerprinter(ignore.salt))
    scanner.containers = expand_archives
    session = Session(scanner, cfg, ignore, list(cfg.get("exclude")),
                      getattr(args, "min_severity", None) or cfg.get("min_severity"), finding_base(args, start))
    if not getattr(args, "scan_vendored", False):
        from crypto_key_guard.sources.vendored import VendoredTrees

        session.vendored = VendoredTrees()
    if session.base is not None:
        from crypto_key_guard.policy.config import root_relative

        session.own_files = frozenset({root_relative(ignore_path, cfg.root_dir, cfg.root_dir)})
        session._own_names = frozenset({os.path.basename(ignore_path)})
    return session


def expand_archives(scanner: Any, head: bytes, stream: Any, path: str) -> Any:
    """The scanner's way into archives (zip, tar, ...): imported only when a binary file is met."""
    from crypto_key_guard.sources.archives import expand

    return expand(scanner, head, stream, path)


def verbose_log(args: argparse.Namespace, prog: str):
    """The --verbose logger (stderr), or None."""
    if not getattr(args, "verbose", False):
        return None
    return lambda line: print(f"{prog}: {line}", file=sys.stderr)


def build_scanner(args: argparse.Namespace):
    return prepare(args).scanner


def fail_usage(prog: str, error: Exception) -> int:
    print(f"{prog}: error: {error}", file=sys.stderr)
    return EXIT_USAGE


def split_argv(argv: Sequence[str] | None) -> list[str]:
    return list(sys.argv[1:] if argv is None else argv)


__all__ = ["add_rule_options", "build_scanner", "prepare", "Session", "fail_usage", "split_argv", "UsageError"]
