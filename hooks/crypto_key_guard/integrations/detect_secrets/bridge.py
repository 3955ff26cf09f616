"""Our rules as detect-secrets plugins: one plugin class per rule family, generated from the YAML rules.

detect-secrets asks a plugin about one line at a time; our rules need context (a section header, the ccxt
constructor a few lines up) and some secrets span lines (PEM blocks, a mnemonic one word per line). So a
plugin does not match lines itself: the first time it is asked about a file, the engine scans the whole file
once (the same Scanner `crypto-key-patterns` uses), the accepted matches are indexed by the line they start
on, and every plugin class then answers for its own family from that index. A multi-line secret is reported
on its first line. Without a readable file (`detect-secrets scan --string`, a diff) the plugin scans the line
with the lines detect-secrets gives as context.

Baseline ids: `secret_type` is "<family label> (crypto-key-guard)", derived from the rule's `family` only, so
rewording a description never invalidates a baseline. The class name (stored in `plugins_used`) is
"CryptoKeyGuard<Family>Detector".

UUIDs: detect-secrets drops every value that contains a UUID (`is_potential_uuid`), from every plugin, and a
plain `detect-secrets scan` cannot turn that off for one plugin. So a value that contains a UUID is handed to
detect-secrets in a normalised form: each UUID written without its hyphens
(`1b4e28ba-2fa1-11d2-883f-0016d3cca427` -> `1b4e28ba2fa111d2883f0016d3cca427`). The baseline stores the hash
of that form; it is the same with the plain CLI and with `detect-exchange-secrets`, so baselines stay stable.

This module imports detect-secrets; the plugin file (detect_secrets_plugin.py) and the detect-exchange-secrets
hook import it, nothing on the crypto-key-patterns path does.
"""
from __future__ import annotations

import bisect
import os
import re
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Dict, Iterator, List, Optional, Tuple, Type

from detect_secrets.core.potential_secret import PotentialSecret
from detect_secrets.plugins.base import RegexBasedDetector

from crypto_key_guard.integrations.detect_secrets.plugin_path import plugin_file  # noqa: F401  (re-exported for the hook)
from crypto_key_guard.engine.scanner import SNIFF_BYTES, Scanner, sniff_encoding, to_utf8
from crypto_key_guard.errors import ConfigError
from crypto_key_guard.engine.rules import Rule, default_rules

TYPE_SUFFIX = " (crypto-key-guard)"
CLASS_PREFIX = "CryptoKeyGuard"
CLASS_SUFFIX = "Detector"

# The shape detect-secrets' is_potential_uuid looks for (8-4-4-4-12 hex, any case). Not a rule: it only
# decides which values get the documented normalised form.
_UUID = re.compile(r"[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}", re.IGNORECASE)
_NEWLINE = re.compile(rb"\r\n|\r|\n")   # Python's universal newlines: how detect-secrets numbers lines
_FILE_CACHE_SIZE = 8


def normalise(value: str) -> str:
    """The form a value is reported in: UUIDs inside it lose their hyphens (see the module docstring)."""
    while _UUID.search(value):  # removing hyphens cannot create a new match, but loop to be sure
        value = _UUID.sub(lambda m: m.group(0).replace("-", ""), value)
    return value


def is_our_type(secret_type: str) -> bool:
    return secret_type.endswith(TYPE_SUFFIX)


# -- names ------------------------------------------------------------------------------------------------
def family_of(rule: Rule) -> str:
    """The family a rule reports under; rules without one get their exchange or their id."""
    return rule.family or rule.exchange or rule.id


def family_label(family: str, rules: List[Rule]) -> str:
    """Binance API credential, QuickNode credential (a service: its name as written), Private Key."""
    kinds = {r.kind for r in rules}
    if kinds == {"exchange"}:
        return f"{family} API credential"
    if kinds == {"infrastructure"}:
        return f"{family} credential"
    # a kind of secret rather than a service: CamelCase reads as words (PrivateKey -> Private Key)
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", family)


def class_name(family: str) -> str:
    parts = re.split(r"[^A-Za-z0-9]+", family)
    return CLASS_PREFIX + "".join(p[:1].upper() + p[1:] for p in parts if p) + CLASS_SUFFIX


# -- the engine's view of a file ---------------------------------------------------------------------------
@dataclass
class _FileIndex:
    key: Tuple[int, int, int]                   # (mtime_ns, size, inode): a changed file is scanned again
    data: bytes                                 # the file as UTF-8 (what the rules ran on)
    starts: List[int]                           # byte offset of each line (universal newlines)
    by_line: Dict[int, List[Tuple[str, str]]]   # line number -> [(family, raw value)]

    def line_text(self, number: int) -> Optional[str]:
        if not 1 <= number <= len(self.starts):
            return None
        end = self.starts[number] if number < len(self.starts) else len(self.data)
        return self.data[self.starts[number - 1]: end].decode("utf-8", "replace").rstrip()


def _line_starts(data: bytes) -> List[int]:
    return [0] + [m.end() for m in _NEWLINE.finditer(data)]


class _Engine:
    """One Scanner over the built-in rules, and the last few files it indexed."""

    def __init__(self) -> None:
        self.scanner = Scanner(default_rules())
        self.files: "OrderedDict[str, _FileIndex]" = OrderedDict()
        self.last: Tuple[Optional[str], Optional[_FileIndex]] = (None, None)

    def index_for(self, filename: str, line_number: int) -> Optional[_FileIndex]:
        # detect-secrets walks a file from line 1, one plugin after another: stat on a new file or a new pass
        if line_number > 1 and filename == self.last[0]:
            return self.last[1]
        cached = self.files.get(filename)
        try:
            st = os.stat(filename)
        except (OSError, ValueError):
            return None
        key = (st.st_mtime_ns, st.st_size, st.st_ino)
        if cached is not None and cached.key == key:
            self.files.move_to_end(filename)
            self.last = (filename, cached)
            return cached
        try:
            with open(filename, "rb") as fh:
                content = fh.read()
        except OSError:
            return None
        encoding = sniff_encoding(content[:SNIFF_BYTES])
        data = b"" if encoding is None else to_utf8(content, encoding)
        starts = _line_starts(data)
        by_line: Dict[int, List[Tuple[str, str]]] = {}
        for m in self.scanner.iter_matches(data, filename) if data else ():
            number = bisect.bisect_right(starts, m.start)
            by_line.setdefault(number, []).append((family_of(m.rule), m.value))
        index = _FileIndex(key, data, starts, by_line)
        self.files[filename] = index
        self.last = (filename, index)
        while len(self.files) > _FILE_CACHE_SIZE:
            self.files.popitem(last=False)
        return index

    def values_in_text(self, text: str, family: str, from_offset: int = 0, path: str = "") -> Iterator[str]:
        data = text.encode("utf-8", "surrogatepass")
        start_byte = len(text[:from_offset].encode("utf-8", "surrogatepass"))
        for m in self.scanner.iter_matches(data, path):
            if m.start >= start_byte and family_of(m.rule) == family:
                yield m.value

    def values_for_line(self, family: str, filename: str, line: str, line_number: int,
                        context: Any = None) -> List[str]:
        # called for every line and every family: the common case (nothing on this line) must be cheap
        index = self.index_for(filename, line_number) if filename and line_number > 0 else None
        if index is not None:
            found = [v for fam, v in index.by_line.get(line_number, ()) if fam == family]
            if not found or index.line_text(line_number) == line.rstrip():
                return found
            # a transformed line (detect-secrets' YAML transformer keeps line numbers, rewrites the text):
            # keep the values whose first line is on it
            return [v for v in found if _first_line(v) in line]
        # no file to read: scan the line after the lines detect-secrets shows before it
        before = list(getattr(context, "lines", [])[: getattr(context, "target_index", 0)]) if context else []
        prefix = "".join(b + "\n" for b in before)
        return list(self.values_in_text(prefix + line, family, len(prefix), filename or ""))


def _first_line(value: str) -> str:
    return value.replace("\r", "\n").split("\n", 1)[0]


_ENGINE: Optional[_Engine] = None


def engine() -> _Engine:
    global _ENGINE
    if _ENGINE is None:
        _ENGINE = _Engine()
    return _ENGINE


def forget_files() -> None:
    """Drop the per-file index (a long-lived process scanning again: files may have changed in place)."""
    if _ENGINE is not None:
        _ENGINE.files.clear()
        _ENGINE.last = (None, None)


# -- the plugin classes -------------------------------------------------------------------------------------
class CryptoKeyGuardPlugin(RegexBasedDetector):
    """Base of the generated classes (abstract: detect-secrets skips it). A RegexBasedDetector because the
    detectors are regexes (in YAML); that also keeps detect-secrets' is_likely_id_string heuristic, meant
    for its keyword and entropy plugins, off our findings."""

    family: str = ""
    rule_ids: Tuple[str, ...] = ()
    denylist = ()  # matching is delegated to the engine: no regex is copied here

    def analyze_string(self, string: str) -> Iterator[str]:  # type: ignore[override]
        for value in engine().values_in_text(string, self.family):
            yield normalise(value)

    def analyze_line(self, filename: str, line: str, line_number: int = 0,  # type: ignore[override]
                     context: Any = None, **kwargs: Any) -> set:
        values = engine().values_for_line(self.family, filename, line, line_number, context)
        return {PotentialSecret(type=self.secret_type, filename=filename, secret=normalise(value),
                                line_number=line_number) for value in values} if values else set()


_CLASSES: Optional[Dict[str, Type[CryptoKeyGuardPlugin]]] = None


def plugin_classes() -> Dict[str, Type[CryptoKeyGuardPlugin]]:
    """Class name -> plugin class, one per family of the built-in rules; built once per process."""
    global _CLASSES
    if _CLASSES is None:
        families: "OrderedDict[str, List[Rule]]" = OrderedDict()
        for rule in default_rules().rules:
            families.setdefault(family_of(rule), []).append(rule)
        classes: Dict[str, Type[CryptoKeyGuardPlugin]] = {}
        types: Dict[str, str] = {}
        for family, rules in families.items():
            name = class_name(family)
            secret_type = family_label(family, rules) + TYPE_SUFFIX
            if name in classes or secret_type in types:
                raise ConfigError(rules[0].source, f"family {family!r} gives a detect-secrets plugin name or "
                                  f"secret type that another family already has", rules[0].id)
            types[secret_type] = family
            classes[name] = type(name, (CryptoKeyGuardPlugin,), {
                "secret_type": secret_type,
                "family": family,
                "rule_ids": tuple(r.id for r in rules),
                "__module__": __name__,
                "__doc__": f"crypto-key-guard rules {', '.join(r.id for r in rules)}",
            })
        _CLASSES = classes
    return _CLASSES


def remediation_for(secret_type: str) -> str:
    """What to do about a finding of one of our types: the first remediation text of its family's rules."""
    for cls in plugin_classes().values():
        if cls.secret_type == secret_type:
            for rule_id in cls.rule_ids:
                text = default_rules().by_id(rule_id).remediation
                if text:
                    return text
    return ""
