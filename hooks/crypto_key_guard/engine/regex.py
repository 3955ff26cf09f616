"""The one regex interface of the engine: google-re2 when it is installed, the standard library's `re` otherwise.

    compile(pattern, latin1=False) -> a compiled pattern: search / match / finditer(data, pos, endpos) on bytes,
                                      groups, groupindex, pattern
    escape(literal) -> bytes;  BACKEND -> "re2" or "re";  RegexError (a ValueError naming the reason)

google-re2 matches in linear time, whatever the pattern. It has no wheels for musl (Alpine) or for Pythons
newer than its last release, so it is an optional dependency; without it the stdlib matcher runs the same
patterns. A backtracking matcher is linear only for patterns that cannot backtrack badly: the shipped rules
are vetted for that by the test suite, their input is bounded by the keyword regions, and a user's pattern
with a backtracking hazard (a quantified group holding a quantifier) is refused with what to do.

CRYPTO_KEY_GUARD_REGEX=re forces the stdlib matcher (tests, and comparing the two); =re2 requires google-re2.
Patterns are RE2 syntax under both: lookarounds and backreferences are refused under both, so a pattern file
that works on one machine works on every other.
"""
from __future__ import annotations

import os

TYPE_CHECKING = False  # `typing` only for the type checker: its import is ~3.5 ms of a hook run
if TYPE_CHECKING:
    from typing import Any, Iterator

ENV_VAR = "CRYPTO_KEY_GUARD_REGEX"
INSTALL_HINT = ("install google-re2 (pip install google-re2; with pre-commit: "
                "additional_dependencies: [google-re2]) or rewrite the pattern")


class RegexError(ValueError):
    """A pattern that cannot be compiled (or is refused); args[0] is the reason, for the user."""


def _choose_backend() -> str:
    wanted = os.environ.get(ENV_VAR, "").strip().lower()
    if wanted not in ("", "re", "re2"):
        raise RegexError(f"{ENV_VAR}={wanted!r}: use 're2', 're' or leave it unset")
    if wanted == "re":
        return "re"
    try:
        import re2  # noqa: F401
    except ImportError:
        if wanted == "re2":
            raise RegexError(f"{ENV_VAR}=re2 but google-re2 is not installed (pip install google-re2)") from None
        return "re"
    return "re2"


BACKEND = _choose_backend()


def escape(literal: bytes) -> bytes:
    """A regex matching exactly these bytes (valid under both backends)."""
    import re

    return re.escape(literal)


def compile(pattern: str | bytes, latin1: bool = False) -> Any:  # noqa: A001 - the name says what it does
    """Compile an RE2-syntax pattern for matching bytes. latin1: each byte is one character (keyword finders);
    otherwise UTF-8 (a pattern's non-ASCII literals match their UTF-8 bytes).

    For the engine's own and the shipped patterns, which the test suite compiles with RE2: under the stdlib
    matcher they are not checked for RE2 syntax again. A user's pattern goes through compile_user."""
    source = pattern if isinstance(pattern, bytes) else pattern.encode("utf-8")
    if BACKEND == "re2":
        return _compile_re2(source, latin1)
    compiled = _STDLIB_COMPILED.get(source)
    if compiled is None:  # rules sharing a value shape share its pattern (it holds no state)
        compiled = _STDLIB_COMPILED[source] = StdlibPattern(source, vetted=True)
    return compiled


_STDLIB_COMPILED: dict[bytes, Any] = {}


_RE2_OPTIONS: dict[bool, Any] = {}


def _compile_re2(source: bytes, latin1: bool) -> Any:
    import re2

    options = _RE2_OPTIONS.get(latin1)
    if options is None:
        options = _RE2_OPTIONS[latin1] = re2.Options()
        options.log_errors = False  # RE2 would otherwise write parse errors to stderr itself
        options.max_mem = 64 << 20
        if latin1:
            options.encoding = re2.Options.Encoding.LATIN1
    try:
        return re2.compile(source, options)
    except re2.error as exc:
        reason = exc.args[0].decode("utf-8", "replace") if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        raise RegexError(reason) from None


class StdlibPattern:
    """A pattern run by the standard library's `re`, with RE2's meaning where the two differ:
    `$` (outside multi-line mode) is the end of the text only, `\\z` is the end of the text, and pos/endpos
    may be None. Lookarounds, backreferences and POSIX classes are refused (not RE2 syntax).

    A pattern that starts with an unbounded run (`[\\w.-]*?key`, the shape of most credential-name rules) is
    retried by a backtracking matcher from every byte of a long run: quadratic. Where a match can start inside
    a run it can also start one byte earlier, so the leftmost match starts where a run starts (or at pos):
    searches use a copy that only starts where the previous byte is outside the run, after trying pos itself.
    """

    __slots__ = ("pattern", "_compiled", "_run_starts", "_runs", "groups", "groupindex")

    def __init__(self, source: bytes, vetted: bool = False) -> None:
        """vetted: a pattern the test suite compiles with RE2 (shipped, the engine's own), not checked again."""
        import re
        import warnings

        self.pattern = source
        text = source.decode("utf-8", "surrogateescape")
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error")  # '[[:alpha:]]' is only a FutureWarning to `re`
                rewritten = _rewrite(text).encode("utf-8", "surrogateescape")
                parsed = _parse(rewritten)  # parsed once: compiled as is, then guarded below
                self._compiled = _compile_parsed(parsed)
        except (re.error, FutureWarning, RecursionError, OverflowError) as exc:
            raise RegexError(f"{exc}") from None
        refused = "" if vetted else _not_re2(parsed)
        if refused:
            raise RegexError(refused)
        self._runs = _run_filters(parsed, _constants())
        self._run_starts = None
        if self._runs is None and _guard_leading_runs(parsed, _constants()):
            self._run_starts = _compile_parsed(parsed)
        self.groups = self._compiled.groups
        self.groupindex = self._compiled.groupindex

    def __reduce__(self) -> tuple:
        return StdlibPattern, (self.pattern,)

    def search(self, data: bytes, pos: int | None = None, endpos: int | None = None) -> Any:
        pos = pos or 0
        endpos = len(data) if endpos is None else endpos
        if self._runs is not None:
            return self._search_runs(data, pos, endpos)
        if self._run_starts is None:
            return self._compiled.search(data, pos, endpos)
        return self._compiled.match(data, pos, endpos) or self._run_starts.search(data, pos, endpos)

    def _search_runs(self, data: bytes, pos: int, endpos: int) -> Any:
        """search() for a pattern whose every alternative needs a long run of a few bytes (see _run_filters): each
        alternative is searched only in the runs long enough for it; the whole pattern then matches anchored at
        the leftmost start found, which is where an unanchored search would have matched."""
        size = len(data)
        endpos = size if endpos > size else endpos
        pos = 0 if pos < 0 else pos
        if pos > endpos:
            return None
        best = -1
        for run in self._runs:
            start = run.first(data, pos, endpos, best)
            if start >= 0 and (best < 0 or start < best):
                best = start
        return None if best < 0 else self._compiled.match(data, best, endpos)

    def match(self, data: bytes, pos: int | None = None, endpos: int | None = None) -> Any:
        return self._compiled.match(data, pos or 0, len(data) if endpos is None else endpos)

    def fullmatch(self, data: bytes, pos: int | None = None, endpos: int | None = None) -> Any:
        return self._compiled.fullmatch(data, pos or 0, len(data) if endpos is None else endpos)

    def finditer(self, data: bytes, pos: int | None = None, endpos: int | None = None) -> Iterator[Any]:
        pos = pos or 0
        endpos = len(data) if endpos is None else endpos
        if self._run_starts is None and self._runs is None:
            yield from self._compiled.finditer(data, pos, endpos)
            return
        while pos <= endpos:
            m = self.search(data, pos, endpos)
            if m is None:
                return
            yield m
            pos = m.end() if m.end() > m.start() else m.end() + 1


# -- run filters: a pattern that needs a long run of a few bytes is searched only where such runs are ------------
MIN_RUN = 16          # the shortest run worth filtering for: shorter ones are everywhere in text
MAX_RUN_BYTES = 128   # the most distinct bytes a run may hold: letters, digits, blanks and some punctuation
_ALL_BYTES = frozenset(range(256))
_CATEGORY_BYTES = {"CATEGORY_DIGIT": frozenset(b"0123456789"),
                   "CATEGORY_SPACE": frozenset(b" \t\n\r\f\v\x1c\x1d\x1e\x1f"),
                   "CATEGORY_WORD": frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")}


class _RunFilter:
    """One alternative of a pattern, searched only in the runs of its core's bytes long enough for its core.

    The alternative is `lead core trail`: lead and trail consume at most `lead` and `trail` bytes (a boundary
    character such as [^A-Za-z0-9_] or nothing at all: ^, \b, $), the core only bytes of `alphabet` and at least
    `width` of them. So every match lies within [run start - lead, run end + trail] of a run of at least `width`
    alphabet bytes, and looking at one byte more (anchors after the trail) decides it exactly as the whole text
    would. Runs are found with bytes.translate (alphabet bytes to 'a') and bytes.find of `width` a's: C speed,
    where a backtracking search tries the alternative at every byte."""

    __slots__ = ("table", "needle", "lead", "trail", "regex", "_run")

    def __init__(self, alphabet: frozenset, width: int, lead: int, trail: int, regex: Any) -> None:
        self.table = bytes(97 if b in alphabet else 46 for b in range(256))  # 'a' in a run, '.' outside
        self.needle = b"a" * width
        self.lead, self.trail, self.regex = lead, trail, regex
        # the last long run whose end was found: (data, start, end). A search resumed inside it (the next
        # match of a pattern matching all along a 50 MB run of hex) searches it again without translating
        # the rest of the run once more: that made a search per match quadratic in the run's length.
        self._run: tuple = (None, 0, 0)

    def first(self, data: bytes, pos: int, endpos: int, before: int) -> int:
        """Where the alternative's leftmost match in data[pos:endpos] starts (-1: none, or none before `before`
        when that is >= 0). The text is translated in chunks that double from pos on: memory stays small, and a
        search that succeeds early translates at most twice what it looked at."""
        table, needle, lead, width = self.table, self.needle, self.lead, len(self.needle)
        # only a match starting before `before` matters: its core, and so its run, starts before before + lead
        limit = endpos if before < 0 else min(endpos, before + lead + width)
        chunk = max(4096, 4 * width)
        lo, runs = pos, b""  # runs: data[lo:lo + len(runs)] translated
        at = pos
        known, run_start, run_end = self._run
        if known is data and run_start <= pos and pos + width <= min(run_end, limit) and run_end <= endpos:
            # what the loop below does for a pos inside this run, without translating it again
            m = self.regex.search(data, pos, min(endpos, run_end + self.trail + 1))
            if m is not None:
                return m.start()
            at = lo = run_end
        while at + width <= limit:
            i = runs.find(needle, at - lo, limit - lo)
            if i < 0:
                covered = lo + len(runs)
                if covered >= limit:
                    return -1
                at = lo = max(at, covered - width + 1)  # a run may go on into the next chunk
                runs = data[lo:min(endpos, lo + chunk)].translate(table)
                chunk = min(2 * chunk, 1 << 22)
                continue
            end = runs.find(b".", i + width)
            while end < 0 and lo + len(runs) < endpos:  # the run goes on past the chunk
                seen = len(runs)
                runs += data[lo + seen:min(endpos, lo + seen + chunk)].translate(table)
                chunk = min(2 * chunk, 1 << 22)
                end = runs.find(b".", seen)
            if end < 0:
                end = endpos
                if endpos == len(data):  # the run ends with the text: a true end too
                    self._run = (data, lo + i, end)
            else:
                end = lo + end
                self._run = (data, lo + i, end)
            m = self.regex.search(data, max(pos, lo + i - lead), min(endpos, end + self.trail + 1))
            if m is not None:
                return m.start()
            at = end
        return -1


def _run_filters(parsed: Any, c: Any) -> tuple | None:
    """A _RunFilter per top-level alternative when they need long runs of a few bytes, else None. A few
    alternatives that do not (at most a third) are searched as they are, each alone."""
    alternation = len(parsed.data) == 1 and parsed.data[0][0] in (c.BRANCH, c.SUBPATTERN)
    if not alternation and parsed.getwidth()[0] < MIN_RUN:  # (the compile computed it already)
        return None
    items = _flattened(parsed.data, parsed.state.flags, c)
    branches = [items]
    if len(items) == 1 and items[0][0][0] == c.BRANCH:
        branches = [_flattened(branch.data, items[0][1], c) for branch in items[0][0][1][1]]
    shapes = [_run_shape(branch, parsed, c) for branch in branches]
    unfiltered = sum(shape is None for shape in shapes)
    if unfiltered * 3 > len(shapes):
        return None
    filters: list = []
    for branch, shape in zip(branches, shapes):
        regex = _Alternative(branch, parsed)
        filters.append(regex if shape is None else _RunFilter(*shape, regex))
    filters.sort(key=lambda f: isinstance(f, _Alternative))  # the cheap ones first: they bound the others
    return tuple(filters)


class _Alternative:
    """One alternative of a pattern, compiled alone at its first search (most texts never have a run long enough
    for it); searched like StdlibPattern.search (a leading run only from where the run starts). One that starts
    at a line's start (`(?m)^`) is searched as a newline followed by it, which `re` finds at memchr speed instead
    of trying the alternative at every byte."""

    __slots__ = ("branch", "parsed", "compiled", "run_starts", "after_newline")

    def __init__(self, branch: list, parsed: Any) -> None:
        self.branch, self.parsed = branch, parsed
        self.compiled = self.run_starts = self.after_newline = None

    def _compile(self) -> None:
        c, parsed = _constants(), self.parsed
        # from a copy of the alternative: the whole pattern's parse stays as it was compiled
        items = [_flagged(_copied(item), item_flags, parsed, c) for item, item_flags in self.branch]
        (op, av), flags = self.branch[0]
        if op == c.AT and av == c.AT_BEGINNING and flags & c.SRE_FLAG_MULTILINE:
            self.after_newline = _compile_parsed(type(parsed)(parsed.state, [(c.LITERAL, 10)] + _copied(items)))
        alone = type(parsed)(parsed.state, items)
        guarded = _copied(alone)
        self.run_starts = _compile_parsed(guarded) if _guard_leading_runs(guarded, c) else None
        self.compiled = _compile_parsed(alone)

    def search(self, data: bytes, pos: int, endpos: int) -> Any:
        if self.compiled is None:
            self._compile()
        if self.run_starts is None:
            return self.compiled.search(data, pos, endpos)
        return self.compiled.match(data, pos, endpos) or self.run_starts.search(data, pos, endpos)

    def first(self, data: bytes, pos: int, endpos: int, before: int) -> int:
        if self.compiled is None:
            self._compile()
        if self.after_newline is not None:
            if (pos == 0 or data[pos - 1] == 10) and self.compiled.match(data, pos, endpos) is not None:
                return pos
            m = self.after_newline.search(data, pos, endpos)
            return -1 if m is None else m.start() + 1
        m = self.search(data, pos, endpos)
        return -1 if m is None else m.start()


def _copied(node: Any) -> Any:
    """A copy of a parsed pattern (or of one of its items) that _guard_leading_runs may change in place."""
    if isinstance(node, list):
        return [_copied(x) for x in node]
    if isinstance(node, tuple):
        return tuple(_copied(x) for x in node)
    if hasattr(node, "data") and hasattr(node, "state"):  # a SubPattern
        return type(node)(node.state, _copied(node.data))
    return node


def _flattened(items: list, flags: int, c: Any) -> list:
    """A sequence with its non-capturing groups opened: [(item, the flags in force)]."""
    out: list = []
    for op, av in items:
        if op == c.SUBPATTERN and av[0] is None:
            out.extend(_flattened(av[-1].data, (flags | av[1]) & ~av[2], c))
        else:
            out.append(((op, av), flags))
    return out


def _flagged(item: Any, item_flags: int, parsed: Any, c: Any) -> Any:
    """An item of a flattened sequence, inside a group setting its flags again when they differ."""
    flags = parsed.state.flags
    if item_flags == flags:
        return item
    return (c.SUBPATTERN, (None, item_flags & ~flags, flags & ~item_flags, type(parsed)(parsed.state, [item])))


def _run_shape(branch: list, parsed: Any, c: Any) -> tuple[frozenset, int, int, int] | None:
    """(core alphabet, core's least width, lead bytes, trail bytes) of a flattened alternative, or None when its
    core is not a long run of a few bytes."""
    widths = [type(parsed)(parsed.state, [item]).getwidth() for item, _ in branch]
    if sum(w[0] for w in widths) < MIN_RUN:
        return None
    lo, hi = 0, len(branch)
    lead = trail = 0
    while lo < hi and lead + widths[lo][1] <= 1:
        lead += widths[lo][1]
        lo += 1
    while hi > lo and trail + widths[hi - 1][1] <= 1:
        trail += widths[hi - 1][1]
        hi -= 1
    core = sum(w[0] for w in widths[lo:hi])
    alphabet: set[int] = set()
    if core < MIN_RUN or not all(_add_bytes([item], item_flags, c, alphabet) for item, item_flags in branch[lo:hi]):
        return None
    return frozenset(alphabet), core, lead, trail


def _add_bytes(items: Any, flags: int, c: Any, found: set[int]) -> bool:
    """Add every byte the items can consume to `found`; False when one is not known (a lookaround) or when they
    are more than MAX_RUN_BYTES."""
    fold = bool(flags & c.SRE_FLAG_IGNORECASE)
    for op, av in items:
        if op == c.LITERAL:
            found.add(av)
        elif op == c.IN:
            members = _class_bytes(av, c)
            if members is None:
                return False
            found |= members
        elif op == c.AT:
            continue
        elif op == c.SUBPATTERN:
            if not _add_bytes(av[-1], (flags | av[1]) & ~av[2], c, found):
                return False
        elif op == c.BRANCH:
            if not all(_add_bytes(branch, flags, c, found) for branch in av[1]):
                return False
        elif op in (c.MAX_REPEAT, c.MIN_REPEAT):
            if not _add_bytes(av[2], flags, c, found):
                return False
        else:  # NOT_LITERAL, ANY: (nearly) every byte; a lookaround, a reference: not followed
            return False
        if fold:
            found |= {b ^ 32 for b in found if 65 <= b <= 90 or 97 <= b <= 122}
        if len(found) > MAX_RUN_BYTES:
            return False
    return True


def _class_bytes(members: list, c: Any) -> set[int] | None:
    """The bytes a character class matches, or more (never fewer)."""
    found: set[int] = set()
    negate = False
    for kind, value in members:
        if kind == c.NEGATE:
            negate = True
        elif kind == c.LITERAL:
            found.add(value)
        elif kind == c.RANGE:
            found.update(range(value[0], value[1] + 1))
        elif kind == c.CATEGORY:
            positive = _CATEGORY_BYTES.get(str(value))
            if positive is None:  # \D, \S, \W, or a category this does not know: any byte
                return set(_ALL_BYTES)
            found |= positive
        else:
            return None
    if negate:  # the complement of a class holding a category is left as any byte: its bytes were a superset
        return set(_ALL_BYTES) if any(kind == c.CATEGORY for kind, _ in members) else set(_ALL_BYTES - found)
    return found


def _guard_leading_runs(parsed: Any, c: Any) -> bool:
    """Put `(?<!x)` before each unbounded single-byte run `x*`/`x+` that can begin a match (through groups and
    alternatives); True if any was guarded. Changes `parsed` in place."""
    items = parsed.data
    for i, (op, av) in enumerate(items):
        if op == c.AT:
            return False  # anchored: no retry from every byte
        if op == c.SUBPATTERN:
            return _guard_leading_runs(av[-1], c)
        if op == c.BRANCH:
            guarded = [_guard_leading_runs(branch, c) for branch in av[1]]
            return any(guarded)
        if op in (c.MAX_REPEAT, c.MIN_REPEAT) and av[1] == c.MAXREPEAT and len(av[2].data) == 1 \
                and av[2].data[0][0] in (c.IN, c.LITERAL, c.NOT_LITERAL, c.ANY):
            item = type(parsed)(parsed.state, [av[2].data[0]])
            items.insert(i, (c.ASSERT_NOT, (-1, item)))
            return True
        return False
    return False


def _compile_parsed(parsed: Any) -> Any:
    try:
        import re._compiler as compiler  # Python 3.11+
    except ImportError:
        import sre_compile as compiler  # type: ignore[no-redef]
    return compiler.compile(parsed)


def _rewrite(text: str) -> str:
    """RE2 meanings in `re` spelling: outside multi-line mode `$` is the end of the text (in `re` it also matches
    before a final newline), and `\\z` is `re`'s `\\Z`."""
    multiline = _has_inline_m(text)
    out: list[str] = []
    i, in_class = 0, False
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text):
            pair = text[i: i + 2]
            out.append("\\Z" if pair == "\\z" and not in_class else pair)
            i += 2
            continue
        if in_class:
            if c == "]":
                in_class = False
        elif c == "[":
            in_class = True
            if text.startswith("[^]", i) or text.startswith("[]", i):  # a leading ']' is a literal
                out.append(text[i: i + (3 if text[i + 1] == "^" else 2)])
                i += 3 if text[i + 1] == "^" else 2
                continue
        elif c == "$" and not multiline:
            out.append("\\Z")
            i += 1
            continue
        out.append(c)
        i += 1
    return "".join(out)


def _has_inline_m(text: str) -> bool:
    import re

    return re.search(r"\(\?[a-zA-Z]*m[a-zA-Z-]*[:)]", text) is not None


def _parse(text: str) -> Any:
    try:
        import re._parser as parser  # Python 3.11+
    except ImportError:
        import sre_parse as parser  # type: ignore[no-redef]
    return parser.parse(text)


def _constants() -> Any:
    try:
        import re._constants as constants  # Python 3.11+
    except ImportError:
        import sre_constants as constants  # type: ignore[no-redef]
    return constants


def _walk(parsed: Any) -> Iterator[tuple[Any, Any]]:
    """Every (op, argument) of a parsed pattern, depth first."""
    c = _constants()
    for op, av in parsed:
        yield op, av
        if op in (c.MAX_REPEAT, c.MIN_REPEAT) or op == getattr(c, "POSSESSIVE_REPEAT", None):
            yield from _walk(av[2])
        elif op == c.SUBPATTERN:
            yield from _walk(av[-1])
        elif op == c.BRANCH:
            for branch in av[1]:
                yield from _walk(branch)
        elif op in (c.ASSERT, c.ASSERT_NOT) or op == getattr(c, "ATOMIC_GROUP", None):
            yield from _walk(av[-1])
        elif op == c.GROUPREF_EXISTS:
            yield from _walk(av[1])
            if av[2] is not None:
                yield from _walk(av[2])


def _not_re2(parsed: Any) -> str:
    """Why a parsed pattern is not RE2 syntax ('' when it is)."""
    c = _constants()
    names = {c.ASSERT: "lookarounds", c.ASSERT_NOT: "lookarounds", c.GROUPREF: "backreferences",
             c.GROUPREF_EXISTS: "conditionals"}
    for extra in ("ATOMIC_GROUP", "POSSESSIVE_REPEAT"):
        if hasattr(c, extra):
            names[getattr(c, extra)] = "atomic groups and possessive quantifiers"
    for op, _ in _walk(parsed):
        if op in names:
            return f"{names[op]} are not RE2 syntax; patterns use RE2 syntax, which runs in linear time"
    return ""


def star_height(pattern: str | bytes) -> int:
    """How deeply repetitions nest (`a*` is 1, `(?:a+b)*` is 2): under a backtracking matcher a repeated group
    holding a repetition is the shape of catastrophic patterns like `(a+)+$`; RE2 does not care."""
    text = pattern.decode("utf-8", "surrogateescape") if isinstance(pattern, bytes) else pattern
    c = _constants()
    repeats = {c.MAX_REPEAT, c.MIN_REPEAT}

    def height(parsed: Any) -> int:
        best = 0
        for op, av in parsed:
            if op in repeats:
                best = max(best, height(av[2]) + (1 if av[1] > 1 else 0))
            elif op == c.SUBPATTERN:
                best = max(best, height(av[-1]))
            elif op == c.BRANCH:
                best = max([best] + [height(b) for b in av[1]])
        return best

    return height(_parse(_rewrite(text)))


def _first_bytes(parsed: Any, c: Any) -> set[int] | None:
    """The bytes a parsed sequence can start with; None when it could be anything (or may be empty)."""
    for op, av in parsed:
        if op == c.AT:
            continue  # an anchor consumes nothing: the next item decides
        if op == c.LITERAL:
            return {av}
        if op == c.IN:
            found: set[int] = set()
            for kind, value in av:
                if kind == c.LITERAL:
                    found.add(value)
                elif kind == c.RANGE:
                    found.update(range(value[0], value[1] + 1))
                else:  # negation or a category such as \w: treat as anything
                    return None
            return found
        if op == c.SUBPATTERN:
            return _first_bytes(av[-1], c)
        if op == c.BRANCH:
            union: set[int] = set()
            for branch in av[1]:
                first = _first_bytes(branch, c)
                if first is None:
                    return None
                union |= first
            return union
        if op in (c.MAX_REPEAT, c.MIN_REPEAT) and av[0] >= 1:
            return _first_bytes(av[2], c)
        return None
    return None


def _ambiguous_repeat(parsed: Any, c: Any, repeated: bool = False) -> bool:
    """True when a repetition holds a repetition, or an alternation whose branches can start alike: the shapes
    that let a backtracking matcher split one text into iterations in exponentially many ways."""
    for op, av in parsed:
        if op in (c.MAX_REPEAT, c.MIN_REPEAT):
            many = av[1] > 1
            if many and repeated:
                return True
            if _ambiguous_repeat(av[2], c, repeated or many):
                return True
        elif op == c.SUBPATTERN:
            if _ambiguous_repeat(av[-1], c, repeated):
                return True
        elif op == c.BRANCH:
            if repeated:
                seen: set[int] = set()
                for branch in av[1]:
                    first = _first_bytes(branch, c)
                    if first is None or first & seen:
                        return True
                    seen |= first
            if any(_ambiguous_repeat(b, c, repeated) for b in av[1]):
                return True
    return False


def backtracking_hazard(pattern: str | bytes) -> str:
    """Why a user's pattern could take exponential time under the stdlib matcher ('' when it cannot)."""
    text = pattern.decode("utf-8", "surrogateescape") if isinstance(pattern, bytes) else pattern
    try:
        hazard = _ambiguous_repeat(_parse(_rewrite(text)), _constants())
    except Exception:  # unparsable: compile() reports it
        return ""
    if hazard:
        return ("a repeated group holds a repetition or alternatives that start alike (like (a+)+, (\\w+\\s?)* "
                "or (a|ab)*), which can take exponential time without google-re2; " + INSTALL_HINT)
    return ""


def compile_user(pattern: str | bytes, latin1: bool = False) -> Any:
    """compile() for a pattern from a user's file: under the stdlib matcher, refuse what is not RE2 syntax
    (lookarounds, backreferences) and backtracking hazards."""
    if BACKEND == "re":
        hazard = backtracking_hazard(pattern)
        if hazard:
            raise RegexError(hazard)
        return StdlibPattern(pattern if isinstance(pattern, bytes) else pattern.encode("utf-8"))
    return compile(pattern, latin1)



def find_keywords(keywords: list[bytes], data: bytes) -> dict[int, list[int]]:
    """Offsets of every occurrence of each (lower-case) keyword in data, ASCII case-insensitively: the stdlib
    matcher's keyword pass. One search of data.lower() for the keywords as a trie (`bin(?:ance(?:us|)|gx)`: at
    most one branch can go on at each byte, so a failing position costs a few byte tests, where a plain
    alternation of ~300 words would try each), restarted one byte after each hit; the longest keyword found at
    a place gives every keyword that is a prefix of it, found there too."""
    finder = _KEYWORD_TRIES.get(id(keywords))
    if finder is None or finder[0] is not keywords:
        if len(_KEYWORD_TRIES) >= 16:
            _KEYWORD_TRIES.clear()
        finder = _KEYWORD_TRIES[id(keywords)] = (keywords, *_keyword_trie(keywords))
    _, trie, implied = finder
    found: dict[int, list[int]] = {}
    if trie is None:
        return found
    lower = data.lower()
    search = trie.search
    m = search(lower)
    while m is not None:
        at = m.start()
        for i in implied[m.group()]:
            hits = found.get(i)
            if hits is None:
                found[i] = [at]
            else:
                hits.append(at)
        m = search(lower, at + 1)
    return found


_KEYWORD_TRIES: dict[int, tuple] = {}  # id of a keyword list -> (the list, its compiled trie, implied ids)


def _keyword_trie(keywords: list[bytes]) -> tuple[Any, dict[bytes, tuple[int, ...]]]:
    """The keywords as one `re` pattern shaped like their trie, and for each keyword the ids of the keywords that
    are prefixes of it (itself included)."""
    import re

    ids = {k: i for i, k in enumerate(keywords) if k}
    implied = {k: tuple(ids[k[:n]] for n in range(1, len(k) + 1) if k[:n] in ids) for k in ids}
    if not ids:
        return None, implied
    root: dict = {}
    for k in ids:
        node = root
        for byte in k:
            node = node.setdefault(byte, {})
        node[None] = {}  # a keyword ends here

    def pattern(node: dict) -> bytes:
        branches = [re.escape(bytes([byte])) + pattern(child) for byte, child in sorted(node.items(), key=lambda kv:
                    -1 if kv[0] is None else kv[0]) if byte is not None]
        if None in node:
            branches.append(b"")  # the keyword ending here: tried after every longer one
        if len(branches) == 1:
            return branches[0]
        return b"(?:" + b"|".join(branches) + b")"
    return re.compile(pattern(root)), implied
