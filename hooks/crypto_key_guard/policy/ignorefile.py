"""`.crypto-key-guard-ignore`: accepted findings by rule id + fingerprint (a hash of the secret), never by
line number, so moving code does not invalidate an entry and merges do not conflict over line shifts.

    # <rule-id>:<fingerprint> [path-glob]  # note
    binance-api-credential:3f0c…(64 hex)  tests/fixtures/*  # test fixture, accepted 2026-11-25
"""
from __future__ import annotations

import re
from fnmatch import fnmatchcase

from crypto_key_guard.engine.findings import Finding
from crypto_key_guard.errors import ConfigError
from crypto_key_guard.util.display import printable
from crypto_key_guard.util.records import record

TYPE_CHECKING = False  # `typing` only for the type checker: its import is ~3.5 ms of a hook run
if TYPE_CHECKING:
    import os
    from typing import Iterable, Sequence

_ENTRY = re.compile(r"^(?P<rule>[a-z0-9][a-z0-9-]*):(?P<fp>[0-9a-f]{64})(?:\s+(?P<glob>[^#\s]+))?\s*(?:#.*)?$")
# the repository's fingerprint salt, on a comment line so that older versions still read the file
_SALT = re.compile(r"^#\s*fingerprint-salt:\s*(?P<salt>[0-9A-Za-z_-]{16,128})\s*$")
HEADER = ("# crypto-key-guard accepted findings: <rule-id>:<fingerprint> [path-glob]  # note\n"
          "# A fingerprint is a keyed hash of the rule and the secret, not a line number. Remove an entry to "
          "re-check.\n")
SALT_NOTE = ("# The salt below keys every fingerprint of this repository: keep it (changing it unmatches every "
             "entry).\n")


def new_salt() -> str:
    import os

    return os.urandom(16).hex()


def salt_line(salt: str) -> str:
    return f"# fingerprint-salt: {salt}\n"


def new_header(salt: str) -> str:
    """The first lines of a new ignore file, with a fresh salt."""
    return HEADER + SALT_NOTE + salt_line(salt)


class IgnoreEntries(list):
    """The entries of an ignore file, with its fingerprint salt ("" when it has none). `legacy`: the file has
    entries but no salt, so they are old unkeyed fingerprints (v1) that no longer match: migrate them."""
    salt: str = ""
    legacy: bool = False


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


def load_ignore_file(path: str | os.PathLike) -> IgnoreEntries:
    from crypto_key_guard.util.fs import read_regular_file

    entries = IgnoreEntries()
    try:
        text = read_regular_file(path).decode("utf-8-sig")
    except FileNotFoundError:
        return entries
    except OSError as exc:
        raise ConfigError(str(path), f"cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(str(path), "not UTF-8 text") from None
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        salt = _SALT.match(stripped)
        if salt:
            entries.salt = salt.group("salt")
            continue
        if not stripped or stripped.startswith("#"):
            continue
        m = _ENTRY.match(stripped)
        if not m:
            raise ConfigError(f"{path}:{number}", "expected '<rule-id>:<64-hex fingerprint> [path-glob]  # note'")
        entries.append(IgnoreEntry(m.group("rule"), m.group("fp"), m.group("glob"), number))
    entries.legacy = bool(entries) and not entries.salt
    return entries


def legacy_message(path: str, count: int) -> str:
    return (f"{path}: its {count} entr{'y' if count == 1 else 'ies'} use the old unsalted fingerprints, which could be "
            "reversed for short secrets and no longer match; run `crypto-key-guard ignore migrate` once to rewrite "
            "them with this repository's salt (notes and paths are kept), then commit the file")


def migrate_text(text: str, salt: str, renamed: dict[tuple[str, str], str]) -> tuple[str, int, int]:
    """The ignore file with a salt line and every (rule, old fingerprint) in `renamed` given its new one; entries
    no current finding matches are commented out (they would never match again). -> (text, migrated, dropped)"""
    lines = text.splitlines(keepends=True)
    out: list[str] = []
    migrated = dropped = 0
    placed = False
    for line in lines:
        stripped = line.strip()
        if not placed and not stripped.startswith("#"):
            out.append(SALT_NOTE + salt_line(salt))
            placed = True
        m = _ENTRY.match(stripped)
        if m is None:
            out.append(line)
            continue
        new = renamed.get((m.group("rule"), m.group("fp")))
        if new is None:
            dropped += 1
            out.append(f"# not migrated (no current finding has this secret; `ignore add` it again if it comes "
                       f"back): {line}")
        else:
            migrated += 1
            out.append(line.replace(m.group("fp"), new, 1))
    if not placed:
        out.append(SALT_NOTE + salt_line(salt))
    result = "".join(out)
    return (result if result.endswith("\n") else result + "\n"), migrated, dropped


def is_ignored(finding: Finding, entries: Sequence[IgnoreEntry], path: str | None = None) -> bool:
    return any(e.matches(finding, path) for e in entries)


def unused_entries(entries: Sequence[IgnoreEntry], findings: Iterable[tuple[Finding, str]]) -> list[IgnoreEntry]:
    """Entries that match none of the (finding, root-relative path) pairs."""
    findings = list(findings)
    return [e for e in entries if not any(e.matches(f, path) for f, path in findings)]


def _glob_escape(path: str) -> str:
    """A path as a glob that matches itself: [*] for a literal *, and ? for what the line format cannot hold
    (whitespace, '#', control characters, bytes of a file name that are not UTF-8)."""
    return "".join(f"[{ch}]" if ch in "*?[" else "?" if ch.isspace() or ch == "#" or not ch.isprintable() else ch
                   for ch in path)


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
