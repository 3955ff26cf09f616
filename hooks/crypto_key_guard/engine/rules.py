"""Pattern files (YAML) -> validated, compiled Rule objects. The only loader every hook and plugin uses.

All regexes use RE2 syntax (no lookarounds, no backreferences) and are compiled by engine/regex.py: RE2, which
matches in linear time, or without google-re2 the stdlib matcher, which refuses a user's pattern that could
backtrack catastrophically: a user's pattern file cannot hang a commit.
"""
from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping  # already imported by Python's start-up (os): free on the hook path

from crypto_key_guard.engine import regex as rx
from crypto_key_guard.engine.findings import hmac_sha256, sha256_hex
from crypto_key_guard.engine.validators import VALIDATORS
from crypto_key_guard.errors import ConfigError
from crypto_key_guard.util.records import record

# `typing` and `pathlib` only for the type checker and off the hook's cache-hit path: their imports are ~3.5
# and ~3-5 ms of a hook run (pathlib brings urllib.parse and ipaddress); paths are strings until a cache miss
TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any, Callable, Iterable, Sequence

RULE_KEYS_REQUIRED = {"id", "description"}
# a rule is one of two kinds: `names:` + `value:` (recognised on extracted entries) or `pattern:` (an
# unstructured secret's own regex; `regex:` is the same key under its earlier name, so older rule files load)
RULE_KINDS = (("names", "value"), ("pattern",), ("regex",))
RULE_KEYS_OPTIONAL = {
    "keywords", "min_entropy", "placeholders", "allow", "validators", "severity", "confidence", "kind",
    "exchange", "context", "context_window", "ref", "remediation", "examples", "family", "entropy_only",
    "use_placeholders", "context_after", "context_after_window", "span", "regex", "pattern", "names", "value",
    "keywords_at_word_start",
}
NAMES_KEYS = {"venue", "credential", "callees", "layouts", "pair", "strict", "ends_name", "with_venue"}
LAYOUTS = ("quoted", "env", "ini", "yaml", "cli", "xml", "csv", "url", "list", "call", "code")
# the longest text a match spans (name, separators, value): a rule's regions reach this far from a keyword
DEFAULT_SPAN = 512
FILE_KEYS = {"version", "rules", "fragments", "placeholders", "description", "public_test_keys", "credential_words",
             "not_credential_words", "owner_words"}
SEVERITIES = ("low", "medium", "high", "critical")
CONFIDENCES = ("low", "medium", "high")
_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_FRAGMENT_REF = re.compile(r"\{\{([a-z_][a-z0-9_]*)\}\}")


_PATTERNS_DIR: list[str] = []


def _patterns_dir() -> str:
    """The directory of the shipped pattern files, as a string. In a wheel, crypto_key_guard/patterns beside this
    package (no importlib.util and no search of sys.path on the hook's path); in an editable install, where the
    package is mapped, wherever the import system finds it."""
    if not _PATTERNS_DIR:
        beside = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "patterns")
        if not os.path.isfile(os.path.join(beside, "__init__.py")):
            import importlib.util

            spec = importlib.util.find_spec("crypto_key_guard.patterns")
            if spec is None or not spec.submodule_search_locations:
                raise ConfigError("crypto_key_guard.patterns", "built-in pattern files are missing from the install")
            beside = list(spec.submodule_search_locations)[0]
        _PATTERNS_DIR.append(beside)
    return _PATTERNS_DIR[0]


def builtin_patterns_dir() -> Path:
    """patterns/ ships inside the wheel as the data package crypto_key_guard.patterns."""
    from pathlib import Path

    return Path(_patterns_dir())


def _builtin_yaml_names() -> list[str]:
    """The shipped pattern files' paths, sorted, as strings (the cache is looked up before any Path is made)."""
    base = _patterns_dir()
    return [os.path.join(base, name) for name in sorted(os.listdir(base))
            if name.endswith(".yaml") and not name.startswith(".") and os.path.isfile(os.path.join(base, name))]


def builtin_yaml_files() -> list[Path]:
    from pathlib import Path

    return [Path(p) for p in _builtin_yaml_names()]


def compile_regex(pattern: str, file: str, rule: str | None, shipped: bool = False) -> Any:
    """A rule's regex; a user's is refused under the stdlib matcher when it could backtrack catastrophically
    (shipped ones are vetted by the test suite)."""
    try:
        return rx.compile(pattern) if shipped else rx.compile_user(pattern)
    except rx.RegexError as exc:
        reason = exc.args[0]
        if "RE2 syntax" in reason or "google-re2" in reason:
            raise ConfigError(file, f"regex refused: {reason}", rule) from None
        raise ConfigError(
            file, f"invalid regex ({reason}); patterns use RE2 syntax, which runs in linear time and has no "
                  "lookarounds or backreferences", rule) from None


class LazyRegex:
    """A shipped rule's regex, compiled by RE2 on first use: a commit touching a few files pays only for the
    rules whose keywords occur (compiling all of them costs ~40 ms per hook run). The test suite compiles and
    runs every shipped rule, so a broken one cannot ship; users' rules are compiled at load and checked."""

    __slots__ = ("pattern", "file", "rule", "_compiled", "_group")

    def __init__(self, pattern: str, file: str, rule: str | None) -> None:
        self.pattern, self.file, self.rule, self._compiled, self._group = pattern, file, rule, None, -1

    def __reduce__(self) -> tuple:  # worker processes (spawn) get the source and compile it themselves
        return LazyRegex, (self.pattern, self.file, self.rule)

    def compiled(self) -> Any:
        if self._compiled is None:
            self._compiled = compile_regex(self.pattern, self.file, self.rule, shipped=True)
        return self._compiled

    @property
    def secret_group(self) -> int:
        if self._group < 0:
            self._group = secret_group(self.compiled(), self.file, self.rule)
        return self._group

    def finditer(self, data: bytes, pos: int | None = None, endpos: int | None = None):
        return self.compiled().finditer(data, pos, endpos)

    def search(self, data: bytes):
        return self.compiled().search(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.compiled(), name)


def secret_group(regex: Any, file: str, rule: str | None) -> int:
    """The group holding the secret: the one named 'secret', or the only one."""
    names = regex.groupindex
    if b"secret" in names or "secret" in names:
        return names.get(b"secret", names.get("secret"))
    _expect(regex.groups == 1, file,
            f"regex must have exactly one capture group (or a named group 'secret'), it has {regex.groups}", rule)
    return 1


def load_yaml(path: Path | str, cached: bool = False) -> Any:
    """A YAML file, parsed safely (duplicate keys refused). cached: keep the parsed form in the cache even though
    the file is not shipped (the configuration file, read on every commit)."""
    from crypto_key_guard.util.fs import read_regular_file

    path = os.fspath(path)
    try:
        raw = read_regular_file(path)  # /dev/zero, a FIFO or a huge file: an error, never a hang
    except FileNotFoundError:
        raise ConfigError(str(path), "no such pattern file") from None
    except OSError as exc:
        raise ConfigError(str(path), f"cannot read: {exc.strerror or exc}") from None
    # Parsing YAML (and importing PyYAML: ~23 ms CPU) is most of a hook's start-up: the shipped files' and the
    # configuration file's parsed form is cached by content hash (an edit is a new entry; only a successful parse
    # is stored). Users' pattern files are always parsed.
    shipped = cached or _is_shipped(path)
    if shipped:
        cached = _parsed_cache_get(raw)
        if cached is not None:
            return cached[0]
    import yaml  # imported only on a cache miss

    try:
        data = yaml.load(raw.decode("utf-8-sig"), Loader=_unique_keys_loader(yaml))  # a SafeLoader
    except DuplicateKey as exc:
        raise ConfigError(str(path), f"duplicate key {exc.key!r} at line {exc.line} (the first is at line "
                                     f"{exc.first_line}); YAML would silently keep only the last") from None
    except UnicodeDecodeError:
        raise ConfigError(str(path), "not UTF-8 text") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(str(path), f"YAML syntax error at {where}{problem}") from None
    if shipped:
        _parsed_cache_put(raw, data)
    return data


class DuplicateKey(Exception):
    def __init__(self, key: Any, line: int, first_line: int) -> None:
        super().__init__(key)
        self.key, self.line, self.first_line = key, line, first_line


_UNIQUE_LOADER: list = []


def _unique_keys_loader(yaml):
    """yaml.SafeLoader that refuses a mapping with the same key twice (PyYAML keeps the last one silently)."""
    if not _UNIQUE_LOADER:
        class UniqueKeyLoader(yaml.SafeLoader):
            def construct_mapping(self, node, deep=False):
                seen: dict = {}
                for key_node, _ in node.value:
                    key = self.construct_object(key_node, deep=True)
                    try:
                        first = seen.setdefault(key, key_node.start_mark.line)
                    except TypeError:  # an unhashable key: the base class reports it
                        continue
                    if first != key_node.start_mark.line:
                        raise DuplicateKey(key, key_node.start_mark.line + 1, first + 1)
                return super().construct_mapping(node, deep)

        _UNIQUE_LOADER.append(UniqueKeyLoader)
    return _UNIQUE_LOADER[0]


CACHE_ENV = "CRYPTO_KEY_GUARD_CACHE_DIR"   # a directory, or "" to turn the cache off
_CACHE_FORMAT = b"crypto-key-guard parsed-yaml v1\0"


def cache_dir() -> str | None:
    """Where derived data (never scanned content) is cached: the platform's per-user cache directory.

    A relative location (CRYPTO_KEY_GUARD_CACHE_DIR or XDG_CACHE_HOME) is ignored, as the XDG spec says: it
    would put the cache, and what the scan trusts from it, inside whatever repository the command runs in."""
    configured = os.environ.get(CACHE_ENV)
    if configured is not None:
        return configured if configured and os.path.isabs(configured) else None
    if os.name == "nt":
        base = os.environ.get("LOCALAPPDATA") or os.path.expanduser("~\\AppData\\Local")
    elif sys.platform == "darwin":
        base = os.path.expanduser("~/Library/Caches")
    else:
        xdg = os.environ.get("XDG_CACHE_HOME", "")
        base = xdg if os.path.isabs(xdg) else os.path.expanduser("~/.cache")
    return os.path.join(base, "crypto-key-guard") if os.path.isabs(base) else None


# What is read back from the cache is verified: each entry carries an HMAC of its content under a random key that
# lives in the cache directory (0700, owned by the user, key file 0600). A file planted by anyone who cannot read
# that key (another user, a repository that ships a cache directory) is a miss, never a rule set.
_CACHE_MAGIC = b"ckg-cache v2\0"
_CACHE_KEY: dict[str, bytes | None] = {}


def _private_cache_dir(base: str, create: bool) -> bool:
    """The cache directory exists (made 0700 when create), belongs to this user and only they can enter it."""
    try:
        if create:
            os.makedirs(os.path.dirname(base), exist_ok=True)
            try:
                os.mkdir(base, 0o700)
            except FileExistsError:
                pass
        st = os.lstat(base)
    except OSError:
        return False
    import stat

    if not stat.S_ISDIR(st.st_mode):
        return False
    getuid = getattr(os, "getuid", None)
    if getuid is None:  # Windows: %LOCALAPPDATA% is per-user already
        return True
    if st.st_uid != getuid():
        return False
    if st.st_mode & 0o077:  # made by an earlier version with the umask's mode: ours, so tighten it
        try:
            os.chmod(base, 0o700)
        except OSError:
            return False
    return True


def _cache_key(base: str, create: bool) -> bytes | None:
    """The cache's HMAC key (32 random bytes in <cache>/key, 0600), made on first write; None: do not use the cache."""
    known = _CACHE_KEY.get(base)
    if known is not None or (base in _CACHE_KEY and not create):
        return known
    key = None
    if _private_cache_dir(base, create):
        path = os.path.join(base, "key")
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
        try:
            fd = os.open(path, flags)
        except FileNotFoundError:
            fd = -1
        except OSError:
            fd = -2
        if fd == -1 and create:
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
                with os.fdopen(fd, "wb") as fh:
                    fh.write(os.urandom(32))
                fd = os.open(path, flags)
            except OSError:  # another process made it first: read theirs
                try:
                    fd = os.open(path, flags)
                except OSError:
                    fd = -2
        if fd >= 0:
            with os.fdopen(fd, "rb") as fh:
                st = os.fstat(fh.fileno())
                data = fh.read(33)
            owner_ok = not hasattr(os, "getuid") or (st.st_uid == os.getuid() and not st.st_mode & 0o077)
            key = data if len(data) == 32 and owner_ok else None
    _CACHE_KEY[base] = key
    return key


def _cache_read(target: str) -> bytes | None:
    """The verified content of a cache entry, or None (missing, damaged, planted, or no key)."""
    key = _cache_key(os.path.dirname(target), create=False)
    if key is None:
        return None
    try:
        with open(target, "rb") as fh:
            blob = fh.read()
    except OSError:
        return None
    head = len(_CACHE_MAGIC)
    if not blob.startswith(_CACHE_MAGIC) or len(blob) < head + 32:
        return None
    tag, payload = blob[head: head + 32], blob[head + 32:]
    expected = hmac_sha256(key, os.fsencode(os.path.basename(target)) + b"\0" + payload)
    diff = 0
    for a, b in zip(tag, expected):  # compared in full: no early exit
        diff |= a ^ b
    return payload if diff == 0 else None


def _cache_write(target: str, payload: bytes) -> None:
    key = _cache_key(os.path.dirname(target), create=True)
    if key is None:
        return
    tag = hmac_sha256(key, os.fsencode(os.path.basename(target)) + b"\0" + payload)
    _atomic_cache_write(target, _CACHE_MAGIC + tag + payload)


_SHIPPED_DIR: str | None = None


def _is_shipped(path: str | os.PathLike) -> bool:
    global _SHIPPED_DIR
    try:
        if _SHIPPED_DIR is None:
            _SHIPPED_DIR = os.path.realpath(_patterns_dir())
        return os.path.dirname(os.path.realpath(path)) == _SHIPPED_DIR
    except (ConfigError, OSError):
        return False


def _cache_file(raw: bytes) -> str | None:
    base = cache_dir()
    if base is None:
        return None
    return os.path.join(base, f"yaml-{sha256_hex(_CACHE_FORMAT + raw)}.json")


def _parsed_cache_get(raw: bytes) -> tuple[Any] | None:
    """(document,) from the cache, or None on a miss or any problem with the cache (never an error)."""
    import json

    target = _cache_file(raw)
    if target is None:
        return None
    payload = _cache_read(target)
    if payload is None:
        return None
    try:
        return (json.loads(payload),)
    except ValueError:
        return None


def _parsed_cache_put(raw: bytes, data: Any) -> None:
    """Store a parsed document; silently skipped when the cache dir is unwritable or JSON cannot hold it."""
    import json

    target = _cache_file(raw)
    if target is None:
        return
    try:
        text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError):
        return
    if json.loads(text) != data:    # e.g. YAML integer keys or dates: not exactly representable
        return
    _cache_write(target, text.encode("utf-8"))


def _atomic_cache_write(target: str, payload: bytes) -> None:
    """Write a cache file atomically (a concurrent reader sees the whole file or none); never an error."""
    import contextlib
    import tempfile

    try:
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(target), prefix=".tmp-", suffix=os.path.splitext(target)[1])
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(payload)
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
    except OSError:
        return


@record(compare_last=False)
class Rule:
    id: str
    description: str
    regex: Any                      # compiled RE2 (bytes)
    group: int | str                # which group holds the secret
    keywords: tuple[bytes, ...]     # lower-case; any must occur in the text for the rule to run
    source: str                     # file the rule came from
    pattern: str = ""
    min_entropy: float = 0.0
    placeholders: tuple[Any, ...] = ()
    allow: tuple[Any, ...] = ()
    validators: tuple[str, ...] = ()
    severity: str = "high"
    confidence: str = "high"
    kind: str = "generic"
    exchange: str = ""
    context: Any = None
    context_window: int = 0
    context_after: Any = None       # searched in the window after the value; context OR context_after suffices
    context_after_window: int = 0
    ref: str = ""
    remediation: str = ""
    family: str = ""
    entropy_only: bool = False      # matched on shape alone: suppressed in minified code
    use_placeholders: bool = True   # apply the shared placeholder list (off for e.g. mnemonics: real words)
    span: int = DEFAULT_SPAN        # the regex runs only within this many bytes (plus context windows) of a keyword
    # a keyword counts only where a word of the text starts (xt in XT_API_KEY or xtClient, not in next or text),
    # or inside one of the rule's venue words written whole (team in bitteam): for rules that tie a venue only
    # by whole words (names as tokens, a context with word boundaries)
    keywords_at_word_start: bool = False
    # a `names:` rule (regex is None): the whole value's shape, and the squashed words that tie an entry to it
    value: Any = None               # RE2, matched against the whole value (fullmatch)
    venue: frozenset = frozenset()  # words naming the venue (own name, enclosing names; else context or pair)
    credential: frozenset = frozenset()  # words the entry's name must hold (key, secret, apikey, passphrase ...)
    callees: frozenset = frozenset()     # words that, ending a callee's name, make its literal arguments entries
    layouts: tuple[str, ...] = ()   # entry layouts accepted (empty: all)
    pair: tuple = ()                # (value regex, credential words) of the rules (ids in YAML) whose value
                                    # beside this one ties it to the venue
    name_hints: tuple[str, ...] = ()     # substrings one of which every name worth reading holds ('*': any)
    callee_hints: tuple[str, ...] = ()   # the same for callees
    # strict: the only words the name may hold besides the venue's (a free-form passphrase under DB_PASSWORD is
    # the database's): the credential words and the `affix` group; empty when the rule is not strict
    strict: frozenset = frozenset()
    # ends_name: the credential word ends the name, but for these affix words and numbers (API_KEY_PROD, not
    # private_key_folded or secret_name); empty when any word may follow
    ends_name: frozenset = frozenset()
    # with_venue: credential words that count only when the name also holds one of the venue words and ends in
    # the credential word (bittrex_token; `quoteToken` alone names a token, not a key)
    with_venue: frozenset = frozenset()
    # venue_affix: the affix words that may still follow a with_venue word (BITTREX_TOKEN_PROD, kucoinToken_live)
    venue_affix: frozenset = frozenset()
    examples: dict = {}             # never mutated (each loaded rule gets its own); not compared or hashed


class RuleSet:
    __slots__ = ("rules", "placeholders", "files", "public_test_keys", "not_credential", "venue_words", "owner_words")

    def __init__(self, rules: list[Rule], placeholders: list[Any], files: list[str],
                 public_test_keys: frozenset = frozenset(), not_credential: frozenset = frozenset(),
                 venue_words: frozenset = frozenset(), owner_words: frozenset = frozenset()) -> None:
        self.rules = rules
        # squashed words of every venue and service in patterns/venues.yaml and services.yaml and of the rules:
        # a name may end in one after its credential word (API_KEY_COINEX)
        self.venue_words = venue_words
        # squashed words that make a name something other than a credential (api_key_hash, secretName)
        self.not_credential = not_credential
        # the not-credential words that say whose credential it is when they come before its credential word
        # (CHAINSTACK_ENDPOINT_KEY), and something else only after it (API_KEY_ENDPOINT)
        self.owner_words = owner_words
        self.placeholders = placeholders
        self.files = files
        # sha256 hex digests of published test values (hardhat accounts, spec test vectors): stored as hashes
        # so this repository never holds them literally; reported only on request.
        self.public_test_keys = public_test_keys

    def __repr__(self) -> str:
        return f"RuleSet({len(self.rules)} rules from {len(self.files)} files)"

    def by_id(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)


def _expect(cond: bool, file: str, reason: str, rule: str | None = None) -> None:
    if not cond:
        raise ConfigError(file, reason, rule)


def _str_list(value: Any, file: str, key: str, rule: str | None) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    _expect(isinstance(value, list) and all(isinstance(v, str) for v in value), file,
            f"'{key}' must be a list of strings", rule)
    return list(value)


def _expand(pattern: str, fragments: dict[str, str], file: str, rule: str | None) -> str:
    for _ in range(10):  # fragments may use fragments, but not forever
        if "{{" not in pattern:
            return pattern
        def sub(m: re.Match) -> str:
            name = m.group(1)
            if name not in fragments:
                raise ConfigError(file, f"unknown fragment {{{{{name}}}}}", rule)
            return fragments[name]
        pattern = _FRAGMENT_REF.sub(sub, pattern)
    raise ConfigError(file, "fragments nest too deep (a fragment refers to itself?)", rule)


def _squashed(words: list[str]) -> frozenset:
    """Words as names are compared (lower case, no separators); '*' (any name) stays as it is."""
    from crypto_key_guard.engine.extract.names import squash

    return frozenset(w for w in (x if x == "*" else squash(x) for x in words) if w)


def _keyword_of(word: str) -> str:
    """The keyword a venue or credential word needs in the text: its longest run of letters and digits."""
    runs = re.findall(r"[a-z0-9]+", word.lower())
    return max(runs, key=len) if runs else ""


# the common pieces of credential words: a name holding a word holds one of these as a substring (any case), so
# extraction reads only names that hold one (`_name_hints`)
_HINT_BASES = ("passphrase", "password", "mnemonic", "account", "secret", "bearer", "token", "auth", "cred", "pass",
               "seed", "key", "pwd", "jwt", "otp", "pk", "id")


def _name_hints(words: list[str]) -> tuple[str, ...]:
    """Substrings one of which every name holding one of the words contains ('*': any name, no hint)."""
    if "*" in words:
        return ("*",)
    from crypto_key_guard.engine.extract.names import squash

    hints = set()
    for word in words:
        w = squash(word)
        bases = [b for b in _HINT_BASES if b in w]
        hints.add(max(bases, key=len) if bases else w)
    return tuple(sorted(h for h in hints if h))


def _callee_hints(words: list[str]) -> tuple[str, ...]:
    """Each callee word as its tokens (`Account.from_key` -> 'account from key'): extraction reads the calls whose
    callee holds one of them, in any case and with any separators."""
    from crypto_key_guard.engine.extract.names import tokens

    return tuple(sorted({" ".join(tokens(w)) for w in words if tokens(w)}))


def _build_names(raw: Any, file: str, rid: str, groups: dict[str, list[str]]) -> dict:
    names = raw.get("names")
    _expect(isinstance(names, dict) and set(names) <= NAMES_KEYS, file,
            f"'names' must be a mapping with {', '.join(sorted(NAMES_KEYS))}", rid)
    strict = names.get("strict", False)
    _expect(isinstance(strict, bool), file, "'names.strict' must be true or false", rid)
    ends_name = names.get("ends_name", False)
    _expect(isinstance(ends_name, bool), file, "'names.ends_name' must be true or false", rid)
    lists = {key: _str_list(names.get(key), file, f"names.{key}", rid) for key in NAMES_KEYS - {"strict", "ends_name"}}
    credential: list[str] = []
    for word in lists["credential"]:
        if word.startswith("@"):
            _expect(word[1:] in groups, file, f"unknown credential word group {word!r} (known: "
                    f"{', '.join('@' + g for g in sorted(groups))})", rid)
            credential += groups[word[1:]]
        else:
            credential.append(word)
    _expect(bool(credential or lists["callees"]), file, "'names' needs 'credential' words or 'callees'", rid)
    _expect(not lists["with_venue"] or bool(lists["venue"]), file, "'names.with_venue' needs 'venue' words", rid)
    for layout in lists["layouts"]:
        _expect(layout in LAYOUTS, file, f"unknown layout {layout!r} (known: {', '.join(LAYOUTS)})", rid)
    return dict(venue=_squashed(lists["venue"]), credential=_squashed(credential),
                name_hints=_name_hints(credential + lists["with_venue"]), callee_hints=_callee_hints(lists["callees"]),
                callees=_squashed(lists["callees"]), layouts=tuple(lists["layouts"]), pair=tuple(lists["pair"]),
                strict=_squashed(credential + groups.get("affix", [])) if strict else frozenset(),
                ends_name=_squashed(groups.get("affix", [])) | {"*"} if ends_name else frozenset(),
                with_venue=_squashed(lists["with_venue"]) - _squashed(credential),
                venue_affix=_squashed(groups.get("affix", [])) if lists["with_venue"] else frozenset(),
                _venue_words=lists["venue"], _credential_words=credential)


def _build_rule(raw: Any, file: str, fragments: dict[str, str], index: int, lazy: bool = False,
                groups: dict[str, list[str]] | None = None) -> Rule:
    _expect(isinstance(raw, dict), file, f"rule #{index + 1} is not a mapping")
    rid = raw.get("id")
    _expect(isinstance(rid, str) and bool(_ID.match(rid or "")), file,
            f"rule #{index + 1}: 'id' must be lower-case letters, digits and dashes", rid if isinstance(rid, str) else None)
    missing = RULE_KEYS_REQUIRED - set(raw)
    _expect(not missing, file, f"missing required key(s): {', '.join(sorted(missing))}", rid)
    unknown = set(raw) - RULE_KEYS_REQUIRED - RULE_KEYS_OPTIONAL
    _expect(not unknown, file, f"unknown key(s): {', '.join(sorted(map(str, unknown)))}", rid)
    kinds = [k for k in RULE_KINDS if any(key in raw for key in k)]
    _expect(len(kinds) == 1 and all(key in raw for key in kinds[0]), file,
            "a rule needs either 'names:' and 'value:' (a credential recognised by its name and value shape) or "
            "'pattern:' (a regex with one capture group, for secrets recognised by their own shape; 'regex:' "
            "is accepted as its earlier name)", rid)
    source_key = "value" if "names" in raw else ("pattern" if "pattern" in raw else "regex")
    for key in ("description", source_key):
        _expect(isinstance(raw[key], str) and raw[key].strip() != "", file, f"'{key}' must be a non-empty string", rid)
    compile_ = (lambda p: LazyRegex(p, file, rid)) if lazy else (lambda p: compile_regex(p, file, rid))
    named: dict = {}
    if source_key == "value":
        named = _build_names(raw, file, rid, groups or {})
        value_pattern = _expand(raw["value"], fragments, file, rid)
        named["value"] = compile_(value_pattern)
        pattern, regex, group = value_pattern, None, -1 if lazy else 0
    else:
        pattern = _expand(raw[source_key], fragments, file, rid)
        regex = compile_(pattern)
        group = -1 if lazy else secret_group(regex, file, rid)  # -1: ask the lazy regex when it first runs
    severity = raw.get("severity", "high")
    _expect(severity in SEVERITIES, file, f"'severity' must be one of {', '.join(SEVERITIES)}", rid)
    confidence = raw.get("confidence", "high")
    _expect(confidence in CONFIDENCES, file, f"'confidence' must be one of {', '.join(CONFIDENCES)}", rid)
    min_entropy = raw.get("min_entropy", 0.0)
    _expect(isinstance(min_entropy, (int, float)) and not isinstance(min_entropy, bool) and 0 <= min_entropy <= 8,
            file, "'min_entropy' must be a number from 0 to 8", rid)
    validators = _str_list(raw.get("validators"), file, "validators", rid)
    if min_entropy and "entropy" not in validators:
        validators.append("entropy")
    for name in validators:
        _expect(name in VALIDATORS, file,
                f"unknown validator {name!r} (known: {', '.join(sorted(VALIDATORS))})", rid)
    contexts: dict = {}
    for key in ("context", "context_after"):
        context = raw.get(key)
        context_re = None
        if context is not None:
            _expect(isinstance(context, str) and context != "", file, f"'{key}' must be a regex string", rid)
            context_re = compile_(_expand(context, fragments, file, rid))
        window = raw.get(f"{key}_window", 200 if context_re else 0)
        _expect(isinstance(window, int) and not isinstance(window, bool) and 0 <= window <= 5000, file,
                f"'{key}_window' must be an integer from 0 to 5000", rid)
        contexts[key], contexts[f"{key}_window"] = context_re, window
    examples = raw.get("examples") or {}
    _expect(isinstance(examples, dict) and set(examples) <= {"match", "no_match"}, file,
            "'examples' must be a mapping with 'match' and/or 'no_match' lists", rid)
    for key in ("match", "no_match"):
        _str_list(examples.get(key), file, f"examples.{key}", rid)
    for key in ("ref", "remediation", "kind", "exchange", "family"):
        _expect(isinstance(raw.get(key, ""), str), file, f"'{key}' must be a string", rid)
    entropy_only = raw.get("entropy_only", False)
    _expect(isinstance(entropy_only, bool), file, "'entropy_only' must be true or false", rid)
    use_placeholders = raw.get("use_placeholders", True)
    _expect(isinstance(use_placeholders, bool), file, "'use_placeholders' must be true or false", rid)
    at_word_start = raw.get("keywords_at_word_start", False)
    _expect(isinstance(at_word_start, bool), file, "'keywords_at_word_start' must be true or false", rid)
    span = raw.get("span", DEFAULT_SPAN)
    _expect(isinstance(span, int) and not isinstance(span, bool) and 64 <= span <= 1 << 20, file,
            "'span' must be an integer from 64 to 1048576 (bytes)", rid)
    keywords = [k.lower() for k in _str_list(raw.get("keywords"), file, "keywords", rid)]
    venue_words, credential_words = named.pop("_venue_words", []), named.pop("_credential_words", [])
    if named and not keywords:  # a names rule runs around its venue's words, or else its credential words
        keywords = sorted({k for k in map(_keyword_of, venue_words or credential_words) if k})
    return Rule(
        id=rid,
        description=raw["description"].strip(),
        regex=regex,
        group=group,
        keywords=tuple(k.encode("utf-8") for k in keywords),
        source=file,
        pattern=pattern,
        min_entropy=float(min_entropy),
        placeholders=tuple(compile_("(?i)" + p) for p in _str_list(raw.get("placeholders"), file, "placeholders", rid)),
        allow=tuple(compile_(p) for p in _str_list(raw.get("allow"), file, "allow", rid)),
        validators=tuple(validators),
        severity=severity,
        confidence=confidence,
        kind=raw.get("kind", "generic"),
        exchange=raw.get("exchange", ""),
        **contexts,
        ref=raw.get("ref", ""),
        remediation=raw.get("remediation", "").strip(),
        family=raw.get("family", ""),
        entropy_only=entropy_only,
        use_placeholders=use_placeholders,
        span=span,
        keywords_at_word_start=at_word_start,
        **named,
        examples={k: list(examples.get(k) or []) for k in ("match", "no_match")},
    )


def load_rules(
    extra_files: Sequence[str | os.PathLike] = (),
    disabled: Iterable[str] = (),
    include_builtin: bool = True,
    check_examples: Callable[..., None] | None = None,
) -> RuleSet:
    """Load the built-in rule files plus the user's, validate, compile; raise ConfigError on any problem.

    check_examples: run on each user rule (engine.selftest.verify_examples): the loader cannot run the scanner
    itself, which imports it."""
    shipped = _builtin_yaml_names() if include_builtin else []
    if shipped and not extra_files:
        cached = _built_cache_get(shipped)
        if cached is not None:
            return _without(cached, disabled)
    from pathlib import Path

    builtin = [Path(p) for p in shipped]
    files: list[Path] = builtin + [Path(f) for f in extra_files]
    documents = []
    fragments: dict[str, str] = {}
    placeholder_patterns: list[tuple[str, str]] = []
    public_hashes: set[str] = set()
    groups: dict[str, list[str]] = {}
    not_credential: list[str] = []
    owner_words: list[str] = []
    venue_words: list[str] = []
    rule_files: list[Path] = []
    tables: dict[str, tuple[Path, Any]] = {}  # the venue and service tables and how they become rules
    for path in files:
        data = load_yaml(path)
        name = str(path)
        if path in builtin and not (isinstance(data, dict) and "rules" in data):
            if isinstance(data, dict):  # the venue and service tables: their words are known venue names
                for key in ("venues", "services", "venue_rules"):
                    if key in data:
                        tables[key] = (path, data)
                for entry in (data.get("venues") or []) + (data.get("services") or []):
                    words = entry.get("words") if isinstance(entry, dict) else None
                    if isinstance(words, dict):
                        venue_words += [w for key in ("alone", "with_credential") for w in words.get(key) or []
                                        if isinstance(w, str)]
            continue  # other built-in data (env-file and gitignore lists) lives beside the rules
        rule_files.append(path)
        _expect(isinstance(data, dict), name, "a pattern file must be a mapping with a 'rules:' list")
        unknown = set(data) - FILE_KEYS
        _expect(not unknown, name, f"unknown top-level key(s): {', '.join(sorted(map(str, unknown)))}")
        frags = data.get("fragments") or {}
        _expect(isinstance(frags, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in frags.items()),
                name, "'fragments' must map names to regex strings")
        fragments.update(frags)
        placeholder_patterns += [(name, p) for p in _str_list(data.get("placeholders"), name, "placeholders", None)]
        hashes = _str_list(data.get("public_test_keys"), name, "public_test_keys", None)
        _expect(all(re.fullmatch(r"[0-9a-f]{64}", h) for h in hashes), name,
                "'public_test_keys' must list sha256 hex digests of the public values")
        public_hashes.update(hashes)
        words = data.get("credential_words") or {}
        _expect(isinstance(words, dict) and all(isinstance(k, str) and isinstance(v, list) and
                                                all(isinstance(w, str) for w in v) for k, v in words.items()),
                name, "'credential_words' must map group names to lists of words")
        groups.update(words)
        not_credential += _str_list(data.get("not_credential_words"), name, "not_credential_words", None)
        owner_words += _str_list(data.get("owner_words"), name, "owner_words", None)
        rules = data.get("rules")
        _expect(isinstance(rules, list), name, "'rules' must be a list")
        documents.append((name, rules))
    builtin_names = {str(b) for b in builtin}
    if "venue_rules" in tables:  # every venue and service entry x secret field as names rules (venue_rules.py)
        documents += _table_rules(tables, [r for name, rules in documents if name in builtin_names for r in rules],
                                  _squashed(not_credential))
    seen: dict[str, str] = {}
    every: list[Rule] = []
    for name, rules in documents:
        for index, raw in enumerate(rules):
            rule = _build_rule(raw, name, fragments, index, lazy=name in builtin_names, groups=groups)
            if rule.id in seen:
                raise ConfigError(name, f"duplicate rule id (also defined in {seen[rule.id]})", rule.id)
            seen[rule.id] = name
            every.append(rule)
    by_id = {r.id: r for r in every}
    for n, rule in enumerate(every):
        if rule.pair:  # resolved here, so a rule carries what it pairs with (its own scanner needs no other rule)
            for partner in rule.pair:
                _expect(partner in by_id and by_id[partner].value is not None, rule.source,
                        f"'names.pair' names {partner!r}, which is not a names rule", rule.id)
            partners = [by_id[p] for p in rule.pair]
            every[n] = rule._replace(pair=tuple((p.pattern, p.credential) for p in partners),
                                     name_hints=tuple(sorted(set(rule.name_hints).union(
                                         *(p.name_hints for p in partners)))))
    placeholders = [compile_regex("(?i)" + p, file, None) for file, p in placeholder_patterns]
    if check_examples is not None:
        for rule in every:
            if rule.source not in builtin_names:  # shipped rules are proven by the test suite instead
                check_examples(rule, placeholders, not_credential=_squashed(not_credential),
                               owner_words=_squashed(owner_words))
    built = RuleSet(rules=every, placeholders=placeholders, files=[str(f) for f in rule_files],
                    public_test_keys=frozenset(public_hashes), not_credential=_squashed(not_credential),
                    venue_words=_squashed(venue_words).union(*(r.venue for r in every)),
                    owner_words=_squashed(owner_words))
    if builtin and not extra_files:
        _built_cache_put(shipped, built, [p for _, p in placeholder_patterns])
    return _without(built, disabled)


def _table_rules(tables: dict[str, tuple[Path, Any]], handwritten: list,
                 not_credential: frozenset) -> list[tuple[str, list]]:
    """The generated rules of the venue and service tables, as (file, raw rules) documents named by their table."""
    from crypto_key_guard.engine import venue_rules

    spec = tables["venue_rules"][1]["venue_rules"]
    venues, services = tables.get("venues"), tables.get("services")
    by_venue, by_service = venue_rules.expand(venues[1] if venues else None, services[1] if services else None,
                                              spec, handwritten, not_credential)
    documents = []
    if venues:
        documents.append((str(venues[0]), by_venue))
    if services:
        documents.append((str(services[0]), by_service))
    return documents


def venue_coverage() -> list[dict]:
    """What the shipped rules recognise of each venue and service in the tables (venue_rules.coverage): for
    `crypto-key-guard rules --coverage` and the README's table."""
    from crypto_key_guard.engine import venue_rules

    tables: dict[str, Any] = {}
    handwritten: list = []
    not_credential: list[str] = []
    for path in builtin_yaml_files():
        data = load_yaml(path)
        if not isinstance(data, dict):
            continue
        for key in ("venues", "services", "venue_rules"):
            if key in data:
                tables[key] = data
        handwritten += [r for r in data.get("rules") or [] if isinstance(r, dict)]
        not_credential += [w for w in data.get("not_credential_words") or [] if isinstance(w, str)]
    return venue_rules.coverage(tables.get("venues"), tables.get("services"), tables["venue_rules"]["venue_rules"],
                                handwritten, _squashed(not_credential))


def _without(built: RuleSet, disabled: Iterable[str]) -> RuleSet:
    """The rule set minus the rules the user disabled; an unknown id or nothing left is an error."""
    disabled = set(disabled)
    unknown_disabled = disabled - {r.id for r in built.rules}
    if unknown_disabled:
        raise ConfigError("--disable", f"no such rule id(s): {', '.join(sorted(unknown_disabled))}")
    rules = [r for r in built.rules if r.id not in disabled]
    if not rules:
        raise ConfigError(", ".join(built.files) or "(no files)", "the pattern set is empty: no rule would run")
    return RuleSet(rules=rules, placeholders=built.placeholders, files=built.files,
                   public_test_keys=built.public_test_keys, not_credential=built.not_credential,
                   venue_words=built.venue_words, owner_words=built.owner_words)


# The shipped rules, built (schema-checked, fragments expanded), are cached as well: rebuilding them from the
# parsed YAML is ~15 ms of every hook run. marshal (built in, no import) holds plain values: regexes are kept as
# their source and compiled on first use, as the shipped rules always are. The key covers the YAML bytes, the
# install location (rules name their file) and the record's fields.
_BUILT_FORMAT = b"crypto-key-guard built-rules v6\0"
_REGEX_FIELDS = frozenset({"regex", "context", "context_after", "value"})
_REGEX_TUPLE_FIELDS = frozenset({"placeholders", "allow"})


def _built_cache_file(builtin: list[Path]) -> Path | None:
    base = cache_dir()
    if base is None:
        return None
    try:
        parts = [_BUILT_FORMAT, ",".join(Rule._fields).encode(), os.fsencode(_patterns_dir())]
        for p in builtin:
            with open(p, "rb") as fh:
                parts.append(os.fsencode(os.path.basename(p)) + b"\0" + fh.read())
        with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "venue_rules.py"), "rb") as fh:
            parts.append(fh.read())
    except OSError:
        return None
    digest = sha256_hex(b"\0".join(parts))
    return os.path.join(base, f"rules-{digest}.marshal")


class _CachedExamples:
    """Every cached rule's examples, one marshalled blob decoded on first use: scans never read them (the self-test,
    `rules` and the tests do), and decoding them was 2.5 of the ~10 ms a hook run spent loading the rules."""

    __slots__ = ("_blob", "_decoded")

    def __init__(self, blob: bytes) -> None:
        self._blob, self._decoded = blob, None

    def of(self, index: int) -> dict:
        if self._decoded is None:
            import marshal

            self._decoded = marshal.loads(self._blob)
        return self._decoded[index]


class RuleExamples(Mapping):
    """A cached rule's `examples` ({"match": [...], "no_match": [...]}), read from _CachedExamples when used."""

    __slots__ = ("_every", "_index")

    def __init__(self, every: _CachedExamples, index: int) -> None:
        self._every, self._index = every, index

    def __getitem__(self, key: str) -> list:
        return self._every.of(self._index)[key]

    def __iter__(self):
        return iter(self._every.of(self._index))

    def __len__(self) -> int:
        return len(self._every.of(self._index))

    def __repr__(self) -> str:
        return repr(self._every.of(self._index))


def _built_cache_get(builtin: list[Path]) -> RuleSet | None:
    """The built shipped rules from the cache, or None on a miss or any problem with it (never an error)."""
    import marshal

    target = _built_cache_file(builtin)
    if target is None:
        return None
    payload = _cache_read(target)
    if payload is None:
        return None
    try:
        rows, examples, placeholders, files, hashes, not_credential, venue_words, owner_words = \
            marshal.loads(payload)
        fields = Rule._fields
        id_at, source_at, examples_at = fields.index("id"), fields.index("source"), fields.index("examples")
        every_example = _CachedExamples(examples)
        regex_at = [fields.index(name) for name in sorted(_REGEX_FIELDS)]
        tuple_at = [fields.index(name) for name in sorted(_REGEX_TUPLE_FIELDS)]
        make, width = Rule._make, len(fields)
        rules = []
        # one LazyRegex per distinct source: a venue's rules share their context (before and after), the
        # generated rules their allow lists, so each is compiled once per process, not once per rule and field
        shared: dict[str, LazyRegex] = {}
        for row in rows:  # by position: hundreds of generated venue rules load on every hook run
            if len(row) != width:
                return None
            row = list(row)
            rid, source = row[id_at], row[source_at]
            for i in regex_at:
                if row[i] is not None:
                    lazy = shared.get(row[i])
                    if lazy is None:
                        lazy = shared[row[i]] = LazyRegex(row[i], source, rid)
                    row[i] = lazy
            for i in tuple_at:  # allow lists repeat across a table's rules (an address, 64 hex, a UUID)
                if row[i]:
                    row[i] = tuple(shared.get(p) or shared.setdefault(p, LazyRegex(p, source, rid)) for p in row[i])
            row[examples_at] = RuleExamples(every_example, len(rules))
            rules.append(make(row))
        return RuleSet(rules=rules, placeholders=[LazyRegex("(?i)" + p, "patterns", None) for p in placeholders],
                       files=list(files), public_test_keys=frozenset(hashes),
                       not_credential=frozenset(not_credential), venue_words=frozenset(venue_words),
                       owner_words=frozenset(owner_words))
    except (OSError, ValueError, EOFError, TypeError, KeyError):
        return None


def _built_cache_put(builtin: list[Path], built: RuleSet, placeholders: list[str]) -> None:
    import marshal

    target = _built_cache_file(builtin)
    if target is None:
        return
    rows = []
    examples = []
    # one object per distinct value: marshal then writes a repeated one (a venue's context in each of its rules,
    # a table's allow list and words) as a reference, and loads it once: 503 -> 375 KB, 2.4 -> 0.8 ms to load
    canonical: dict = {}
    for rule in built.rules:
        if rule.group != -1:  # not a lazily compiled shipped rule: nothing to cache
            return
        row = []
        for name, value in zip(Rule._fields, rule):
            if name in _REGEX_FIELDS:
                value = None if value is None else value.pattern
            elif name in _REGEX_TUPLE_FIELDS:
                value = tuple(canonical.setdefault(p.pattern, p.pattern) for p in value)
            elif name == "examples":
                examples.append(dict(value))
                value = None
            if isinstance(value, (str, tuple, frozenset)):
                try:
                    value = canonical.setdefault(value, value)
                except TypeError:  # a tuple holding a list: written as it is
                    pass
            row.append(value)
        rows.append(tuple(row))
    try:
        _cache_write(target, marshal.dumps((rows, marshal.dumps(examples), placeholders, built.files,
                                            sorted(built.public_test_keys), built.not_credential,
                                            built.venue_words, built.owner_words)))
    except ValueError:  # a value marshal cannot hold
        return


_DEFAULT: RuleSet | None = None
_DEFAULT: RuleSet | None = None


def default_rules() -> RuleSet:
    """The built-in rules, parsed and compiled once per process."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = load_rules()
    return _DEFAULT
