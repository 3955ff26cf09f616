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

    __slots__ = ("pattern", "_compiled", "_run_starts", "groups", "groupindex")

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
        self._run_starts = _compile_parsed(parsed) if _guard_leading_runs(parsed, _constants()) else None
        self.groups = self._compiled.groups
        self.groupindex = self._compiled.groupindex

    def __reduce__(self) -> tuple:
        return StdlibPattern, (self.pattern,)

    def search(self, data: bytes, pos: int | None = None, endpos: int | None = None) -> Any:
        pos = pos or 0
        endpos = len(data) if endpos is None else endpos
        if self._run_starts is None:
            return self._compiled.search(data, pos, endpos)
        return self._compiled.match(data, pos, endpos) or self._run_starts.search(data, pos, endpos)

    def match(self, data: bytes, pos: int | None = None, endpos: int | None = None) -> Any:
        return self._compiled.match(data, pos or 0, len(data) if endpos is None else endpos)

    def fullmatch(self, data: bytes, pos: int | None = None, endpos: int | None = None) -> Any:
        return self._compiled.fullmatch(data, pos or 0, len(data) if endpos is None else endpos)

    def finditer(self, data: bytes, pos: int | None = None, endpos: int | None = None) -> Iterator[Any]:
        pos = pos or 0
        endpos = len(data) if endpos is None else endpos
        if self._run_starts is None:
            yield from self._compiled.finditer(data, pos, endpos)
            return
        while pos <= endpos:
            m = self.search(data, pos, endpos)
            if m is None:
                return
            yield m
            pos = m.end() if m.end() > m.start() else m.end() + 1


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
    matcher's keyword pass. An alternation of ~80 literals backtracks through each at every byte (~10x slower
    than RE2); bytes.find per keyword on data.lower() runs at memchr speed."""
    lower = data.lower()
    found: dict[int, list[int]] = {}
    for i, keyword in enumerate(keywords):
        at = lower.find(keyword)
        if at < 0:
            continue
        hits = found[i] = []
        while at >= 0:
            hits.append(at)
            at = lower.find(keyword, at + 1)
    return found
