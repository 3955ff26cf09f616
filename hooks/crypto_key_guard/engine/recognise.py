"""Step two of the engine: recognition. Entries (name, value, position) in, raw matches out.

A `names:` rule is data: which words a name must hold (venue words x credential words, in any order, any case
style, with any affixes), which callees name a positional argument, and the shape the whole value must have.
The venue is found in the entry's own name, in the names enclosing it (`exchanges.binance.secret`, a
`[binance]` section, `ccxt.binance({...})`), in the text around it (the rule's context window), or through a
paired value beside it (an OKX-shaped key next to an OKX-shaped secret). Validators, placeholders, public test
keys and the allowlist pragma then apply as to every rule.
"""
from __future__ import annotations

import bisect

from crypto_key_guard.engine.extract import Entry, enclosing_call, enclosing_names, extract, unique_entries
from crypto_key_guard.engine.extract.decode import decode_value
from crypto_key_guard.engine.extract.names import suffix_runs, tokens, words_of, written_runs
from crypto_key_guard.engine.extract.references import references
from crypto_key_guard.engine.rules import Rule
from crypto_key_guard.util.records import record

TYPE_CHECKING = False  # `typing` only for the type checker: its import is ~3.5 ms of a hook run
if TYPE_CHECKING:
    from typing import Any

AFTER_CONTEXT_RANK = 1 << 16  # context found only after a value ranks behind any found before it
PAIR_RANK = 1 << 17           # a venue known only from a paired value ranks behind a named one
PAIR_WINDOW = 400             # bytes between a value and the value it pairs with
MAX_DECODE_DEPTH = 3          # decoded values and documents are re-scanned at most this deep
MAX_VALUE = 16384
PUBLIC_NAMES = frozenset(("public", "pub", "publickey"))
# names that say only "a key": what key is said by the name they sit under (wallet.key, signer.private)
GENERIC_LEAVES = frozenset(("key", "pk", "sk", "priv", "private", "secret", "value", "hex", "raw", "seed"))
MIN_NESTED_VALUE = 32  # shorter values are not looked up under their parent's name
MAX_LABELLED_NAME = 2  # tokens of a bare name a venue label before it may complete (`infura api key = ..`)
LABEL_WINDOW = 160     # bytes of the line before a value searched for the name and its label
# trailing words of a callee that convert rather than name: PrivateKeySigner::from_str, Wallet.new
CALLEE_NOISE = frozenset(("from", "str", "new", "parse", "create", "unwrap", "of", "init", "hex", "fromhex",
                          "bytes", "to", "string", "instance"))
# the last word of an exchange SDK's client or signer whose name holds the venue (BybitClient, OkxAuth, BinanceHmac,
# BinanceApiClientFactory.newInstance, krakenex.API): its literal arguments are that venue's key and secret
CLIENT_WORDS = frozenset(("client", "api", "auth", "hmac", "rest", "restclient", "credentials", "connector",
                          "factory"))
# callees whose literal argument is a key whatever the venue, tied to it by the text around: new ApiCredentials("k",
# "s") (the .NET exchange clients), and the key of an HMAC signer (hmac.new(b"s", ..), crypto.createHmac("sha256",
# "s"), hmac.New(sha256.New, []byte("s")), new SecretKeySpec("s".getBytes(), "HmacSHA256"))
KEY_CALLEES = frozenset(("credential", "hmac", "secretkeyspec"))


@record
class RawMatch:
    """A match inside the engine. Holds the raw secret: never leaves the engine except to the plugin."""
    rule: Any
    start: int
    end: int
    value: str
    distance: int = -1  # how far the nearest context match is from the value; -1 when the rule has no context


def context_distance(rule: Rule, data: bytes, start: int, end: int) -> int:
    """Bytes between the value and the nearest context match; -1 when none is found (or the rule has none).

    `context` is searched in the window before the value (its last occurrence counts), `context_after` in the
    window after it; either is enough. Each window is searched as a text of its own (`^` in `context_after` is
    the end of the value). Where rules overlap, the nearest context ranks first: in a file that names two
    exchanges, a value is credited to the one named closest to it. A name before the value (its own variable
    name, the section it sits in) ranks ahead of any name after it, which may be the next entry's.
    """
    if rule.context is not None:
        lo = max(0, start - rule.context_window)
        last = None
        for last in rule.context.finditer(data[lo:start]):
            pass
        if last is not None:
            return start - lo - last.end()
    if rule.context_after is not None:
        m = rule.context_after.search(data[end: end + rule.context_after_window])
        if m is not None:
            return AFTER_CONTEXT_RANK + m.start()
    return -1


def merge_regions(plan, size: int) -> list[tuple[int, int]]:
    """The union of the plan's regions (None: the whole buffer), sorted and merged."""
    spans: list[tuple[int, int]] = []
    for _rule, regions in plan:
        if regions is None:
            return [(0, size)]
        spans.extend(regions)
    spans.sort()
    merged: list[tuple[int, int]] = []
    for lo, hi in spans:
        if merged and lo <= merged[-1][1]:
            if hi > merged[-1][1]:
                merged[-1] = (merged[-1][0], hi)
        else:
            merged.append((lo, hi))
    return merged


_UNICODE_ESCAPE = None


def _json_unescape(value: str) -> str:
    """`\\/` and `\\u0021` as serializers write them (PHP json_encode, .NET's escaping of punctuation)."""
    if "\\/" in value:
        value = value.replace("\\/", "/")
    if "\\u" in value:
        global _UNICODE_ESCAPE
        if _UNICODE_ESCAPE is None:
            import re

            _UNICODE_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")
        value = _UNICODE_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), value)
    return value


def ends_with_credential(rule: Rule, toks: tuple, alt: str, venues: frozenset = frozenset()) -> bool:
    """The name's last credential word is followed only by affix words, numbers and venue names (API_KEY_PROD,
    SECRET_2, API_KEY_COINEX)."""
    for name_toks in (toks, words_of(alt)[0] if alt else ()):
        for i in range(len(name_toks) - 1, -1, -1):
            if any("".join(name_toks[j:i + 1]) in rule.credential for j in range(max(0, i - 3), i + 1)):
                if all(t in rule.ends_name or t.isdigit() or t in venues for t in name_toks[i + 1:]):
                    return True
                break
    return False


class NamesIndex:
    """The `names:` rules of a plan, indexed by the words that select them: an entry is checked only against the
    rules whose credential (or callee) words its name holds."""

    def __init__(self, rules: list, shapes: dict) -> None:
        self.rules = rules
        self.shapes = []
        for rule in rules:  # compiled once per rule, shared by the indexes of every plan
            shape = shapes.get(id(rule))
            if shape is None:
                shape = shapes[id(rule)] = (rule, _lazy_fullmatch(rule.value))
            self.shapes.append(shape[1])
        self.by_word: dict[str, list[int]] = {}
        self.by_callee: dict[str, list[int]] = {}
        self.by_venue_word: dict[str, list[int]] = {}  # words that select a rule only with its venue named
        self.by_client_venue: dict[str, list[int]] = {}  # venue words: the rules a venue-named client's literal may be
        self.any_name: list[int] = []
        for n, rule in enumerate(rules):
            if rule.kind == "exchange" and rule.venue and not rule.strict:
                for word in rule.venue:
                    self.by_client_venue.setdefault(word, []).append(n)
            for word in rule.credential:
                if word == "*":
                    self.any_name.append(n)
                else:
                    self.by_word.setdefault(word, []).append(n)
            for word in rule.with_venue:
                self.by_venue_word.setdefault(word, []).append(n)
            for word in rule.callees:
                self.by_callee.setdefault(word, []).append(n)
        self.venue_named_words = frozenset(self.by_venue_word)
        self.client_rules = frozenset(n for ns in self.by_client_venue.values() for n in ns)
        self.active: frozenset | None = None  # a plan's rules, as positions in this index; None: all of them

    def view(self, active: frozenset) -> "NamesIndex":
        """This index restricted to some of its rules (a plan's), nothing rebuilt: with hundreds of venue rules,
        building an index per distinct plan was a tenth of a full scan."""
        view = object.__new__(NamesIndex)
        view.__dict__.update(self.__dict__)
        view.active = active
        return view


def _lazy_fullmatch(regex):
    """_fullmatch, compiled at the first value that reaches it: a hook run compiles only the shapes that some
    entry's name selects (15 of 32 on the benchmark's 10-file commit, ~4 ms of RE2 compiling saved)."""
    matcher = None

    def full(raw: bytes):
        nonlocal matcher
        if matcher is None:
            matcher = _fullmatch(regex)
        return matcher(raw)
    return full


def _fullmatch(regex):
    """The fastest whole-value match the regex offers (a shipped rule's LazyRegex is compiled here)."""
    compiled = getattr(regex, "compiled", None)
    regex = compiled() if compiled is not None else regex
    native = getattr(regex, "_regexp", None)
    anchor = _anchor_both()
    if native is not None and anchor is not None and regex.groups == 0:
        match = native.Match

        def full(raw: bytes):
            spans = match(anchor, raw, 0, len(raw))
            return None if spans[0][0] < 0 else spans
        return full
    return regex.fullmatch


def _anchor_both():
    try:
        import re2

        return re2._Anchor.ANCHOR_BOTH  # type: ignore[attr-defined]
    except (ImportError, AttributeError):
        return None


def _with_client_hints(scanner, callees: frozenset) -> frozenset:
    """The rules' callee hints and the client words (extraction reads the literal arguments of calls whose callee
    holds one), once per rule list."""
    cached = scanner.__dict__.get("_client_hints")
    if cached is None or cached[0] is not callees:
        cached = scanner.__dict__["_client_hints"] = (callees, callees | CLIENT_WORDS | {"secret key spec"})
    return cached[1]


def _signer_hints(scanner) -> frozenset:
    """The callee hints of the wallet rules (signers: a key reaches them through variables; an exchange client's
    variables are named api_key/secret and read by name), once per rule list."""
    cached = scanner.__dict__.get("_signer_hints")
    if cached is None or cached[0] is not scanner.ruleset.rules:
        rules = scanner.ruleset.rules
        cached = scanner.__dict__["_signer_hints"] = (
            rules, frozenset().union(*(r.callee_hints for r in rules if r.kind == "wallet" and r.value is not None)))
    return cached[1]


class Recogniser:
    """Applies the `names:` rules of one plan to the entries of one buffer."""

    def __init__(self, scanner, data: bytes, path: str, depth: int) -> None:
        self.scanner = scanner
        self.data = data
        self.path = path
        self.depth = depth
        self.not_credential: frozenset = scanner.ruleset.not_credential
        self.owner_words: frozenset = scanner.ruleset.owner_words
        self._paths: dict[int, frozenset] = {}

    def run(self, plan, found: list) -> None:
        data = self.data
        rules = [rule for rule, _ in plan]
        credential_words = frozenset().union(*(r.credential | r.with_venue for r in rules))
        has_credential_word = lambda column: not credential_words.isdisjoint(words_of(column)[1])  # noqa: E731
        named = [(r, regions) for r, regions in plan if "*" not in r.name_hints]
        anyname = [(r, regions) for r, regions in plan if "*" in r.name_hints]
        entries: list = []
        if named:
            # the hints of every names rule, so one set of compiled searches serves every file; the words of the
            # rules this file activates then choose the names read
            hints, callees = self.scanner._names_hints()
            callees = _with_client_hints(self.scanner, callees)
            words = credential_words.union(*(w for r, _ in named for _, w in r.pair))
            regions = merge_regions(named, len(data))
            entries = extract(data, regions, has_credential_word, hints, callees, words, self.path,
                              self.scanner.ruleset.venue_words)
            signers = _signer_hints(self.scanner)
            if signers and regions:  # literals that reach a signer through variables
                references(data, regions, entries, signers)
            if self.path.lower().endswith(".ipynb"):  # values a notebook's outputs show, named by their input
                from crypto_key_guard.engine.extract.notebook import notebook_outputs

                entries.extend(notebook_outputs(data))
            entries = unique_entries(entries)
        if anyname:  # rules that read every name (an env file's NAME=0x..., an explorer's key under any name)
            entries = unique_entries(entries + extract(data, merge_regions(anyname, len(data)), has_credential_word))
        self.entries = entries
        self.starts = [e.start for e in entries]
        self.index = self.scanner._names_index(rules)
        for entry in entries:
            self.recognise(entry, rules, found)

    def _name_runs(self, entry: Entry) -> frozenset:
        runs = words_of(entry.name)[1] if entry.name else frozenset()
        if entry.alt:
            runs = runs | words_of(entry.alt)[1]
        return runs

    def recognise(self, entry: Entry, rules: list, found: list, decoded: bool = False, nested: bool = False) -> None:
        value = _json_unescape(entry.value)
        if not value or len(value) > MAX_VALUE:
            return
        if value[-2:] in _ESCAPED_WHITESPACE or value[:2] in _ESCAPED_WHITESPACE:
            value = _without_escaped_whitespace(value)
        if entry.name.startswith(FRAMEWORK_PREFIXES):
            entry = _without_framework_prefix(entry)
        toks, own = words_of(entry.name) if entry.name else ((), frozenset())
        if toks and spells_name(value, entry.name):
            return
        if 0 < len(toks) <= MAX_LABELLED_NAME and entry.layout != "call":
            label = self.venue_label(entry, own)
            if label:  # `infura token = '…'`: the venue's name written before a bare credential word is part of it
                entry = Entry(f"{label}_{entry.name}", entry.value, entry.start, entry.end, entry.quote, entry.layout,
                              entry.callee, entry.alt, entry.decoded)
                toks, own = words_of(entry.name)
        excluded = not own.isdisjoint(self.not_credential)
        if excluded and not own.isdisjoint(self.owner_words) and self.owned(toks, own):
            excluded = False
        if excluded and own.isdisjoint(PUBLIC_NAMES):
            return
        # `private_key_id`, `access_key_id`: the key's identifier, unless the rule's words name ids (key_id)
        id_name = bool(toks) and toks[-1] == "id" and len(toks) > 1
        runs = self._name_runs(entry)
        callee = suffix_runs(entry.callee) | suffix_runs(entry.callee, CALLEE_NOISE) \
            if entry.callee and not entry.name else None
        raw = value.encode("utf-8", "surrogatepass")
        index = self.index
        tied = None
        if callee is not None:
            candidates = {n for w in callee if w in index.by_callee for n in index.by_callee[w]}
            if not callee.isdisjoint(CLIENT_WORDS) or "secretkeyspec" in callee:  # BybitClient("k", "s")
                venues = [w for w in words_of(entry.callee)[1] if w in index.by_client_venue]
                candidates.update(n for w in venues for n in index.by_client_venue[w])
                if not venues and not callee.isdisjoint(KEY_CALLEES):  # every venue, tied by the context
                    candidates.update(index.client_rules)
        else:
            candidates = {n for w in runs if w in index.by_word for n in index.by_word[w]}
            candidates.update(index.any_name)
            if not runs.isdisjoint(index.venue_named_words):
                tied = {n for w in runs if w in index.by_venue_word for n in index.by_venue_word[w]} - candidates
                if tied:
                    candidates |= tied
        if index.active is not None:
            candidates &= index.active
        written = None
        before = len(found)
        for n in sorted(candidates):
            rule = index.rules[n]
            if tied is not None and n in tied and not self.venue_named(rule, toks, entry.alt, runs, value):
                continue
            if rule.kind == "generic" and callee is None:
                # a name in the plural holds several values: each is a key when the rule's value has a key's
                # shape (PRIVATE_KEYS = ["0x..", ...]); a rule that takes any value reads the name as written
                # (`private_keys: ["*.pem", "id_rsa"]` lists files, `N("gh-secrets", ...)` is a collection)
                if written is None:
                    written = written_runs(entry.name) | (written_runs(entry.alt) if entry.alt else frozenset())
                if written.isdisjoint(rule.credential):
                    continue
            # BINANCE_PUBLIC_KEY: some venues call the API key their public key; elsewhere 'public' is public
            if excluded and (own.isdisjoint(rule.venue) or not (own - PUBLIC_NAMES).isdisjoint(self.not_credential)):
                continue
            if rule.layouts and entry.layout not in rule.layouts:
                continue
            if id_name and callee is None and not any(w.endswith("id") and w in own for w in rule.credential):
                continue
            if index.shapes[n](raw) is None:
                continue
            if rule.strict and not self.strict_name(rule, entry):
                continue
            if rule.ends_name and callee is None and \
                    not ends_with_credential(rule, toks, entry.alt, self.scanner.ruleset.venue_words):
                continue
            distance = self.venue_distance(rule, entry, runs)
            if distance == -2:
                continue
            if not self.scanner._accept_value(rule, self.data, entry.start, value, raw, self.path):
                continue
            found.append(RawMatch(rule, entry.start, entry.end, value, distance))
        # (a match of medium confidence only, a venue's key in no documented shape, leaves room for what the name
        # sits under: `ClobClient(host, key="0x..")` is the signer's private key)
        if not nested and callee is None and toks and len(value) >= MIN_NESTED_VALUE \
                and GENERIC_LEAVES.issuperset(toks) and all(m.rule.confidence != "high" for m in found[before:]):
            self.nested(entry, rules, found)
        if not decoded and self.depth < MAX_DECODE_DEPTH:
            self.decoded(entry, value, rules, found)

    def venue_label(self, entry: Entry, own: frozenset) -> str:
        """The venue word written just before a name that holds none, as a label on the same line (`infura token =
        '…'`, `kraken key: …`); "" when there is none. Only a venue's word counts: `export`, `var`, `String` do not."""
        venue_words = self.scanner.ruleset.venue_words
        # only a name that is one credential word (token, api_key, secret): `okx DB_PASSWORD` is the database's
        whole = "".join(words_of(entry.name)[0])
        if not own.isdisjoint(venue_words) or (whole not in self.index.by_word and
                                                whole not in self.index.by_venue_word):
            return ""
        data = self.data
        lo = max(0, entry.start - LABEL_WINDOW)
        line = data[data.rfind(b"\n", lo, entry.start) + 1:entry.start]
        at = line.rfind(entry.name.encode("utf-8", "surrogatepass"))
        if at <= 0 or line[at - 1] not in b" \t":
            return ""
        label = _last_word(line, at)
        return label if label and not words_of(label)[1].isdisjoint(venue_words) else ""

    @staticmethod
    def venue_named(rule: Rule, toks: tuple, alt: str, runs: frozenset, value: str) -> bool:
        """A rule selected by one of its with_venue words (bittrex_token): the name also holds the venue's word
        and ends in that word (but for numbers, venue and affix words: TOKEN_BITTREX, bittrexToken2,
        BITTREX_TOKEN_PROD); an address
        (0x and 40 hex) is never a key, whatever its name (`hyperliquidToken` holding a token contract)."""
        if runs.isdisjoint(rule.venue) or _is_address(value):
            return False
        for name_toks in (toks, words_of(alt)[0] if alt else ()):
            end = len(name_toks)
            while end and (name_toks[end - 1].isdigit() or name_toks[end - 1] in rule.venue or
                           name_toks[end - 1] in rule.venue_affix):
                end -= 1
            if any("".join(name_toks[j:end]) in rule.with_venue for j in range(max(0, end - 4), end)):
                return True
        return False

    def owned(self, toks: tuple, own: frozenset) -> bool:
        """The name's only not-credential words are owner words, the last of them followed by a credential word
        that ends the name: CHAINSTACK_ENDPOINT_KEY is the endpoint's key, API_KEY_ENDPOINT its URL."""
        if not (own & self.not_credential) <= self.owner_words:
            return False
        last = max((i for i, t in enumerate(toks) if t in self.owner_words), default=-1)
        if last < 0:  # written across tokens (EndPointKey): read as before
            return False
        by_word = self.index.by_word
        return any("".join(toks[j:]) in by_word for j in range(last + 1, len(toks)))

    def nested(self, entry: Entry, rules: list, found: list) -> None:
        """A name that says only `key` or `secret` is read with the name it sits under: `wallet: {key: ..}` is a
        wallet key, `signer: {private: ..}` a signer's private key (the path gives the name)."""
        if self.index.by_callee:  # a keyword argument of a call the rules name (ClobClient(host, key="0x.."))
            callee = enclosing_call(self.data, entry.start)
            if callee and not (suffix_runs(callee) | suffix_runs(callee, CALLEE_NOISE)).isdisjoint(
                    self.index.by_callee):
                before = len(found)
                call = Entry("", entry.value, entry.start, entry.end, entry.quote, "call", callee, "", entry.decoded)
                self.recognise(call, rules, found, decoded=True, nested=True)
                if len(found) > before:
                    return
        parents = enclosing_names(self.data, entry.start)
        if parents:
            leaf = entry.name + ("_key" if words_of(entry.name)[0][-1] in ("private", "priv") else "")
            path = Entry(f"{parents[0]}_{leaf}", entry.value, entry.start, entry.end, entry.quote,
                         entry.layout, entry.callee, entry.alt, entry.decoded)
            self.recognise(path, rules, found, decoded=True, nested=True)

    @staticmethod
    def strict_name(rule: Rule, entry: Entry) -> bool:
        """The name holds the venue, or only credential and affix words (and numbers)."""
        toks, runs = words_of(entry.name)
        if not runs.isdisjoint(rule.venue):
            return True
        return all(t in rule.strict or t.isdigit() for t in toks)

    def decoded(self, entry: Entry, value: str, rules: list, found: list) -> None:
        """A base64/hex/percent-encoded value: recognised again decoded (same names), and re-scanned as a
        document when it holds lines or assignments; positions map back to the encoded value."""
        if "\\n" in value:  # lines joined by escaped newlines: '-----BEGIN ...\\n' + '...\\n', or MIME base64
            unescaped = value.replace("\\r", "").replace("\\n", "\n")
            if "-----BEGIN" in unescaped:
                # pieces joined from several literals: the PEM block only exists in the joined value
                if self.data[entry.start:entry.end] != value.encode("utf-8", "surrogatepass"):
                    self.rescan(entry, unescaped, found)
                return
            value = unescaped.replace("\n", "")
        hit = decode_value(value)
        if hit is None:
            return
        text, how = hit
        inner = Entry(entry.name, text, entry.start, entry.end, entry.quote, entry.layout, entry.callee,
                      entry.alt, how)
        self.recognise(inner, rules, found, decoded=True)
        if "\n" in text or "=" in text or ":" in text:
            self.rescan(entry, text, found)

    def rescan(self, entry: Entry, text: str, found: list) -> None:
        """text (decoded or joined from entry's value) scanned as a document; findings point at the entry."""
        for m in self.scanner.iter_matches(text.encode("utf-8", "surrogatepass"), self.path, self.depth + 1):
            found.append(m._replace(start=entry.start, end=entry.end))

    def enclosing(self, entry: Entry) -> frozenset:
        runs = self._paths.get(entry.start)
        if runs is None:
            runs = frozenset()
            for name in enclosing_names(self.data, entry.start):
                runs = runs | words_of(name)[1]
            self._paths[entry.start] = runs
        return runs

    def venue_distance(self, rule: Rule, entry: Entry, runs: frozenset) -> int:
        """How closely the rule's venue is tied to the entry: 0 named in its own name, 1 in an enclosing name,
        else the context window's distance, PAIR_RANK + bytes for a paired value; -2 not tied; -1 the rule
        names no venue."""
        if not rule.venue:
            if rule.context is None and rule.context_after is None:
                return -1
            d = context_distance(rule, self.data, entry.start, entry.end)
            return d if d >= 0 else -2
        if not runs.isdisjoint(rule.venue):
            return 0
        if entry.callee and not words_of(entry.callee)[1].isdisjoint(rule.venue):
            return 0
        if not self.enclosing(entry).isdisjoint(rule.venue):
            return 1
        d = context_distance(rule, self.data, entry.start, entry.end)
        if d >= 0:
            return d + 2
        if rule.pair:
            d = self.paired(rule, entry)
            if d >= 0:
                return PAIR_RANK + d
        return -2

    def paired(self, rule: Rule, entry: Entry) -> int:
        """Distance to a value beside this one that has the shape and name of one of the rule's pair rules."""
        partners = [(_compiled(pattern), words) for pattern, words in rule.pair]
        lo = bisect.bisect_left(self.starts, entry.start - PAIR_WINDOW)
        hi = bisect.bisect_right(self.starts, entry.end + PAIR_WINDOW)
        best = -1
        for other in self.entries[lo:hi]:
            if other is entry or other.start == entry.start:
                continue
            runs = self._name_runs(other)
            raw = _json_unescape(other.value).encode("utf-8", "surrogatepass")
            for shape, words in partners:
                if runs.isdisjoint(words) or shape.fullmatch(raw) is None:
                    continue
                gap = entry.start - other.end if other.end <= entry.start else other.start - entry.end
                if best < 0 or gap < best:
                    best = max(gap, 0)
        return best


_HEX = frozenset("0123456789abcdefABCDEF")
_ESCAPED_WHITESPACE = frozenset(("\\n", "\\r", "\\t"))


def _without_escaped_whitespace(value: str) -> str:
    """A value without the escaped newlines or tabs around it (`'<key>\\n'`: pasted with the newline of the file it
    was read from); a value with escapes inside (a PEM joined by `\\n`) is left whole."""
    inner = value
    while inner[-2:] in _ESCAPED_WHITESPACE:
        inner = inner[:-2]
    while inner[:2] in _ESCAPED_WHITESPACE:
        inner = inner[2:]
    return value if "\\" in inner or not inner else inner
# prefixes front-end build tools require on the variables they inline into a bundle: `public` there says where the
# value ends up, not that it is a public key (NEXT_PUBLIC_PRIVATE_KEY is a private key, exposed)
FRAMEWORK_PREFIXES = ("NEXT_PUBLIC_", "EXPO_PUBLIC_", "NUXT_PUBLIC_", "NUXT_ENV_", "GATSBY_", "STORYBOOK_")


def _without_framework_prefix(entry: Entry) -> Entry:
    """The entry named without its build tool's prefix when what remains is a name of two words or more
    (NEXT_PUBLIC_KEY stays as written)."""
    rest = entry.name[entry.name.index("_", entry.name.index("_") + 1) + 1:] \
        if entry.name.startswith(FRAMEWORK_PREFIXES[:4]) else entry.name[entry.name.index("_") + 1:]
    if len(tokens(rest)) < 2:
        return entry
    return Entry(rest, entry.value, entry.start, entry.end, entry.quote, entry.layout, entry.callee, entry.alt,
                 entry.decoded)
_NAME_SEPARATORS = str.maketrans("", "", "-_. ")


def spells_name(value: str, name: str) -> bool:
    """A value made only of words of its own name is a name (a header's, a field's, an env variable's), not a
    secret: `OK_ACCESS_KEY = 'OK-ACCESS-KEY'`, `KC_API_PASSPHRASE = "KC-API-PASSPHRASE"`."""
    if len(value) > 64 or not value.translate(_NAME_SEPARATORS).isalpha():
        return False
    words = tokens(value)
    return len(words) >= 2 and set(words) <= set(tokens(name))


_LAST_WORD = None


def _last_word(line: bytes, end: int) -> str:
    """The word just before line[end:] with only blanks between (it may hold dots and dashes: gate.io), or ""."""
    global _LAST_WORD
    if _LAST_WORD is None:
        import re

        _LAST_WORD = re.compile(rb"([A-Za-z][A-Za-z0-9_.-]{1,40})[ \t]+$")
    m = _LAST_WORD.search(line, 0, end)
    return m.group(1).decode("ascii") if m else ""


def _is_address(value: str) -> bool:
    """An EVM address: 0x and 40 hex digits (public, never a credential)."""
    return len(value) == 42 and value[0] == "0" and value[1] in "xX" and _HEX.issuperset(value[2:])


_PAIR_SHAPES: dict[str, Any] = {}


def _compiled(pattern: str):
    shape = _PAIR_SHAPES.get(pattern)
    if shape is None:
        from crypto_key_guard.engine.rules import compile_regex

        shape = _PAIR_SHAPES[pattern] = compile_regex(pattern, "names.pair", None, shipped=True)
    return shape
