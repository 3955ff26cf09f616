"""`.crypto-key-guard-ignore`: accepted findings by rule id + fingerprint (a hash of the secret), never by
line number, so moving code does not invalidate an entry and merges do not conflict over line shifts.

    # <rule-id>:<fingerprint> [path-glob]  # note
    binance-api-credential:3f0c…(64 hex)  tests/fixtures/*  # test fixture, accepted 2026-11-25
"""
from __future__ import annotations

import re
from fnmatch import fnmatchcase

from crypto_key_guard.errors import ConfigError
from crypto_key_guard.engine.findings import Finding
from crypto_key_guard.util.records import record
from crypto_key_guard.util.display import printable

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: importing typing costs a hook ~5 ms per commit
    from pathlib import Path
    from typing import Iterable, Sequence

_ENTRY = re.compile(r"^(?P<rule>[a-z0-9][a-z0-9-]*):(?P<fp>[0-9a-f]{64})(?:\s+(?P<glob>[^#\s]+))?\s*(?:#.*)?$")
HEADER = ("# crypto-key-guard accepted findings: <rule-id>:<fingerprint> [path-glob]  # note\n"
          "# A fingerprint is a hash of the rule and the secret, not a line number. Remove an entry to re-check.\n")


@record
class IgnoreEntry:
    rule: str
    fingerprint: str
    glob: str | None
    line: int

    def matches(self, finding: Finding, path: str | None = None) -> bool:
        """`path`: the finding's path relative to the project root (globs are written that way)."""
        if finding.rule != self.rule or finding.fingerprint != self.fingerprint:
            return False
        return self.glob is None or fnmatchcase((path or finding.file).replace("\\", "/"), self.glob)


def load_ignore_file(path: Path) -> list[IgnoreEntry]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(str(path), f"cannot read: {exc}") from None
    entries = []
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        m = _ENTRY.match(stripped)
        if not m:
            raise ConfigError(f"{path}:{number}", "expected '<rule-id>:<64-hex fingerprint> [path-glob]  # note'")
        entries.append(IgnoreEntry(m.group("rule"), m.group("fp"), m.group("glob"), number))
    return entries


def is_ignored(finding: Finding, entries: Sequence[IgnoreEntry], path: str | None = None) -> bool:
    return any(e.matches(finding, path) for e in entries)


def unused_entries(entries: Sequence[IgnoreEntry], findings: Iterable[tuple[Finding, str]]) -> list[IgnoreEntry]:
    """Entries that match none of the (finding, root-relative path) pairs."""
    findings = list(findings)
    return [e for e in entries if not any(e.matches(f, path) for f, path in findings)]


def _glob_escape(path: str) -> str:
    """A path as a glob that matches itself: [*] for a literal *, and ? for what the line format cannot hold
    (whitespace, '#')."""
    return "".join(f"[{ch}]" if ch in "*?[" else "?" if ch.isspace() or ch == "#" else ch for ch in path)


def render_entries(findings: Sequence[tuple[Finding, str]], note: str, with_path: bool) -> str:
    """One line per (finding, root-relative path): the rule and fingerprint, the path when asked, and a
    comment naming where it was seen (redacted value only) so a reviewer knows what was accepted."""
    lines = []
    note = " ".join(note.split())  # one line, whatever was passed
    for f, path in findings:
        glob = f" {_glob_escape(path)}" if with_path else ""
        lines.append(f"{f.rule}:{f.fingerprint}{glob}  # {printable(path)}:{f.line} {f.redacted} {note}".rstrip()
                     + "\n")
    return "".join(lines)
