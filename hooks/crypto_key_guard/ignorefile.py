"""`.crypto-key-guard-ignore`: accepted findings by rule id + fingerprint (a hash of the secret), never by
line number, so moving code does not invalidate an entry and merges do not conflict over line shifts.

    # <rule-id>:<fingerprint> [path-glob]  # note
    binance-api-credential:3f0c…(64 hex)  tests/fixtures/*  # test fixture, accepted 2026-11-25
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Iterable, Sequence

from .errors import ConfigError
from .findings import Finding

_ENTRY = re.compile(r"^(?P<rule>[a-z0-9][a-z0-9-]*):(?P<fp>[0-9a-f]{64})(?:\s+(?P<glob>[^#\s]+))?\s*(?:#.*)?$")
HEADER = ("# crypto-key-guard accepted findings: <rule-id>:<fingerprint> [path-glob]  # note\n"
          "# A fingerprint is a hash of the rule and the secret, not a line number. Remove an entry to re-check.\n")


@dataclass(frozen=True)
class IgnoreEntry:
    rule: str
    fingerprint: str
    glob: str | None
    line: int

    def matches(self, finding: Finding) -> bool:
        return (finding.rule == self.rule and finding.fingerprint == self.fingerprint
                and (self.glob is None or fnmatchcase(finding.file.replace("\\", "/"), self.glob)))


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


def is_ignored(finding: Finding, entries: Sequence[IgnoreEntry]) -> bool:
    return any(e.matches(finding) for e in entries)


def unused_entries(entries: Sequence[IgnoreEntry], findings: Iterable[Finding]) -> list[IgnoreEntry]:
    findings = list(findings)
    return [e for e in entries if not any(e.matches(f) for f in findings)]


def render_entries(findings: Sequence[Finding], note: str, with_path: bool) -> str:
    lines = []
    for f in findings:
        glob = f" {f.file.replace(chr(92), '/')}" if with_path else ""
        lines.append(f"{f.rule}:{f.fingerprint}{glob}  # {f.file}:{f.line} {f.redacted} {note}\n")
    return "".join(lines)
