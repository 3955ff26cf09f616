"""The scanner: bytes in, findings out. The only code that applies rules; it never prints."""
from __future__ import annotations

import codecs
import functools
import itertools
import os

from crypto_key_guard.engine.findings import Finding, Fingerprinter, redact, sha256_hex
from crypto_key_guard.engine.recognise import (  # noqa: F401  (RawMatch, context_distance: part of this API)
    AFTER_CONTEXT_RANK,
    MAX_DECODE_DEPTH,
    PAIR_WINDOW,
    RawMatch,
    Recogniser,
    context_distance,
)
from crypto_key_guard.engine.rules import Rule, RuleSet, default_rules
from crypto_key_guard.engine.validators import VALIDATORS, Candidate, is_low_diversity
from crypto_key_guard.engine.wallet_files import BDB_MAGICS, SQLITE_HEADER, binary_wallet, text_wallet

TYPE_CHECKING = False  # `typing` only for the type checker: its import is ~3.5 ms of a hook run
if TYPE_CHECKING:
    from typing import Any, Iterator, Optional

CONFIDENCE_ORDER = {"low": 0, "medium": 1, "high": 2}
SEVERITY_ORDER = {"low": 0, "medium": 1, "high": 2, "critical": 3}
ALLOW_MARKER = b"pragma: allowlist secret"
GITLEAKS_ALLOW_MARKER = b"gitleaks:allow"  # teams switching from gitleaks keep their inline allows
ALLOW_NEXTLINE_MARKER = b"pragma: allowlist nextline secret"
SNIFF_BYTES = 8192
CHUNK_BYTES = 16 << 20      # files larger than this are scanned in windows: bounded memory
CHUNK_OVERLAP = 64 << 10    # a secret with its context fits in the overlap

_BASE64_BYTES = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=")
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


# one line for each family of extraction searches (their markers): what Scanner.warm compiles
_WARM_LAYOUTS = (b"\nENV A b\n--a b\n- name: a\n  value: b\n<a>b</a>\nhttp://a:b@c\n${A:-b}\n\"ab\".parse::<A>()\n"
                 b"INSERT INTO t (a) VALUES ('b')\nx = Client('a', 'b')\na,b\n1,2\n")


def sniff_encoding(head: bytes) -> Optional[str]:
    """The text encoding of a file from its first bytes, or None for binary content.

    A NUL byte means binary (as git decides), except for UTF-16/32 text, which is full of NULs: identified
    by its BOM, or without one by NULs sitting on every other byte.
    """
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name
    if b"\0" not in head:
        return "utf-8"
    sample = head[: SNIFF_BYTES & ~3]
    if len(sample) >= 4:
        even_nuls = sample[0::2].count(0)
        odd_nuls = sample[1::2].count(0)
        half = len(sample) // 2
        if odd_nuls > 0.4 * half and even_nuls < 0.05 * half:
            return "utf-16-le"
        if even_nuls > 0.4 * half and odd_nuls < 0.05 * half:
            return "utf-16-be"
    return None


def to_utf8(data: bytes, encoding: str) -> bytes:
    """Transcode to UTF-8 bytes, the one form the rules run on. Invalid sequences never raise."""
    if encoding == "utf-8":
        return data[3:] if data.startswith(codecs.BOM_UTF8) else data
    return data.decode(encoding, "replace").lstrip("\ufeff").encode("utf-8", "replace")


MAX_VALUES_FILE = 16384  # the largest file read as a file of bare values named by the file (extract/files.py)


class Scanner:
    def __init__(self, ruleset: RuleSet | None = None, min_confidence: str = "low",
                 include_public_test_keys: bool = False, fingerprint: Fingerprinter | None = None) -> None:
        self.ruleset = ruleset or default_rules()
        self.fingerprint = fingerprint or Fingerprinter()  # (rule id, secret) -> the finding's fingerprint
        self.min_confidence = CONFIDENCE_ORDER[min_confidence]
        self.include_public_test_keys = include_public_test_keys
        self._keywords: KeywordIndex | None = None
        self._placeholders: tuple | None = None  # (the list it was built from, its combined regex or None)

    def __getstate__(self) -> dict:  # worker processes (spawn) rebuild the RE2 keyword set themselves
        return {k: v for k, v in self.__dict__.items()
                if k not in ("_keywords", "_placeholders", "_names_indexes", "_names_shapes", "_by_id", "_hints",
                             "_signer_hints")} | \
            {"_keywords": None, "_placeholders": None}

    def _active(self) -> KeywordIndex:
        index, rules = self._keywords, self.ruleset.rules
        if index is None or index.rules is not rules or index.size != len(rules):  # built once per rule list
            index = self._keywords = KeywordIndex(
                [r for r in rules if CONFIDENCE_ORDER[r.confidence] >= self.min_confidence], rules)
        return index

    def warm(self) -> None:
        """Compile what a scan uses (the keyword pass, every keyed rule, the extraction searches) by scanning a
        small sample once: worker processes forked afterwards share it instead of each compiling it again."""
        sample = b"\n".join(b"%s_key = 'value' # %s" % (k, k) for k in self._active().keywords) + _WARM_LAYOUTS
        for path in ("warm.py", "warm.env", "warm.csv"):
            self.scan_bytes(sample, path)

    # -- matching -------------------------------------------------------------------------------------------
    def iter_matches(self, data: bytes, path: str = "", depth: int = 0) -> Iterator[RawMatch]:
        """Every accepted match in a UTF-8 buffer, best rule first where rules overlap.

        `names:` rules run on the entries extracted from their keywords' regions (recognise.py); `pattern:`
        rules (PEM blocks, mnemonics, bot tokens, endpoint URLs) run their regex on their regions. A buffer that
        is base64 as a whole is decoded and scanned again (at most MAX_DECODE_DEPTH levels)."""
        found: list[RawMatch] = []
        named: list = []
        for rule, regions in self._active().plan(data, not path.lower().endswith(".ipynb")):
            if rule.value is not None:
                named.append((rule, regions))
                continue
            group = rule.group if rule.group >= 0 else rule.regex.secret_group
            for start, end in region_spans(rule.regex, data, regions or ((0, len(data)),), group):
                if start < 0 or end <= start:
                    continue
                if self._accept(rule, data, start, end, path):
                    found.append(RawMatch(rule, start, end, data[start:end].decode("utf-8", "replace"),
                                          context_distance(rule, data, start, end)))
        if named:
            Recogniser(self, data, path, depth).run(named, found)
        if depth < MAX_DECODE_DEPTH:
            self._decoded_documents(data, path, depth, found)
        if depth == 0 and path and len(data) <= MAX_VALUES_FILE:
            self._values_file(data, path, found)
        yield from _best_per_span(found)

    def _values_file(self, data: bytes, path: str, found: list) -> None:
        """A small file of bare values (kraken.key, api.txt, wallets.txt, .privateKeys.json) scanned as the entries
        its name gives them (engine/extract/files.py); findings point at the values in the file."""
        from crypto_key_guard.engine.extract.files import values_file

        named = values_file(path, data, self.ruleset.venue_words)
        if named is not None:
            for m in self.iter_matches(named.text, path, 1):
                found.append(m._replace(start=named.original(m.start), end=named.original(m.end)))

    def _decoded_documents(self, data: bytes, path: str, depth: int, found: list) -> None:
        """A document that is base64 as a whole (a base64 .env), or a base64 PEM inside a text
        (`LS0tLS1CRUdJTi...`): decoded and scanned again; findings point at the encoded text."""
        from crypto_key_guard.engine.extract.decode import decode_value, whole_document

        whole = whole_document(data)
        if whole is not None:
            start, end, decoded = whole
            for m in self.iter_matches(decoded, path, depth + 1):
                found.append(m._replace(start=start, end=end))
            return
        at = data.find(b"LS0tLS1CRUdJTi")
        while at >= 0:
            end = at
            while end < len(data) and data[end] in _BASE64_BYTES:
                end += 1
            hit = decode_value(data[at:end].decode("ascii"))
            if hit is not None:
                for m in self.iter_matches(hit[0].encode("utf-8", "surrogatepass"), path, depth + 1):
                    found.append(m._replace(start=at, end=end))
            at = data.find(b"LS0tLS1CRUdJTi", end)

    def _names_index(self, rules: list):
        """The NamesIndex of a list of names rules, built once per distinct list."""
        from crypto_key_guard.engine.recognise import NamesIndex

        cache = self.__dict__.setdefault("_names_indexes", {})
        shapes = self.__dict__.setdefault("_names_shapes", {})
        key = tuple(id(r) for r in rules)
        entry = cache.get(key)
        if entry is None or any(a is not b for a, b in zip(entry[0], rules)):
            if len(cache) > 256:
                cache.clear()
            # a view of one index over every names rule of the rule set, built once
            full = cache.get("all")
            if full is None or full[0] is not self.ruleset.rules:
                everything = [r for r in self.ruleset.rules if r.value is not None]
                full = cache["all"] = (self.ruleset.rules, NamesIndex(everything, shapes),
                                       {id(r): n for n, r in enumerate(everything)})
            positions = full[2]
            if all(id(r) in positions for r in rules):
                index = full[1].view(frozenset(positions[id(r)] for r in rules))
            else:  # rules from elsewhere than the rule set
                index = NamesIndex(rules, shapes)
            entry = cache[key] = (list(rules), index)
        return entry[1]

    def _names_hints(self) -> tuple[frozenset, frozenset]:
        """(name hints, callee hints) of every names rule that reads named entries (built once per rule list)."""
        cached = getattr(self, "_hints", None)
        if cached is None or cached[0] is not self.ruleset.rules:
            rules = [r for r in self.ruleset.rules if r.value is not None and "*" not in r.name_hints]
            cached = self._hints = (self.ruleset.rules, frozenset().union(*(r.name_hints for r in rules)),
                                    frozenset().union(*(r.callee_hints for r in rules)))
        return cached[1], cached[2]

    def _rule_by_id(self) -> dict:
        by_id = getattr(self, "_by_id", None)
        if by_id is None or by_id[0] is not self.ruleset.rules:
            by_id = self._by_id = (self.ruleset.rules, {r.id: r for r in self.ruleset.rules})
        return by_id[1]

    def _accept_value(self, rule: Rule, data: bytes, start: int, value: str, raw: bytes, path: str) -> bool:
        """The checks every match passes, given its value (a `names:` rule's value may be joined from
        concatenated pieces or decoded, so it is not always data[start:end])."""
        if rule.use_placeholders and self._is_placeholder(rule, raw, value):
            return False
        if rule.entropy_only and _in_minified_line(data, start):
            return False
        if not self.include_public_test_keys and self.ruleset.public_test_keys and \
                public_key_digest(value) in self.ruleset.public_test_keys:
            return False
        if any(a.search(raw) for a in rule.allow):
            return False
        if rule.validators:
            # the line around the value, at most 4 KiB each side: on a 50 MB minified line an unbounded
            # search/copy per candidate would make the scan quadratic
            lo = max(0, start - 4096)
            line_start = data.rfind(b"\n", lo, start) + 1 or lo
            line_end = data.find(b"\n", start, start + len(raw) + 4096)
            line = data[line_start: line_end if line_end >= 0 else min(len(data), start + len(raw) + 4096)]
            window = rule.context_window or 200
            before = data[max(0, start - window): start]
            cand = Candidate(value=value, before=before.decode("utf-8", "replace"),
                             line=line.decode("utf-8", "replace"), path=path, min_entropy=rule.min_entropy)
            if not all(VALIDATORS[name](cand) for name in rule.validators):
                return False
        return not self._allowlisted(data, start)

    def _accept(self, rule: Rule, data: bytes, start: int, end: int, path: str) -> bool:
        """A pattern rule's match: its context first, then the checks every match passes."""
        if (rule.context is not None or rule.context_after is not None) and \
                context_distance(rule, data, start, end) < 0:
            return False
        raw = data[start:end]
        return self._accept_value(rule, data, start, raw.decode("utf-8", "replace"), raw, path)

    def is_placeholder(self, value: str) -> bool:
        """True for fillers such as 'your_api_key_here', '<API_KEY>', 'xxxx', '${VAR}' (the shared list)."""
        raw = value.encode("utf-8", "replace")
        return is_low_diversity(value) or self._shared_placeholder(raw)

    def _is_placeholder(self, rule: Rule, raw: bytes, value: str) -> bool:
        if is_low_diversity(value):
            return True
        return self._shared_placeholder(raw) or any(p.search(raw) for p in rule.placeholders)

    def _shared_placeholder(self, raw: bytes) -> bool:
        """One search of the shared placeholder list combined (a search per pattern was the cost of a file with
        thousands of candidate values)."""
        placeholders = self.ruleset.placeholders
        gate = self._placeholders
        if gate is None or gate[0] is not placeholders:
            sources = [_pattern_text(p) for p in placeholders]
            gate = self._placeholders = (placeholders, _any_of(sources) if sources and all(sources) else None)
        if gate[1] is not None:
            return gate[1].search(raw) is not None
        return any(p.search(raw) for p in placeholders)

    @staticmethod
    def _allowlisted(data: bytes, start: int) -> bool:
        line_start = data.rfind(b"\n", 0, start) + 1
        line_end = data.find(b"\n", start)
        line = data[line_start: line_end if line_end >= 0 else len(data)]
        if ALLOW_MARKER in line or GITLEAKS_ALLOW_MARKER in line:
            return True
        if line_start:
            prev_start = data.rfind(b"\n", 0, line_start - 1) + 1
            return ALLOW_NEXTLINE_MARKER in data[prev_start: line_start]
        return False

    # -- findings -------------------------------------------------------------------------------------------
    def scan_bytes(self, data: bytes, path: str = "", line_offset: int = 0) -> list[Finding]:
        """Scan one decoded (UTF-8) buffer. Line numbers are 1-based, columns 1-based in characters."""
        lines = LineCounter(data)
        return [self._finding(m, data, path, line_offset, lines=lines) for m in self.iter_matches(data, path)]

    def _finding(self, m: RawMatch, data: bytes, path: str, line_offset: int, column_offset: int = 0,
                 lines: LineCounter | None = None) -> Finding:
        line = (lines or LineCounter(data)).line_of(m.start) + line_offset
        line_start = data.rfind(b"\n", 0, m.start) + 1
        column = len(data[line_start: m.start].decode("utf-8", "replace")) + 1
        if line_start == 0:  # the line began before this window
            column += column_offset
        rule = m.rule
        return Finding(
            file=path, line=line, column=column, rule=rule.id, description=rule.description,
            severity=rule.severity, confidence=rule.confidence, redacted=redact(m.value),
            fingerprint=self.fingerprint(rule.id, m.value), kind=rule.kind, remediation=rule.remediation,
            extra={"exchange": rule.exchange} if rule.exchange else {},
        )

    def scan_content(self, content: bytes, path: str = "") -> tuple[list[Finding], str]:
        """Scan raw file content. Returns findings and how it was read ('utf-8', 'utf-16-le', 'binary', ...)."""
        encoding = sniff_encoding(content[:SNIFF_BYTES])
        if encoding is None:
            return [], "binary"
        return self.scan_bytes(to_utf8(content, encoding), path), encoding

    def scan_stream(self, stream, path: str = "", chunk: int = CHUNK_BYTES,
                    overlap: int = CHUNK_OVERLAP) -> tuple[list[Finding], str]:
        """Scan a binary file object in windows: memory stays bounded for any file size.

        The file is cut into regions of `chunk` bytes; each region is scanned with `overlap` bytes of the
        file on both sides (context before a value, the rest of a value after), and reports only the
        secrets that start inside it, so every secret is reported once, with the same context as a
        whole-file scan as long as contexts and secrets are shorter than `overlap`.
        """
        head = stream.read(SNIFF_BYTES)
        encoding = sniff_encoding(head)
        if encoding is None:  # decided from the first bytes: a binary file is never read further
            return self._scan_binary(head, stream, path)
        whole_file = _whole_file_findings(head, path, self.fingerprint)  # a keystore or wallet as a whole
        if len(head) == SNIFF_BYTES and chunk + overlap > SNIFF_BYTES:
            head += stream.read(chunk + overlap - SNIFF_BYTES)
        if encoding != "utf-8":  # UTF-16/32 files are small in practice; transcode whole
            return whole_file + self.scan_bytes(to_utf8(head + stream.read(), encoding), path), encoding
        buf = to_utf8(head, "utf-8")
        more = stream.read(chunk)
        if not more:  # the common case: the whole file fits in one window
            return whole_file + self.scan_bytes(buf, path), encoding
        buf += more
        eof = False
        buf_start = 0          # offset of buf[0] in the (BOM-less) file
        lines_before = 0       # newlines before buf[0]
        column_before = 0      # characters of buf[0]'s line that lie before buf[0]
        region_start = 0
        findings: list[Finding] = whole_file
        while True:
            region_end = region_start + chunk
            while not eof and buf_start + len(buf) < region_end + overlap:
                more = stream.read(chunk)
                eof = not more
                buf += more
            w0 = max(0, region_start - overlap - buf_start)
            window = buf[w0: region_end + overlap - buf_start]
            last = eof and buf_start + len(buf) <= region_end
            line_offset = lines_before + buf.count(b"\n", 0, w0)
            column_offset = _line_chars_before(buf, w0, column_before)
            lines = LineCounter(window)
            for m in self.iter_matches(window, path):
                at = buf_start + w0 + m.start
                if at >= region_start and (last or at < region_end):
                    findings.append(self._finding(m, window, path, line_offset, column_offset, lines))
            if last:
                return findings, encoding
            region_start = region_end
            drop = region_start - overlap - buf_start
            if drop > 0:
                column_before = _line_chars_before(buf, drop, column_before)
                lines_before += buf.count(b"\n", 0, drop)
                buf = buf[drop:]
                buf_start += drop

    # set by the command that builds the scanner (policy.options.prepare): expands archives. engine/ knows
    # nothing of where bytes come from; the callable is given (scanner, head, stream, path).
    containers = None

    def _scan_binary(self, head: bytes, stream, path: str) -> tuple[list[Finding], str]:
        """A binary file: a wallet database is one finding; an archive is opened (`containers`); anything
        else is skipped unread."""
        if head[12:16] in BDB_MAGICS or head.startswith(SQLITE_HEADER):
            wallet = binary_wallet(head, path, stream.read, self.fingerprint)
            if wallet is not None:
                _skip_rest(stream)
                return [wallet], "wallet"
        elif self.containers is not None:
            expanded = self.containers(self, head, stream, path)
            if expanded is not None:
                return expanded
        _skip_rest(stream)
        return [], "binary"



def _skip_rest(stream) -> None:
    try:
        stream.seek(0, os.SEEK_END)  # the byte count in the stats is the file's size, as for text
    except (AttributeError, OSError, ValueError):  # a pipe (history's blob stream drains itself)
        pass


def _whole_file_findings(head: bytes, path: str, fingerprint) -> list[Finding]:
    """Keystore, keypair and wallet files are recognised as a whole (JSON), not by a rule's match."""
    if head.lstrip()[:1] == b"{" or head.startswith(b"QklFM"):
        found = text_wallet(head, path, fingerprint)
        return [found] if found is not None else []
    return []


class LineCounter:
    """1-based line numbers of offsets in a buffer, counted on from the last offset asked: findings come in
    order of position, so a file with many findings is read once, not once per finding."""
    __slots__ = ("data", "pos", "line")

    def __init__(self, data: bytes) -> None:
        self.data, self.pos, self.line = data, 0, 1

    def line_of(self, offset: int) -> int:
        if offset < self.pos:  # out of order: count again from the start
            self.pos, self.line = 0, 1
        self.line += self.data.count(b"\n", self.pos, offset)
        self.pos = offset
        return self.line


def _line_chars_before(buf: bytes, offset: int, column_before: int) -> int:
    """How many characters of the line holding buf[offset] lie before it (for columns in huge lines)."""
    newline = buf.rfind(b"\n", 0, offset)
    if newline >= 0:
        return len(buf[newline + 1: offset].decode("utf-8", "replace"))
    return column_before + len(buf[:offset].decode("utf-8", "replace"))


class KeywordIndex:
    """Where each rule may match in a buffer: one pass finds every keyword of every rule, and a rule's regex then
    runs only on the regions around its keywords' occurrences.

    The pass is one RE2 search over all distinct keywords, restarted one byte after each hit so that
    overlapping keywords are all seen; a keyword is found exactly where `keyword in data.lower()` would find it
    (Latin-1 mode, ASCII letters spelled as [aA] classes, every other byte literal: bytes.lower() folds only
    ASCII, while RE2's (?i) would also fold e.g. the Kelvin sign into k).

    A rule's region around a keyword reaches `span` bytes plus its context windows to each side. A shipped
    rule's keywords are the words its regex or its context requires, so a value the rule could accept lies in
    a region (limits: a match longer than its span; a value whose context is only another value's shape).
    Regions are searched with the whole buffer as context (RE2 pos/endpos: anchors and word boundaries see the
    text around them). Rules without keywords run from the first place where one search of them all finds a
    match, which most files never have.
    """

    def __init__(self, rules: list[Rule], all_rules: list[Rule] | None = None) -> None:
        from crypto_key_guard.engine import regex as rx

        self.rules = all_rules if all_rules is not None else rules
        self.size = len(self.rules)
        self.active = rules
        self.keywords = sorted({k for r in rules for k in r.keywords})
        ids = {k: i for i, k in enumerate(self.keywords)}
        self.need = [tuple(ids[k] for k in r.keywords) for r in rules]
        # a hit on the longer of two keywords that start alike is a hit on the shorter too, at the same place
        # (each keyword's prefixes looked up, shortest first = ascending ids: linear in the keywords, not square)
        self._implied = {k: tuple(ids[k[:n]] for n in range(1, len(k) + 1) if k[:n] in ids) for k in self.keywords}
        self._longest = max((len(k) for k in self.keywords), default=0)
        # keywords that count only where a word starts (xt in XT_API_KEY, not in `next`): each matched text's
        # implied keywords split into those counted anywhere and those counted at word starts. (Forms matching
        # the byte before such a keyword made RE2's DFA for the finder ~1.3 s slower to build per process.)
        word_start = _word_start_keywords(rules, self.keywords)
        self._word_start = word_start
        self._hits_of = {k: (tuple(i for i in ids if i not in word_start), tuple(i for i in ids if i in word_start))
                         for k, ids in self._implied.items()}
        self._finder = None  # without google-re2, regex.find_keywords (one stdlib search of a keyword trie)
        if self.keywords and rx.BACKEND == "re2":
            self._finder = rx.compile(b"|".join(
                b"".join(b"[%c%c]" % (c - 32, c) if 97 <= c <= 122 else rx.escape(bytes([c])) for c in k)
                for k in sorted(self.keywords, key=len, reverse=True)), latin1=True)
        # per rule: (keywords needed, bytes a match reaches before and after a keyword), None without keywords
        self._reach = [None if not need else (need, _reach_before(r), _reach_after(r) + self._longest)
                       for r, need in zip(rules, self.need)]
        self._rules_of: list[list[int]] = [[] for _ in self.keywords]  # keyword -> the rules it may start
        for n, need in enumerate(self.need):
            for i in need:
                self._rules_of[i].append(n)
        self._always = [n for n, need in enumerate(self.need) if not need]
        # names rules keyed on words any code holds (key, pk, wallet) whose value has a long run of one alphabet:
        # a region is read only when that alphabet's run, or a base64 text long enough to hold it, is near
        self._value_gates = {n: gate for n, r in enumerate(rules) if self.need[n] and (gate := _value_gate(r))}
        self._unkeyed = tuple(r for r in rules if not r.keywords and r.value is None)
        self._shaped = tuple(r for r in rules if not r.keywords and r.value is not None)
        self._gates: dict[tuple[str, ...], Any] = {}

    def positions(self, data: bytes) -> dict[int, list[int]]:
        """Offsets of every occurrence of each keyword (index into self.keywords), case-insensitively (ASCII)."""
        found: dict[int, list[int]] = {}
        if not self.keywords:
            return found
        if self._finder is None or not hasattr(self._finder, "_regexp"):  # the stdlib matcher (no google-re2)
            from crypto_key_guard.engine.regex import find_keywords

            return self._at_word_starts(find_keywords(self.keywords, data), data)
        implied = self._implied
        hits_of = self._hits_of
        native = getattr(self._finder, "_regexp", None)
        if native is None or _UNANCHORED is None:
            for at, stop in region_spans(self._finder, data, ((0, len(data)),), 0, overlapping=True):
                for i in implied[data[at: stop].lower()]:
                    found.setdefault(i, []).append(at)
            return self._at_word_starts(found, data)
        # region_spans(overlapping=True) inlined: a call per keyword hit, the hottest loop of a tree scan
        match, size, pos = native.Match, len(data), 0
        while pos <= size:
            at, stop = match(_UNANCHORED, data, pos, size)[0]
            if at < 0:
                break
            pos = at + 1
            anywhere, word_start = hits_of[data[at: stop].lower()]
            if word_start and (not at or _WORD_BREAK[data[at - 1]] or _word_starts(data, at)):
                anywhere += word_start
            for i in anywhere:
                hits = found.get(i)
                if hits is None:
                    found[i] = [at]
                else:
                    hits.append(at)
        return found

    def _at_word_starts(self, found: dict[int, list[int]], data: bytes) -> dict[int, list[int]]:
        """Drops the hits of word-start keywords that lie inside a word (xt in `next`: 91,000 of the real-world
        corpus's 200,000 keyword hits, each opening two venue rules' regions), as the RE2 loop does inline."""
        for i in self._word_start:
            hits = found.get(i)
            if hits is None:
                continue
            kept = [at for at in hits if not at or _WORD_BREAK[data[at - 1]] or _word_starts(data, at)]
            if len(kept) != len(hits):
                if kept:
                    found[i] = kept
                else:
                    del found[i]
        return found

    def present(self, data: bytes) -> set[int]:
        """Indexes (into self.keywords) of the keywords that occur in data, case-insensitively (ASCII)."""
        return set(self.positions(data))

    def plan(self, data: bytes, gated: bool = True) -> list[tuple[Rule, Optional[list[tuple[int, int]]]]]:
        """(rule, regions) for each rule that may match, in rule order; regions None means the whole buffer.
        gated=False keeps the regions of value-gated rules whose value is not near (a notebook's outputs show
        values far from the input that names them)."""
        found = self.positions(data)
        # rules without keywords (pattern rules, and names rules run around their value's shape): one search of
        # them all tells where the first can start, and in most files that none can
        first = self._first_unkeyed(data) if self._always else -1
        unkeyed = self._unkeyed_starts(data, first) if self._unkeyed and first >= 0 else {}
        size = len(data)
        candidates = set(self._always)
        for i in found:
            candidates.update(self._rules_of[i])
        plan: list[tuple[Rule, Optional[list[tuple[int, int]]]]] = []
        shared: dict[tuple, list[tuple[int, int]]] = {}  # rules with the same keywords and reach share regions
        for n in sorted(candidates):
            rule, reach = self.active[n], self._reach[n]
            if reach is None:  # no keywords
                if rule.value is not None:  # a names rule without keywords runs around its values' shape
                    regions = _shape_regions(rule, data, first) if first >= 0 else []
                    if regions:
                        plan.append((rule, regions))
                elif rule.id in unkeyed:
                    plan.append((rule, [(unkeyed[rule.id], size)]))
                continue
            regions = shared.get(reach)
            if regions is None:
                regions = shared[reach] = _regions(found, *reach, size)
            gate = self._value_gates.get(n) if gated else None
            if gate is not None and regions:
                key = (reach, gate)
                near_value = shared.get(key)
                if near_value is None:
                    near_value = shared[key] = _gated(gate, data, regions)
                if not near_value:
                    continue
                regions = near_value
            plan.append((rule, None if regions == [(0, size)] else regions))
        return plan

    def _first_unkeyed(self, data: bytes) -> int:
        """Where the first match of any rule without keywords (or of such a names rule's value shape) starts;
        -1 if none matches; 0 when they cannot be searched as one."""
        key = ("*",)
        gate = self._gates.get(key, False)
        if gate is False:
            sources = [r.pattern for r in self._unkeyed] + [_pattern_text(r.value) for r in self._shaped]
            gate = self._gates[key] = _any_of(sources) if sources and all(sources) else None
        if gate is None:
            return 0
        m = gate.search(data)
        return -1 if m is None else m.start()

    def _unkeyed_starts(self, data: bytes, pos: int = 0) -> dict[str, int]:
        """For each rule without keywords that matches somewhere in data, where its first match can start.

        One search of all such rules at once finds the leftmost place where any of them matches: no rule
        matches before it, and the rules matching there are those that match anchored there. The search then
        goes on with the rules not yet seen, so a file pays one pass for every rule that is present, plus one.
        """
        starts: dict[str, int] = {}
        remaining = self._unkeyed  # none matches before pos
        while remaining:
            key = tuple(r.id for r in remaining)
            gate = self._gates.get(key, False)
            if gate is False:
                gate = self._gates[key] = _any_of([r.pattern for r in remaining])
            if gate is None:  # RE2 could not combine them: each runs on the whole buffer
                starts.update((r.id, pos) for r in remaining)
                break
            m = gate.search(data, pos)
            if m is None:
                break
            pos = m.start()
            here = tuple(r for r in remaining if r.regex.match(data, pos) is not None) or remaining
            starts.update((r.id, pos) for r in here)
            remaining = tuple(r for r in remaining if all(r is not h for h in here))
        return starts

    def runnable(self, data: bytes) -> list[Rule]:
        """The active rules that may match in data, in rule order."""
        return [rule for rule, _ in self.plan(data)]


# bytes after which any letter starts a word: not an ASCII letter or digit (a separator, a quote, UTF-8)
_WORD_BREAK = tuple(not (48 <= c <= 57 or 65 <= c <= 90 or 97 <= c <= 122) for c in range(256))


def _word_starts(data: bytes, at: int) -> bool:
    """A keyword hit at `at`, after an ASCII letter or digit, starts a word as names are split into words
    (engine/extract/names.py): camelCase (Xt in `myXtClient`), a letter after digits or digits after a letter,
    a capitalised word after a capital run (Xt in `APIXtKey`)."""
    before, first = data[at - 1], data[at]
    if 65 <= first <= 90:
        return not 65 <= before <= 90 or (at + 1 < len(data) and 97 <= data[at + 1] <= 122)
    return (48 <= before <= 57) != (48 <= first <= 57)


def _word_start_keywords(rules: list[Rule], keywords: list[bytes]) -> frozenset:
    """Indexes of the keywords that count only where a word starts: every rule needing one says so
    (`keywords_at_word_start`), and the keyword begins each of its venue words that hold it (`team`, inside
    bitteam, keeps its every hit)."""
    ids = {k: i for i, k in enumerate(keywords)}
    word_start: set[int] = set()
    excluded: set[int] = set()
    for rule in rules:
        for keyword in rule.keywords:
            i = ids[keyword]
            text = keyword.decode("ascii", "replace")
            words = [w for w in rule.venue if text in w]
            if rule.keywords_at_word_start and words and all(w.startswith(text) and text not in w[1:]
                                                             for w in words):
                word_start.add(i)
            else:
                excluded.add(i)
    return frozenset(word_start - excluded)


GATE_AFTER = 512  # bytes after a region where a gated rule's value may still start (a list's first item)
_GATES: dict[str, Any] = {}


def _value_gate(rule: Rule) -> Any:
    """The gate of a names rule that names no venue and whose value holds a run of at least 32 characters of one
    class (`[0-9a-fA-F]{64}`, `[1-9A-HJ-NP-Za-km-z]{86,88}`): a quarter of that run (a piece of a value joined
    from literals) or a base64 text as long as the value encoded (a Kubernetes Secret's data); None otherwise."""
    import re

    if rule.value is None or rule.venue or rule.pair:
        return None
    runs = [(int(m.group(2)), m.group(1)) for m in re.finditer(r"(\[[^\]\\]+\])\{([0-9]+)(?:,[0-9]*)?\}",
                                                                _pattern_text(rule.value))]
    if not runs:
        return None
    least, alphabet = max(runs)
    if least < 32:
        return None
    # a quarter of the run: a value wrapped over three or four joined literals still shows one piece
    source = f"{alphabet}{{{max(16, least // 4)}}}|[A-Za-z0-9+/=_-]{{{(least * 4 + 2) // 3}}}"
    gate = _GATES.get(source)
    if gate is None:
        from crypto_key_guard.engine import regex as rx

        gate = _GATES[source] = rx.compile(source.encode())
    return gate


def _gated(gate: Any, data: bytes, regions: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The regions with a match of the gate within them or GATE_AFTER bytes after."""
    size = len(data)
    native = getattr(gate, "_regexp", None)
    if native is None or _UNANCHORED is None:
        return [(lo, hi) for lo, hi in regions if gate.search(data, lo, min(size, hi + GATE_AFTER)) is not None]
    match = native.Match
    return [(lo, hi) for lo, hi in regions if match(_UNANCHORED, data, lo, min(size, hi + GATE_AFTER))[0][0] >= 0]


MAX_SHAPE_REGIONS = 10000


def _shape_regions(rule: Rule, data: bytes, first: int = 0) -> list[tuple[int, int]]:
    """Regions around each place the rule's value shape occurs (at most MAX_SHAPE_REGIONS, merged); `first`: where
    the first match of any rule without keywords starts (the shape is one of them: none occurs before it)."""
    size = len(data)
    regions: list[tuple[int, int]] = []
    for n, (start, end) in enumerate(region_spans(rule.value, data, ((first, size),), 0)):
        if n >= MAX_SHAPE_REGIONS:
            break
        lo, hi = max(0, start - rule.span), min(size, end + 64)
        if regions and lo <= regions[-1][1]:
            regions[-1] = (regions[-1][0], hi)
        else:
            regions.append((lo, hi))
    return regions


# a names rule's entry is found where its name and operator are: the name holds the keyword (a venue or
# credential word), or lies within the context window of the keyword, or within PAIR_WINDOW of the paired entry
# whose name holds it (values themselves are read past the region's end)
NAMES_REACH = 160


def _reach_before(rule: Rule) -> int:
    """How far before a keyword a match may start: its own length, or a keyword in the context after it."""
    if rule.value is not None:
        return max(NAMES_REACH + (rule.context_after_window if rule.context_after is not None else 0),
                   PAIR_WINDOW + NAMES_REACH if rule.pair else 0)
    return rule.span + (rule.context_after_window if rule.context_after is not None else 0)


def _reach_after(rule: Rule) -> int:
    """How far after a keyword's start a match may end: its own length, or a keyword in the context before it."""
    if rule.value is not None:
        return max(NAMES_REACH + (rule.context_window if rule.context is not None else 0),
                   PAIR_WINDOW + NAMES_REACH if rule.pair else 0)
    return rule.span + (rule.context_window if rule.context is not None else 0)


def _regions(found: dict[int, list[int]], need: tuple[int, ...], before: int, after: int,
             size: int) -> list[tuple[int, int]]:
    """The merged regions [at - before, at + after) around every occurrence of the needed keywords ([] if none)."""
    hits = [found[i] for i in need if i in found]
    if not hits:
        return []
    if before + after >= size:
        return [(0, size)]
    starts = hits[0] if len(hits) == 1 else sorted(itertools.chain.from_iterable(hits))
    regions: list[tuple[int, int]] = []
    lo = starts[0] - before
    hi = starts[0] + after
    for at in starts:  # sorted: each region grows or a new one starts
        if at - before <= hi:
            if at + after > hi:
                hi = at + after
        else:
            regions.append((lo if lo > 0 else 0, hi if hi < size else size))
            lo, hi = at - before, at + after
    regions.append((lo if lo > 0 else 0, hi if hi < size else size))
    return regions


def region_spans(regex, data: bytes, regions, group: int,
                 overlapping: bool = False) -> Iterator[tuple[int, int]]:
    """(start, end) of `group` in each match of a compiled RE2 regex within each (pos, endpos) region of data,
    the rest of data being context; `overlapping` restarts one byte after each match start, not at its end.

    The scanner's innermost loop (a call per keyword hit): google-re2's RE2.Match is called directly, skipping
    the per-match objects of its Python wrapper, whose finditer(data, pos, endpos) gives the same spans.
    """
    regex = getattr(regex, "compiled", lambda: regex)()  # a shipped rule's LazyRegex
    native = getattr(regex, "_regexp", None)
    if native is None or _UNANCHORED is None or not hasattr(native, "Match"):  # not google-re2: public API
        def match(_anchor, text, pos, endpos):
            m = regex.search(text, pos, endpos)
            return [(-1, -1)] * (group + 1) if m is None else [m.span(i) for i in range(group + 1)]
    else:
        match = native.Match
    for pos, endpos in regions:
        while pos <= endpos:
            found = match(_UNANCHORED, data, pos, endpos)
            start, end = found[0]
            if start < 0:
                break
            yield found[group]
            pos = start + 1 if overlapping or end == start else end


def _unanchored():
    try:
        import re2

        return re2._Anchor.UNANCHORED  # type: ignore[attr-defined]
    except (ImportError, AttributeError):  # no google-re2 (engine/regex.py uses the stdlib) or a changed one
        return None


_UNANCHORED = _unanchored()


def _pattern_text(regex) -> str:
    """A compiled (or lazy) regex's source as text; "" when it has none."""
    source = getattr(regex, "pattern", "")
    return source.decode("utf-8") if isinstance(source, bytes) else source


def _any_of(patterns: list[str]):
    """One regex matching wherever any of the patterns would (capture groups made plain), or None if RE2
    cannot build it: then each rule simply runs."""
    import re

    from crypto_key_guard.engine import regex as rx

    plain = [re.sub(r"(?<!\\)\(\?P<[A-Za-z_][A-Za-z0-9_]*>", "(?:", p) for p in patterns]
    # a leading (?m) becomes a scoped (?m:...): the stdlib refuses flags in the middle of a pattern
    scoped = [re.sub(r"^\(\?([imsU]+)\)(.*)$", r"(?\1:\2)", p, flags=re.S) for p in plain]
    try:
        return rx.compile("|".join(f"(?:{p})" for p in scoped))
    except rx.RegexError:
        return None


def public_key_digest(value: str) -> str:
    """How public test keys are listed in YAML: sha256 of the value, whitespace-normalised, lower-case."""
    import re

    # separators of a phrase or word list do not matter: 'a b', 'a,b' and '"a", "b"' are one value
    normal = " ".join(re.split(r"[\s,\"'`\\]+", value.replace("\\n", " "))).strip().lower()
    if normal.startswith("0x"):
        normal = normal[2:]
    return sha256_hex(normal.encode("utf-8"))


def _in_minified_line(data: bytes, start: int) -> bool:
    """A shape-only match inside a very long line (minified bundle) is noise; named keys there still count."""
    line_start = data.rfind(b"\n", 0, start) + 1
    line_end = data.find(b"\n", start)
    return (line_end if line_end >= 0 else len(data)) - line_start > 1000


def _best_per_span(matches: list[RawMatch]) -> list[RawMatch]:
    """Where several rules matched overlapping text, keep the most specific one: highest confidence, then a rule
    tied to its venue (own name, enclosing name, context, pairing) over one that is not, then severity, then the
    nearest venue, then the longest value: CRYPTOCOMPARE_API_KEY=<64 hex> in a shell script is CryptoCompare's
    key, not an Ethereum private key, though a wallet key is the more severe finding.

    Only matches in one cluster of overlapping spans can exclude each other, so the matches are swept once in
    order of position into clusters and ranked within each: linear in the number of matches in a file (a file
    of 50,000 passwords has 50,000 clusters of one), where ranking them all against every kept match was
    quadratic."""
    def rank(item: tuple[int, RawMatch]) -> tuple:
        order, m = item
        return (-CONFIDENCE_ORDER[m.rule.confidence], m.distance < 0, -SEVERITY_ORDER[m.rule.severity],
                m.distance, -(m.end - m.start), order)
    kept: list[RawMatch] = []
    cluster: list[tuple[int, RawMatch]] = []
    cluster_end = -1
    for item in sorted(enumerate(matches), key=lambda item: item[1].start):
        if cluster and item[1].start >= cluster_end:
            kept.extend(_best_in_cluster(sorted(cluster, key=rank)))
            cluster = []
        cluster.append(item)
        cluster_end = max(cluster_end, item[1].end) if len(cluster) > 1 else item[1].end
    if cluster:
        kept.extend(_best_in_cluster(sorted(cluster, key=rank)))
    return sorted(kept, key=lambda m: m.start)


def _best_in_cluster(ranked: list[tuple[int, RawMatch]]) -> list[RawMatch]:
    """Greedy by rank: a match is kept unless it overlaps a better one already kept."""
    if len(ranked) == 1:
        return [ranked[0][1]]
    kept: list[RawMatch] = []
    for _, m in ranked:
        if not any(m.start < k.end and k.start < m.end for k in kept):
            kept.append(m)
    return kept


class ScanResult:
    __slots__ = ("findings", "stats", "notes", "errors")

    def __init__(self, findings: list[Finding], stats: dict, notes: list[str], errors: list[str]) -> None:
        self.findings = findings
        self.stats = stats
        self.notes = notes      # one-line messages about files not scanned
        self.errors = errors    # problems the user must fix (exit 2 when nothing was found)


def _scan_one(scanner: Scanner, path: str, opener) -> tuple:
    """(findings, how it was read, bytes read, None) or ([], "", 0, reason it could not be read)."""
    try:
        with opener() as stream:
            found, how = scanner.scan_stream(stream, path)
            return found, how, stream.tell(), None
    except OSError as exc:  # deleted ("gone": nothing left to leak) or made unreadable after it was listed
        return [], "gone" if isinstance(exc, FileNotFoundError) else "", 0, f"cannot read ({exc.strerror or exc})"


PARALLEL_MIN_BYTES = 8 << 20    # below this much listed content a scan is over before workers start
PARALLEL_MIN_FILES = 2000
BATCH_BYTES = 2 << 20           # work unit sent to a worker: a few files, or one big file
BATCH_FILES = 64
_WORKER_SCANNER: Scanner | None = None


def _worker_init(scanner: Scanner) -> None:
    global _WORKER_SCANNER
    _WORKER_SCANNER = scanner


def _worker_scan(batch: list[tuple[str, str]]) -> list[tuple]:
    assert _WORKER_SCANNER is not None
    return [_scan_one(_WORKER_SCANNER, path, functools.partial(open, real, "rb")) for path, real in batch]


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))  # type: ignore[attr-defined]
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def _outcomes(scanner: Scanner, items, jobs: int | None) -> Iterator[tuple]:
    """(item, outcome) for every item, in the source's order. With jobs > 1 (None: one per core) files on disk
    are scanned by worker processes once the listing holds enough work; each worker reads its files itself,
    and results come back in order, so output is the same as a serial scan's."""
    items = iter(items)
    if jobs is None:
        jobs = default_jobs()
    head: list = []
    if jobs > 1:  # decide from the start of the listing: small scans never pay for starting workers
        size = 0
        for item in items:
            head.append(item)
            size += max(0, getattr(item, "size", 0))
            if size >= PARALLEL_MIN_BYTES or len(head) >= PARALLEL_MIN_FILES:
                break
        else:
            jobs = 1
    if jobs <= 1:
        for item in itertools.chain(head, items):
            yield item, (None if item.open is None else _scan_one(scanner, item.path, item.open))
        return
    yield from _parallel_outcomes(scanner, itertools.chain(head, items), jobs)


def _batches(items) -> Iterator[list]:
    batch: list = []
    size = 0
    for item in items:
        batch.append(item)
        size += max(0, getattr(item, "size", 0))
        if size >= BATCH_BYTES or len(batch) >= BATCH_FILES:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


START_METHOD = ""  # "" = the platform's choice (tests set "spawn" to run macOS's and Windows' path here)


def _start_method() -> str:
    import sys

    # fork shares the loaded rules at no cost; elsewhere (macOS, Windows) workers unpickle the scanner
    return "fork" if sys.platform.startswith("linux") else "spawn"


def _parallel_outcomes(scanner: Scanner, items, jobs: int) -> Iterator[tuple]:
    import collections
    import multiprocessing

    method = START_METHOD or _start_method()
    if method == "fork":
        scanner.warm()
    pool = multiprocessing.get_context(method).Pool(jobs, _worker_init, (scanner,))
    try:
        pending: collections.deque = collections.deque()
        batches = _batches(items)

        def submit() -> bool:
            batch = next(batches, None)
            if batch is None:
                return False
            remote = [(i.path, i.real) for i in batch if i.open is not None and getattr(i, "real", "")]
            pending.append((batch, pool.apply_async(_worker_scan, (remote,)) if remote else None))
            return True

        for _ in range(jobs * 4):  # bounded read-ahead: memory does not grow with the tree
            if not submit():
                break
        while pending:
            batch, future = pending.popleft()
            results = iter(future.get() if future is not None else ())
            submit()
            for item in batch:
                if item.open is None:
                    yield item, None
                elif getattr(item, "real", ""):
                    yield item, next(results)
                else:  # in-memory content (the index): scanned here
                    yield item, _scan_one(scanner, item.path, item.open)
        pool.close()
    finally:
        pool.terminate()
        pool.join()


def scan_items(scanner: Scanner, items, jobs: int | None = 1, log=None) -> ScanResult:
    """Scan every item of a source; a file that cannot be read becomes a note, never an exception.

    jobs: worker processes for large sources (None: one per core; 1: scan in this process). Findings, notes
    and stats are the same whatever the number of jobs. log: called with one line per file (--verbose);
    the lines name files, encodings and counts, never a value."""
    from crypto_key_guard.util.display import printable

    log = log or (lambda line: None)

    findings: list[Finding] = []
    notes: list[str] = []
    errors: list[str] = []
    stats = {"files": 0, "files_scanned": 0, "binary_skipped": 0, "bytes": 0, "not_scanned": 0}
    for item, outcome in _outcomes(scanner, items, jobs):
        stats["files"] += 1
        if outcome is None:
            stats["not_scanned"] += 1
            (errors if item.error else notes).append(f"{printable(item.path)}: {item.skip}")
            log(f"{printable(item.path)}: not scanned ({item.skip})")
            continue
        found, how, nbytes, problem = outcome
        if problem is not None:  # listed but unreadable: not clean (exit 2 unless something was found)
            stats["not_scanned"] += 1
            if how == "gone":
                notes.append(f"{printable(item.path)}: {problem}")
            else:
                errors.append(f"{printable(item.path)}: {problem}; exclude it in the configuration to skip it")
            log(f"{printable(item.path)}: not scanned ({problem})")
            continue
        if "(stopped:" in how:  # an archive a limit stopped: say what was not scanned
            notes.append(f"{printable(item.path)}: {how}")
        stats["bytes"] += nbytes
        if how == "binary":
            stats["binary_skipped"] += 1
            log(f"{printable(item.path)}: binary, {nbytes} bytes, skipped")
            continue
        stats["files_scanned"] += 1
        findings.extend(found)
        log(f"{printable(item.path)}: {how}, {nbytes} bytes, {len(found)} finding(s)")
    stats["findings"] = len(findings)
    return ScanResult(findings, stats, notes, errors)
