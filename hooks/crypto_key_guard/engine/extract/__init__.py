"""Step one of the engine: extraction. Text in, candidate (name, value, position) entries out.

Extraction knows syntax and nothing about secrets: which text is a name, which text is the value given to it,
where that value sits, how it was quoted and whether it was decoded. It reads the regions the keyword pass
selected with a few linear-time RE2 searches (one per syntax family) and small bounded readers for values:

- assignments and key/value entries: `NAME = v`, `name: v`, `"name": "v"`, `'name' => 'v'`, `name := v`,
  `NAME ?= v`, `let name: &str = "v"`, `$name = 'v'`, `:name => 'v'`, `export NAME=v`, `ENV NAME v`,
  `X-MBX-APIKEY: v`, `?apikey=v&secret=v`, attributes `apiKey="v"`;
- values: quoted strings (single, double, backtick, triple, JSON-escaped `\\"`, b/r/u/f prefixes) with their
  concatenations (`"a" + "b"`, implicit, across lines inside parentheses) joined; bare tokens (.env, INI,
  YAML, Makefile, CLI); YAML block scalars, tags and anchors; lists (each element inherits the list's name);
  env reads with a literal fallback (`os.getenv("X", "v")`, `os.getenv("X") or "v"`, `process.env.X || "v"`,
  `${X:-v}`) give the fallback, an env read alone gives nothing; calls give their literal argument
  (`SecretStr("v")`, `Field(default="v")`);
- calls: `Client("k", "s")`, `sign_transaction(tx, "0x..")` (positional literals, named by the callee),
  `os.environ.setdefault("NAME", "v")`, `add_argument("--api-key", default="v")` (a name and its value);
- CLI flags `--api-key v` / `--secret=v`; XML elements `<apiKey>v</apiKey>`; URL userinfo; CSV/TSV/Markdown
  tables with a header row; Kubernetes/ECS `name: X` + `value: v` pairs; `"0x..".parse::<LocalWallet>()`.

Nested names (`exchanges.binance.secret`, a `[binance]` section, `ccxt.binance({...})`) are found lazily by
`enclosing_names`, only for the few entries whose value already has a secret's shape. Every reader is bounded,
so the work is linear in the region size.
"""
from __future__ import annotations

from crypto_key_guard.engine.extract.names import dotted_reference, random_run, words_of

MAX_STRING = 16384      # longest quoted value read (a PEM block in a string)
MAX_LIST = 65536        # bytes of a list literal read
MAX_BLOCK = 65536       # bytes of a YAML block scalar or a YAML list read
MAX_CALL = 4096         # bytes of a call's argument list read
MAX_CSV_BYTES = 1 << 20
PATH_BACK = 16384       # bytes looked back for the names enclosing an entry


class Entry:
    """A candidate: `value` (text, never printed) named `name` at data[start:end]."""

    __slots__ = ("name", "alt", "value", "start", "end", "quote", "layout", "callee", "decoded")

    def __init__(self, name: str, value: str, start: int, end: int, quote: str = "", layout: str = "code",
                 callee: str = "", alt: str = "", decoded: str = "") -> None:
        self.name = name          # the entry's own name ("" for a positional argument)
        self.alt = alt            # a second name: the env variable read beside a literal fallback
        self.value = value
        self.start = start
        self.end = end
        self.quote = quote        # the quote written around the value ("" bare, '"""', "block", ...)
        self.layout = layout      # quoted | env | ini | yaml | cli | xml | csv | url | list | call | output |
        #                           positional
        self.callee = callee      # for a positional argument: the function or constructor called
        self.decoded = decoded    # "" or how the value was decoded (base64, hex, percent)

    def __repr__(self) -> str:  # never the value
        return f"Entry({self.name!r}, {self.start}:{self.end}, {self.layout}, callee={self.callee!r})"

    def names(self) -> tuple[str, ...]:
        return (self.name, self.alt) if self.alt else (self.name,)


# -- regexes (RE2, bytes): compiled once per name filter, through the rules' one compile function -------------
# NAME is replaced by a name pattern: any name, or (the usual case) only names holding one of the words the
# active rules need (`_named`), so that code full of ordinary assignments costs one RE2 pass and nothing more.
_NAME_ANY = rb"[A-Za-z_][A-Za-z0-9_.\-]*"
_ASSIGN = (
    rb"(?m)(?:^|[^A-Za-z0-9_$@.\-])(?P<name>[$@]?NAME)(?:\\?[\"'`])?\]?[ \t]*"
    rb"(?P<op>:=|\?\?=|\?=|\+=|\.=|\|\|=|:::=|::=|=>|==|=|<<?-[ \t]|->|to[ \t]|(?:string|\[\]byte)[ \t]*=|"
    rb"As[ \t]+[A-Za-z_][A-Za-z0-9_.]*[ \t]*=|\{[ \t]*get;[^{}\r\n]{0,40}\}[ \t]*=|:[ \t]*[&*]?(?:'[a-z_]+[ \t]+)?[A-Za-z_][A-Za-z0-9_.:<>\[\], |&*]{0,60}?[ \t]+=|:)[ \t]*")
_ENV = rb"(?m)^[ \t]*(?:ENV|ARG|setx|SETX|set[ \t]+-[gUxlu]+|#[ \t]*define)[ \t]+(?P<name>NAME)[ \t]+"
_CLI = rb"(?:^|[\s\"'(\[,])(?P<name>--?NAME)(?P<op>=|[ \t]+)"
# a call with a literal first (or second) argument, named by its callee: Client("k", "s"), sign_transaction(tx, "0x")
_CALL_POS = (rb"(?P<callee>)[ \t]*\((?P<open>)[ \t\r\n]*"
             rb"(?:[A-Za-z_$][A-Za-z0-9_$.]*[ \t]*,[ \t\r\n]*)?(?:[bBrRuUfF]{0,2}\\?[\"'`]|0[xX][0-9a-fA-F])")
# the callee a positional call must end with (checked on the identifier before the parenthesis)
_CALL_POS_CALLEE = rb"(?:CALLEE)(?:::[A-Za-z_][A-Za-z0-9_]*)*$"
# a call whose first literal argument names the next: os.getenv("X", "v"), add_argument("--api-key", default="v"),
# after an object: setattr(settings, "X", "v"), getattr(config, "X", "v"); after a section or a file, three literals:
# config.set("binance", "secret", "v"), keyring.set_password("binance", "api_secret", "v"), set_key(".env", "X", "v")
# The callee is read backwards from the parenthesis (_callee_before), not matched: a leading unbounded run
# would make a backtracking matcher (the stdlib fallback) quadratic on a long identifier-like run.
_CALL_NAMED = (rb"(?P<callee>)[ \t]*\((?P<open>)[ \t\r\n]*"
               rb"(?:(?:[A-Za-z_$][A-Za-z0-9_$.]*|[\"'][^\"'\r\n]{0,200}[\"'])[ \t]*,[ \t\r\n]*)?"
               rb"[bBrRuU]?\\?[\"'`]-{0,2}NAME"
               rb"\\?[\"'`][ \t\r\n]*,")
# a Kubernetes/ECS env entry: `- name: X` + `value: v`, {"name": "X", "value": "v"}
_PAIR = (rb"(?:^|[\s{,<])[\"']?(?:name|key|Name|Key)[\"']?[ \t]*[:=][ \t]*[\"']?(?P<name>NAME)[\"']?[ \t]*"
         rb"(?P<sep>,[ \t]*\r?\n|,|\r?\n|[ \t])[ \t]*(?:-[ \t]+)?[\"']?(?:value|Value)[\"']?[ \t]*[:=][ \t]*")
# a command line starting a script or bot: its positional arguments after a subject word (an exchange's name)
_COMMAND = (rb"(?m)^[ \t]*(?:[$>][ \t]+)?(?:sudo[ \t]+)?(?:exec[ \t]+)?(?:python[0-9.]*(?:[ \t]+-[A-Za-z])?|node|ts-node|bun|"
            rb"deno[ \t]+run|ruby|php|java[ \t]+-jar|go[ \t]+run|cargo[ \t]+run[ \t]+--|\./[A-Za-z0-9_.\-/]+|bash|sh)"
            rb"[ \t][^\r\n]*")
# the conventional order of credentials given positionally after the exchange (`bot.py binance KEY SECRET [PASS]`)
_POSITIONAL_ROLES = ("api_key", "api_secret", "passphrase")
MIN_POSITIONAL = 12
MAX_COMMAND = 600   # bytes of a command line read
# a Terraform/HCL input variable: its `default = v` is the value of the variable's name
_HCL_VARIABLE = rb"(?m)^[ \t]*variable[ \t]+\"(?P<name>NAME)\"[ \t]*\{"
_HCL_DEFAULT = rb"(?m)^[ \t]*default[ \t]*=[ \t]*"
MAX_HCL_BLOCK = 4096
_INSERT = rb"(?i:insert[ \t]+into)[ \t]+[^ \t(]+[ \t]*\((?P<cols>[^()]+)\)[ \t\r\n]*(?i:values)[ \t\r\n]*\("
# an element's text, also alone on the line between its tags (<apiKey>\n    v\n</apiKey>)
_XML = (rb"<(?P<name>NAME)(?:[ \t][^<>\n]{0,200})?>[ \t]*(?:\r?\n[ \t]*)?(?P<value>[^<>\s][^<>\r\n]*)"
        rb"(?:\r?\n[ \t]*)?</(?P<close>[A-Za-z_][A-Za-z0-9_.:\-]*)>")
_USERINFO = rb"[A-Za-z][A-Za-z0-9+.\-]{1,15}://(?P<user>[^:/@\s\"'`]*):(?P<pw>[^@/\s\"'`]+)@(?P<host>[A-Za-z0-9.\-]+)"
# ${X:-v} / ${X-v} / ${X:=v} (shell, compose), ${binance.api.key:v} (Spring placeholders, @Value defaults)
_DEFAULT = (rb"\$\{(?:(?P<name>[A-Za-z_][A-Za-z0-9_]*):?[-=]|(?P<dotted>[A-Za-z_][A-Za-z0-9_.\-]*):)"
            rb"(?P<value>[^}\s\"'`]+)\}")
_PARSE = (rb"[\"'](?P<value>[^\"'\r\n]{8,}?)[\"'][ \t]*(?:\r?\n[ \t]*)?\.parse::<"
          rb"(?P<callee>[A-Za-z_][A-Za-z0-9_:]*)>")
_TABLE = (rb"(?m)^[ \t]*\|?[ \t]*[A-Za-z_][A-Za-z0-9_ .\-]*(?:[ \t]*[,\t;|][ \t]*[A-Za-z_][A-Za-z0-9_ .\-]*)+"
          rb"[ \t]*\|?[ \t]*\r?$")

_COMPILED: dict[tuple, object] = {}


def _re(pattern: bytes, names: bytes = _NAME_ANY, callees: bytes = b""):
    key = (pattern, names, callees)
    rx = _COMPILED.get(key)
    if rx is None:
        from crypto_key_guard.engine.rules import compile_regex

        source = pattern.replace(b"NAME", names).replace(b"CALLEE", callees)
        rx = _COMPILED[key] = compile_regex(source.decode("latin-1"), "crypto_key_guard.engine.extract", None,
                                            shipped=True)
    return rx


class _Match:
    """The spans of one match (google-re2's native result): what the searches use of a match object, without
    the per-match cost of the wrapper's."""

    __slots__ = ("data", "spans")

    def __init__(self, data: bytes, spans) -> None:
        self.data, self.spans = data, spans

    def group(self, i: int = 0):
        a, b = self.spans[i]
        return None if a < 0 else self.data[a:b]

    def start(self, i: int = 0) -> int:
        return self.spans[i][0]

    def end(self, i: int = 0) -> int:
        return self.spans[i][1]


def _matches(rx, data: bytes, lo: int, hi: int):
    """Every match of rx in data[lo:hi] (the rest of data as context), left to right, not overlapping."""
    native = getattr(rx, "_regexp", None)
    if native is None or _UNANCHORED is None:  # another RE2 binding: its public finditer
        for m in rx.finditer(data, lo, hi):
            yield m
        return
    pos = lo
    while pos <= hi:
        spans = native.Match(_UNANCHORED, data, pos, hi)
        start, end = spans[0]
        if start < 0:
            return
        yield _Match(data, spans)
        pos = end if end > start else start + 1


def _unanchored():
    try:
        import re2

        return re2._Anchor.UNANCHORED  # type: ignore[attr-defined]
    except (ImportError, AttributeError):
        return None


_UNANCHORED = _unanchored()


def _spans(rx, data: bytes, lo: int, hi: int):
    """The spans (group 0, 1, ...) of the matches _matches finds, without a match object for each."""
    native = getattr(rx, "_regexp", None)
    if native is None or _UNANCHORED is None:
        groups = rx.groups
        for m in rx.finditer(data, lo, hi):
            yield [m.span(i) for i in range(groups + 1)]
        return
    match = native.Match
    pos = lo
    while pos <= hi:
        spans = match(_UNANCHORED, data, pos, hi)
        start, end = spans[0]
        if start < 0:
            return
        yield spans
        pos = end if end > start else start + 1


_PATTERNS: dict = {}


def _named(hints) -> bytes:
    """A name pattern for names holding one of the hints (lower-case substrings), in any case."""
    return _hinted(hints, rb"[A-Za-z_][A-Za-z0-9_.\-]*", rb"[A-Za-z0-9_.\-]*")


def _callee(hints) -> bytes:
    """A callee pattern for callees holding one of the hints ('from key': from_key, fromKey, FROMKEY, from.key)."""
    return _hinted(hints, rb"[A-Za-z_$][A-Za-z0-9_$.\\]*", rb"[A-Za-z0-9_$.]*")  # (a backslash: a PHP namespace)


def _hinted(hints, head: bytes, tail: bytes) -> bytes:
    """head? + one of the hints (its words joined by any separators, any case) + tail; built once per hint set."""
    key = (hints, head)
    pattern = _PATTERNS.get(key)
    if pattern is None:
        pattern = _PATTERNS[key] = rb"(?:" + head + rb"?)?(?i:" + hint_alternatives(hints) + rb")" + tail
    return pattern


def hint_alternatives(hints) -> bytes:
    """The hints as one alternation, each hint's words joined by any separators (`from key`: from_key, fromKey)."""
    key = (hints, None)
    alternatives = _PATTERNS.get(key)
    if alternatives is None:
        from crypto_key_guard.engine.regex import escape

        alternatives = _PATTERNS[key] = b"|".join(
            rb"[_.:\-]*".join(escape(t.encode("ascii", "ignore")) for t in h.split())
            for h in sorted(hints, key=len, reverse=True) if h)
    return alternatives


def _stdlib() -> bool:
    from crypto_key_guard.engine.regex import BACKEND

    return BACKEND == "re"


_STDLIB = _stdlib()
_FINDERS: dict = {}


def _finder(hints):
    """The HintFinder of a hint set (built once per set)."""
    finder = _FINDERS.get(hints)
    if finder is None:
        from crypto_key_guard.engine.extract.hints import HintFinder

        finder = _FINDERS[hints] = HintFinder(hints, lambda subset: _re(b"(?i:" + hint_alternatives(subset) + b")"))
    return finder


_QUOTES = b"\"'`"
_WS = b" \t"
_BARE_STOP = frozenset(b" \t\r\n\"'`;,&)}]<>|\\")
_IDENT = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_$.")
_FALLBACK_OPS = (b"||", b"??", b"or ", b"?:")
_FALLBACK_METHODS = frozenset((b"unwrap_or", b"unwrap_or_else", b"orElse", b"orElseGet"))
# after a bare value, another NAME=value on the line (`A=1 B=2 cmd`, `--options X=1 Y=2`) is no more code
# (or a flag: `heroku config:set A=v B=v -a app`)
_NEXT_ASSIGNMENT = __import__("re").compile(rb"[A-Za-z_][A-Za-z0-9_.]*=[^=]|--?[A-Za-z][A-Za-z0-9-]*(?:[ \t=]|$)", 8)
# after a bare YAML value and its comma, the next key of a flow mapping (`{apiKey: v, secret: w}`), not more words
_NEXT_FLOW_KEY = __import__("re").compile(rb",[ \t]*[\"']?[A-Za-z_][A-Za-z0-9_.\-]*[\"']?[ \t]*:[ \t]")
# what may follow a bare value on its line: the end of the line, a comment, the end of a JSON string holding the
# line ("KEY=v\n",), the next item or query parameter, the end of a flow mapping, Markdown's inline code
_BARE_END = frozenset(b"\r\n#;,\\\"'&}])/`")


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", "replace")


# -- strings --------------------------------------------------------------------------------------------------
def read_string(data: bytes, pos: int, limit: int):
    """A quoted string at pos: (content start, content end, position after it, quote) or None."""
    n = len(data)
    p = pos
    while p < n and p - pos < 2 and data[p] in b"bBrRuUfF":
        p += 1
    if p >= n:
        return None
    c = data[p]
    if c == 92 and p + 1 < n and data[p + 1] in b"\"'":  # \" : a JSON-escaped quote (notebook source)
        quote = data[p:p + 2]
        start = p + 2
        end = data.find(quote, start, min(n, start + MAX_STRING))
        if end < 0:
            return None
        if b"\n" in data[start:end]:
            return None
        return start, end, end + 2, quote.decode()
    if c not in _QUOTES:
        return None
    if p > pos and c == 96:
        return None
    triple = data[p:p + 3]
    if triple in (b'"""', b"'''"):
        start = p + 3
        end = data.find(triple, start, min(n, start + MAX_STRING))
        if end < 0:
            return None
        return start, end, end + 3, triple.decode()
    start = p + 1
    stop = min(n, start + MAX_STRING)
    q = start
    while True:
        end = data.find(bytes((c,)), q, stop)
        if end < 0:
            return None
        nl = data.find(b"\n", q, end)
        if nl >= 0 and c != 96:
            return None
        back = 0
        while end - back - 1 >= start and data[end - back - 1] == 92:
            back += 1
        if back % 2 == 0:
            return start, end, end + 1, chr(c)
        q = end + 1


def _skip(data: bytes, p: int, end: int, newlines: bool = False) -> int:
    ws = b" \t\r\n" if newlines else b" \t"
    while p < end and data[p] in ws:
        p += 1
    return p


def read_strings(data: bytes, pos: int, limit: int, in_parens: bool = False):
    """A string and the pieces concatenated to it ("a" "b", "a" + "b", across lines inside parentheses):
    (start, end, text, after, quote) or None."""
    first = read_string(data, pos, limit)
    if first is None:
        return None
    start, end, after, quote = first
    pieces = [data[start:end]]
    last_end = end
    for _ in range(64):
        p = _skip(data, after, len(data), in_parens)
        plus = p < len(data) and data[p] == 43  # '+'
        if plus:
            p = _skip(data, p + 1, len(data), True)
            if data[p:p + 2] == b"\\\n":  # `+ \` then the next piece on the next line
                p = _skip(data, p + 2, len(data), True)
        elif p < len(data) and data[p] == 92 and data[p + 1:p + 2] == b"\n":  # line continuation
            p = _skip(data, p + 2, len(data), True)
        nxt = read_string(data, p, limit) if p < len(data) and (data[p] in _QUOTES or data[p] == 92) else None
        if nxt is None or nxt[3] != quote or (not plus and p > after and not in_parens and b"\n" in data[after:p]):
            break
        pieces.append(data[nxt[0]:nxt[1]])
        last_end, after = nxt[1], nxt[2]
    return start, last_end, _text(b"".join(pieces)), after, quote


# -- values ---------------------------------------------------------------------------------------------------
def _line_indent(data: bytes, pos: int) -> tuple[int, int]:
    """(start of pos's line, its indentation in characters)."""
    ls = data.rfind(b"\n", 0, pos) + 1
    p = ls
    while p < len(data) and data[p] in _WS:
        p += 1
    return ls, p - ls


def _bare(data: bytes, pos: int, n: int) -> int:
    p = pos
    stop = min(n, pos + 4096)
    while p < stop and data[p] not in _BARE_STOP:
        p += 1
    return p


def _trimmed(data: bytes, start: int, end: int) -> tuple[int, int]:
    while start < end and data[start] in b" \t":
        start += 1
    while end > start and data[end - 1] in b" \t":
        end -= 1
    return start, end


def _name_like(text: str) -> bool:
    """A string that names something (an env variable, a flag, a config key), not a value."""
    if not text or len(text) > 80:
        return False
    body = text.lstrip("-")
    if not body or not (body[0].isalpha() or body[0] == "_"):
        return False
    if not all(ch.isalnum() or ch in "_.-" for ch in body):
        return False
    if random_run(body):  # a UUID or a hex token that starts with a letter (de95a367-a66b-...) names nothing
        return False
    if text.startswith("-") or any(ch in "_.-" for ch in body) or body.isupper():
        return True
    return not any(ch.isdigit() for ch in body)


def _call_args(data: bytes, open_paren: int):
    """Arguments of a call whose '(' is at open_paren: (positional literals [(start, end, text, quote)],
    keyword literals {name: (start, end, text, quote)}, position after ')'); only literal arguments count."""
    n = len(data)
    stop = min(n, open_paren + MAX_CALL)
    p = open_paren + 1
    positional: list = []
    keywords: dict = {}
    index = 0
    while p < stop:
        p = _skip(data, p, stop, True)
        if p >= stop:
            break
        c = data[p]
        if c == 41:  # ')'
            return positional, keywords, p + 1
        if c == 44:  # ','
            index += 1
            p += 1
            continue
        kw = None
        q = p
        while q < stop and (data[q] in _IDENT and data[q] != 46):
            q += 1
        if q > p:
            r = _skip(data, q, stop)
            if r < stop and data[r] == 61 and data[r + 1:r + 2] != b"=":  # name=
                kw = _text(data[p:q])
                p = _skip(data, r + 1, stop, True)
        s = read_strings(data, p, stop, True) if p < stop and (data[p] in _QUOTES or data[p] in b"bBrRuUfF\\") else None
        if s is not None:
            item = (s[0], s[1], s[2], s[4])
            if kw is None:
                positional.append((index,) + item)
            else:
                keywords[kw] = item
            p = s[3]
            continue
        if data[p:p + 2] in (b"0x", b"0X") and kw is None:
            e = _bare(data, p, stop)
            positional.append((index, p, e, _text(data[p:e]), ""))
            p = e
            continue
        # any other expression: skip to the next top-level ',' or ')'
        depth = 0
        if c in b"]}":  # unbalanced: not a call we can read
            break
        while p < stop:
            c = data[p]
            if c in b"([{":
                depth += 1
            elif c in b")]}":
                if depth == 0:
                    break
                depth -= 1
            elif c == 44 and depth == 0:
                break
            elif c in _QUOTES:
                s = read_string(data, p, stop)
                if s is not None:
                    p = s[2]
                    continue
            p += 1
    return positional, keywords, stop


def _fallback(data: bytes, p: int, limit: int):
    """A literal after `||`, `??`, ` or `, `?:` at p (a TypeScript non-null `!` before them skipped), or given to
    `.unwrap_or("v")` / `.unwrap_or_else(|_| "v".into())` (Rust) / `.orElse("v")` (Java): (start, end, text,
    quote) or None."""
    q = _skip(data, p, limit, True)
    if data[q:q + 1] == b"!" and data[q + 1:q + 2] != b"=":  # process.env.X! || "v"
        q = _skip(data, q + 1, limit, True)
    for op in _FALLBACK_OPS:
        if data.startswith(op, q):
            r = _skip(data, q + len(op), limit, True)
            s = read_strings(data, r, limit)
            if s is not None:
                return s[0], s[1], s[2], s[4]
    if data.startswith(b".unwrap_or", q) or data.startswith(b".orElse", q):
        r = data.find(b"(", q, q + 24)
        if data[q + 1:r] not in _FALLBACK_METHODS:
            return None
        r = _skip(data, r + 1, limit, True)
        if data[r:r + 1] == b"|":  # a closure: |_| "v".to_string()
            close = data.find(b"|", r + 1, r + 40)
            r = _skip(data, close + 1, limit, True) if close > 0 else limit
        elif data.startswith(b"()", r):  # () -> "v" (Java Supplier)
            arrow = data.find(b"->", r, r + 8)
            r = _skip(data, arrow + 2, limit, True) if arrow > 0 else limit
        s = read_strings(data, r, limit) if r < limit else None
        if s is not None:
            return s[0], s[1], s[2], s[4]
    return None


def _template_default(data: bytes, pos: int):
    """A Go/Helm/Jinja template action at pos with a literal default: `{{ .Values.x | default "v" }}`,
    `{{ default "v" .Values.x }}`, `{{ x | default('v') }}`: [(start, end, text, quote, layout, the value read)]."""
    close = data.find(b"}}", pos + 2, min(len(data), pos + 600))
    if close < 0:
        return []
    action = data[pos + 2:close]
    at = action.find(b"default")
    if at < 0 or action[at + 7:at + 8] not in (b" ", b"\t", b"("):
        return []
    p = _skip(data, pos + 2 + at + 8, close)
    s = read_strings(data, p, close) if p < close else None
    if s is None or s[3] > close:
        return []
    reference = (action[:at] + action[at + 7 + (s[3] - (pos + 2 + at + 7)):]).strip(b" \t-|()")
    reference = reference.split(b"|")[0].strip().lstrip(b".$")
    return [(s[0], s[1], s[2], s[4], "quoted", _text(reference) if _name_like(_text(reference)) else "")]


def _yaml_block(data: bytes, pos: int, key_indent: int):
    """A YAML block scalar whose header (| or >) is at pos: (start, end, text) of its content, or None."""
    n = len(data)
    eol = data.find(b"\n", pos, min(n, pos + 200))
    if eol < 0:
        return None
    folded = data[pos] == 62
    p = eol + 1
    stop = min(n, p + MAX_BLOCK)
    lines: list[bytes] = []
    first = last = -1
    indent = -1
    while p < stop:
        e = data.find(b"\n", p, stop)
        e = stop if e < 0 else e
        line = data[p:e]
        stripped = line.strip()
        if stripped:
            ind = len(line) - len(line.lstrip(b" \t"))
            if ind <= key_indent:
                break
            if indent < 0:
                indent, first = ind, p + ind
            last = e if not line.endswith(b"\r") else e - 1
            lines.append(line[indent:].rstrip(b"\r"))
        elif lines:
            lines.append(b"")
        p = e + 1
    if first < 0:
        return None
    while lines and not lines[-1]:
        lines.pop()
    text = (b" " if folded else b"\n").join(lines)
    return first, last, _text(text)


def _yaml_list(data: bytes, pos: int, key_indent: int):
    """Scalar items of a YAML list under a key (`keys:` then `- a` lines): [(start, end, text, quote)]."""
    n = len(data)
    p = pos
    stop = min(n, pos + MAX_BLOCK)
    items = []
    while p < stop:
        e = data.find(b"\n", p, stop)
        e = stop if e < 0 else e
        line = data[p:e]
        body = line.lstrip(b" \t")
        if not body.strip():
            p = e + 1
            continue
        ind = len(line) - len(body)
        if not body.startswith(b"- ") or ind < key_indent:
            break
        v = p + ind + 2
        v = _skip(data, v, e)
        s = read_strings(data, v, e) if v < e and (data[v] in _QUOTES) else None
        if s is not None:
            items.append((s[0], s[1], s[2], s[4]))
        else:
            b = _bare(data, v, e)
            if b > v and data[b - 1:b] != b":" and b":" not in data[v:b]:
                items.append((v, b, _text(data[v:b]), ""))
        p = e + 1
    return items


_CLOSE = {91: 93, 123: 125, 40: 41}
# a mapping key that is an account, not a name: an address (0x + 40 hex, base58, bech32)
_ACCOUNT = __import__("re").compile(r"(?:0[xX])?[0-9A-Za-z]{26,64}")


def _list_items(data: bytes, pos: int):
    """Literal items of a list literal whose '[' (or '{' / '(' of an array initializer, a set, a tuple) is at pos:
    [(start, end, text, quote)]. A '{' mapping whose first key is a name (`apiKey: v`, `"secret": v`) is left to
    the searches (each value has a name of its own), read no further; a value keyed by data
    (`{"0x<address>": "0x<key>"}`) is an item of the mapping, named by it."""
    n = len(data)
    stop = min(n, pos + MAX_LIST)
    close = _CLOSE[data[pos]]
    mapping = close == 125
    p = pos + 1
    if mapping:  # a set, an initializer or an address-keyed map starts with a literal; a block of code does not
        first = _skip(data, p, stop, True)
        if first >= stop or (data[first] not in _QUOTES and data[first:first + 2] not in (b"0x", b"0X")):
            return []
    items = []
    depth = 0
    skip_value = False  # the next item is the value of a named key
    while p < stop:
        c = data[p]
        if c in b" \t\r\n,":
            p += 1
            continue
        if c == close and depth == 0:
            break
        if c in b"[{(":
            depth += 1
            p += 1
            skip_value = False
            continue
        if c in b"]})":
            depth -= 1
            p += 1
            continue
        if depth == 0 and (c in _QUOTES or c == 92):
            s = read_strings(data, p, stop, True)
            if s is not None:
                p = s[3]
                if mapping and data[_skip(data, p, stop, True):][:1] in (b":", b"="):
                    # a key: its value is named by it, or, keyed by an account (an address), by the mapping
                    skip_value = _ACCOUNT.fullmatch(s[2]) is None or not any(ch.isdigit() for ch in s[2])
                    if skip_value and not items:
                        return []  # a mapping keyed by names: each value has its own; the searches read them
                    continue
                if not skip_value:
                    items.append((s[0], s[1], s[2], s[4]))
                skip_value = False
                continue
        if depth == 0 and data[p:p + 2] in (b"0x", b"0X"):
            e = _bare(data, p, stop)
            if not skip_value:
                items.append((p, e, _text(data[p:e]), ""))
            skip_value = False
            p = e
            continue
        if mapping and depth == 0 and c in _IDENT:  # an unquoted key (`apiKey: v`, `key = v`) or an expression
            e = p
            while e < stop and data[e] in _IDENT:
                e += 1
            r = _skip(data, e, stop)
            skip_value = r < stop and data[r] in b":=" and data[r + 1:r + 2] not in (b":", b"=")
            if skip_value and not items:
                return []
            p = e
            continue
        if c in _QUOTES:
            s = read_string(data, p, stop)
            p = s[2] if s is not None else p + 1
            continue
        p += 1
    return items


_TYPE_BYTES = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.*[]<>")
# callees that build a list from their arguments (Kotlin, Java, Scala, Python, JS)
_LIST_CALLS = frozenset((b"listOf", b"arrayOf", b"setOf", b"mutableListOf", b"arrayListOf", b"List.of",
                         b"Set.of", b"Arrays.asList", b"ImmutableList.of", b"Seq", b"List", b"Array",
                         b"Array.of", b"tuple", b"list", b"set", b"frozenset", b"Set"))


def _typed_literal(data: bytes, pos: int) -> int:
    """The '{' of a Go/C#-style typed array literal whose '[' is at pos (`[]string{`, `[3]string{`,
    `[]common.Address{`), or -1."""
    close = data.find(b"]", pos, pos + 12)
    if close < 0 or not all(ch in b"0123456789." for ch in data[pos + 1:close]):
        return -1
    p = close + 1
    stop = min(len(data), p + 80)
    while p < stop and data[p] in _TYPE_BYTES:
        p += 1
    p = _skip(data, p, stop)
    return p if p < stop and data[p] == 123 and p > close + 1 else -1


def _list_constructor(data: bytes, expr: bytes, q: int, r: int) -> int:
    """Where the items of a list built by `expr` start (its '[', '{' or '('), or -1: Rust `vec![`, Java/C#
    `new String[] {`, `new[] {`, and the list-building calls (`listOf(`, `List.of(`, `tuple([`)."""
    n = len(data)
    if r >= n:
        return -1
    if data[q:q + 2] == b"![" and expr == b"vec":
        return q + 1
    if expr == b"new" or expr.startswith(b"new["):
        after_new = q - len(expr) + 3
        p = _skip(data, after_new, n)
        stop = min(n, p + 80)
        while p < stop and data[p] in _TYPE_BYTES:
            p += 1
        brace = _skip(data, p, stop)
        return brace if brace < stop and data[brace] == 123 and data[p - 1:p] == b"]" else -1
    if data[r] == 40 and expr in _LIST_CALLS:
        p = _skip(data, r + 1, min(n, r + 200), True)
        return p if p < n and data[p] in b"[{(" else r
    return -1


_ENV_READ_INSIDE = None


def _env_read_inside(data: bytes, lo: int, hi: int) -> str:
    """The variable an env read nested in a call's arguments reads: Optional.ofNullable(System.getenv("X"))."""
    global _ENV_READ_INSIDE
    if data.find(b"env", lo, hi) < 0 and data.find(b"ENV", lo, hi) < 0:
        return ""
    if _ENV_READ_INSIDE is None:
        import re

        _ENV_READ_INSIDE = re.compile(rb"(?i:env)[A-Za-z_.]*[ \t]*[(\[][ \t]*[\"']([A-Za-z_][A-Za-z0-9_]{0,80})[\"']")
    m = _ENV_READ_INSIDE.search(data, lo, hi)
    return _text(m.group(1)) if m else ""


def read_value(data: bytes, pos: int, op: str, key_line: int = -1):
    """The literal value(s) given at pos: [(start, end, text, quote, layout, alt name)]."""
    n = len(data)
    if pos >= n:
        return []
    c = data[pos]
    quoted_layout = "quoted"
    if c in b"@$" and data[pos + 1:pos + 2] in (b'"', b"'") and not (c == 64 and data[pos + 1] == 39):
        pos += 1  # @"v" (C# verbatim, Objective-C), $'v' (bash ANSI-C quoting), $"v" (C#): the string after it
        c = data[pos]
    if c in _QUOTES or (c == 92 and data[pos + 1:pos + 2] in (b'"', b"'")) or \
            (c in b"bBrRuUfF" and pos + 1 < n and (data[pos + 1] in _QUOTES or
                                                 (data[pos + 1] in b"bBrRuUfF" and data[pos + 2:pos + 3] in (b'"', b"'")))):
        s = read_strings(data, pos, n)
        if s is None:
            return []
        start, end, text, after, quote = s
        if text.startswith("{{"):  # '{{ .Values.x | default "v" }}'
            return _template_default(data, start)
        f = _fallback(data, after, min(n, after + 400)) if text == "" else None
        if f is not None:
            return [(f[0], f[1], f[2], f[3], quoted_layout, "")]
        a, b = _trimmed(data, start, end)
        if (a, b) != (start, end) and "\n" not in text:
            text = text.strip(" \t")
        whole = [(a, b, text, quote, quoted_layout, "")]
        if (";" in text or "," in text) and b - a == len(text) and _LIST_TEXT.match(data, a, b):
            return whole + _delimited(data, a, b)  # "0x..;0x..": each item too
        return whole
    if c == 40:  # '(' : a parenthesised value, e.g. KEY = (\n "a"\n "b"\n)
        p = _skip(data, pos + 1, n, True)
        s = read_strings(data, p, n, True) if p < n and data[p] in _QUOTES else None
        return [] if s is None else [(s[0], s[1], s[2], s[4], quoted_layout, "")]
    if c == 91:  # '[' : each element inherits the name; Go's `[]string{...}` / `[2]string{...}` too
        brace = _typed_literal(data, pos)
        return [(a, b, t, q, "list", "") for a, b, t, q in _list_items(data, pos if brace < 0 else brace)]
    if c == 123:  # '{' : an array initializer or a set is a list; nested entries are found by the search itself
        if data.startswith(b"{{", pos):  # a template's `{{ .Values.x | default "v" }}` gives its fallback
            return _template_default(data, pos)
        return [(a, b, t, q, "list", "") for a, b, t, q in _list_items(data, pos)]
    if op == ":" and c in b"|>":
        blk = _yaml_block(data, pos, _line_indent(data, key_line if key_line >= 0 else pos)[1])
        return [] if blk is None else [(blk[0], blk[1], blk[2], "block", "yaml", "")]
    if c == 33:  # '!' : a YAML tag (!!str v); !vault and other tags are references
        if data.startswith(b"!!str", pos) or data.startswith(b"!!binary", pos):
            return read_value(data, _skip(data, data.find(b" ", pos, pos + 12) if data.find(b" ", pos, pos + 12) > 0 else n, n), op, key_line)
        return []
    if c == 38:  # '&anchor value'
        sp = data.find(b" ", pos, min(n, pos + 80))
        return [] if sp < 0 else read_value(data, _skip(data, sp, n), op, key_line)
    if c == 42 or c == 37 or c == 60:  # *alias, %(fmt)s, <placeholder>
        return []
    if c == 36:  # '$': ${X:-default} gives its default; $X, $(cmd), ${X} are references
        if data.startswith(b"${", pos):
            close = data.find(b"}", pos, min(n, pos + 600))
            inner = data[pos + 2: close] if close > 0 else b""
            for sep in (b":-", b":=", b"-", b"="):
                k = inner.find(sep)
                if k > 0 and all(ch in _IDENT for ch in inner[:k]):
                    a = pos + 2 + k + len(sep)
                    return [(a, close, _text(data[a:close]), "", "env", _text(inner[:k]))] if close > a else []
        return []
    if c == 10 or c == 13:
        if op == ":":  # `keys:` followed by a YAML list
            ls, ind = _line_indent(data, key_line if key_line >= 0 else pos)
            items = _yaml_list(data, pos + (2 if c == 13 else 1), ind)
            if items:
                return [(a, b, t, q, "list", "") for a, b, t, q in items]
        if op in ("=", ":=", "=>", ":"):  # `privateKey:` then, indented on the next line, "0x.." or `env || "0x.."`
            p = _skip(data, pos, min(n, pos + 4096), True)
            if p >= n or _line_indent(data, p)[1] <= _line_indent(data, key_line if key_line >= 0 else pos)[1]:
                return []
            if data[p] in _QUOTES:
                return read_value(data, p, op, key_line)
            if data[p] in _IDENT and op != ":" or data.startswith(b"process.", p) or data.startswith(b"os.", p):
                return [v for v in read_value(data, p, "=", key_line) if v[4] in ("quoted", "call")]
        return []
    layout = "yaml" if op == ":" else ("env" if op in ("=", "?=", ":=", "+=", "::=", " ") else "code")
    if c in _IDENT and c != 46:
        q = pos
        while q < n and q - pos < 200 and (data[q] in _IDENT or data[q] in b"[]:" and data[q:q + 2] != b": "):
            if data[q] == 91:  # subscript: os.environ["X"]
                close = data.find(b"]", q, min(n, q + 120))
                if close < 0:
                    break
                q = close + 1
                continue
            q += 1
        expr = data[pos:q]
        r = _skip(data, q, n)
        opening = _list_constructor(data, expr, q, r)
        if opening >= 0:  # vec![..], new String[] {..}, listOf(..), List.of(..), tuple([..]): a list
            return [(a, b, t, qt, "list", "") for a, b, t, qt in _list_items(data, opening)]
        if r < n and data[r] == 40 and q > pos:  # a call
            positional, keywords, after = _call_args(data, r)
            out = []
            first = positional[0] if positional else None
            env_name = ""
            if first is not None and first[0] == 0 and _name_like(first[3]):
                env_name = first[3]
                positional = [a for a in positional if a is not first]
            elif first is not None and first[0] == 0:
                positional = [first]
            else:
                positional = []
                env_name = _env_read_inside(data, r, after)
            for item in positional[:1]:
                out.append((item[1], item[2], item[3], item[4], "call", env_name))
            d = keywords.get("default")
            if d is not None:
                out.append((d[0], d[1], d[2], d[3], "call", env_name))
            f = _fallback(data, after, min(n, after + 400))
            if f is not None:
                out.append((f[0], f[1], f[2], f[3], quoted_layout, env_name))
            return out
        f = _fallback(data, q, min(n, q + 400))
        if f is not None:
            alt = _text(expr).replace('"', ".").replace("'", ".").replace("[", ".").replace("]", "")
            return [(f[0], f[1], f[2], f[3], quoted_layout, alt)]
        if layout == "code" or r < n and data[r] in b"(.":
            return []
        if b"[" in expr or (b"." in expr and _bare(data, pos, n) == q and not expr.startswith(b"eyJ") and
                            dotted_reference(_text(expr))):
            return []  # a reference: os.environ["X"], process.env.X, settings.API_KEY (a JWT's eyJ.. is a value)
    e = _bare(data, pos, n)
    if e <= pos:
        return []
    after = _skip(data, e, n)
    if (after < n and data[after] not in _BARE_END and op != " " and not _NEXT_ASSIGNMENT.match(data, after)) or \
            after < n and data[after] == 44 and layout == "yaml" and not _NEXT_FLOW_KEY.match(data, after):
        return []  # more code follows on the line (`a = b = f(x)`, `key: some words`): not a bare value
    if layout == "env" and op == "=" and pos > 0 and data[pos - 1] in _WS:
        layout = "ini"
    text = _text(data[pos:e])
    if e < n and data[e] in b",;" and layout in ("env", "ini"):  # PRIVATE_KEYS=0x..,0x.. / a:0x..;b:0x..
        e2 = e
        while e2 < n and data[e2] in b",;" and data[e2 + 1:e2 + 2] not in (b" ", b"\t", b"\n", b"\r", b""):
            e2 = _bare(data, e2 + 1, n)
        if e2 > e:
            return _delimited(data, pos, e2)
    return [(pos, e, text, "", layout, "")]


def _delimited(data: bytes, a: int, b: int) -> list:
    """The items of a value holding a list (`0x..,0x..`, `0x..;0x..`, `deployer:0x..;relayer:0x..`), each
    without its `alias:` label: [(start, end, text, quote, "list", "")]."""
    parts = []
    p = a
    for piece in data[a:b].replace(b";", b",").split(b","):
        lo, hi = _trimmed(data, p, p + len(piece))
        label = _LABEL.match(data, lo, hi)
        if label is not None and label.end() < hi:
            lo = label.end()
        if hi > lo:
            parts.append((lo, hi, _text(data[lo:hi]), "", "list", ""))
        p += len(piece) + 1
    return parts


_LABEL = __import__("re").compile(rb"[A-Za-z_][A-Za-z0-9_.\-]{0,39}[:=]")
# a quoted value that may be a list of tokens: token characters and separators only (no code, no prose)
_LIST_TEXT = __import__("re").compile(rb"[A-Za-z0-9+/=_.:~\-]+(?:[ \t]*[,;][ \t]*[A-Za-z0-9+/=_.:~\-]+)+[,;]?\Z")


# -- the searches ---------------------------------------------------------------------------------------------
def _assignments(data: bytes, lo: int, hi: int, out: list, names: bytes, words=None, finder=None) -> None:
    """finder: the HintFinder of the names' hints under the stdlib matcher (the search matched where a hint is)."""
    rx = _re(_ASSIGN, names)
    read = _names_read(words)
    spans_of = _spans(rx, data, lo, hi) if finder is None else finder.name_spans(rx, data, lo, hi)
    for spans in spans_of:  # the innermost loop of a scan: spans, not match objects
        (ns, ne), (os_, oe) = spans[1], spans[2]
        at = spans[0][1]
        op = data[os_:oe]
        if op == b"==" or op == b":" and data[at:at + 2] == b"//":  # a comparison, a URL's scheme
            continue
        if data[ns - 2:ns] == b"${":  # ${X:-default}: _defaults reads it
            continue
        raw = data[ns:ne]
        label = _label_before(data, ns) if op == b":" and data[ns - 1:ns] == b" " else ""
        if label:  # `Private Key: 0x..`, `API Secret: ..`: a label of words at a line's start (not cached)
            name = label + " " + _text(raw).lstrip("$@")
            holds = words is None or not words.isdisjoint(words_of(name)[1])
        else:
            hit = read.get(raw)
            if hit is None:
                name = _text(raw).lstrip("$@")
                hit = (name, words is None or not words.isdisjoint(words_of(name)[1]))
                if len(read) >= _NAMES_READ_LIMIT:
                    read.clear()
                read[raw] = hit
            name, holds = hit
        by_alt = False
        if not holds:
            # the hint is part of another word (omitKeys, keyboard): no name the rules read, unless an env read
            # with a fallback names the value (`let key = env::var("PRIVATE_KEY").unwrap_or("v")`)
            if data.find(b"env", at, at + 48) < 0 and data.find(b"ENV", at, at + 48) < 0:
                continue
            by_alt = True
        if op == b":" and data[at - 1] == 58 and at < len(data) and data[at] not in b"\"'`\\[{|>\r\n":
            continue  # `name:value` with no space is no YAML mapping (host:port, rule-id:fingerprint, a?b:c)
        op_s = op.decode() if len(op) <= 3 else "="
        if op == b"=":
            flag_lo = max(0, ns - MAX_FLAG)
            if data.find(b"-", flag_lo, ns) >= 0 and _FLAG_BEFORE.search(data, flag_lo, ns):
                op_s = " "  # docker -e NAME=v, kubectl --from-literal=NAME=v: the value ends at the next blank
            if name.startswith(_ENV_OBJECTS):  # process.env.X = "v" sets X (a read of it is no assignment)
                name = name[name.index(".env.") + 5:]
        in_query = op == b"=" and ns > 0 and data[ns - 1] in b"?&"  # ?apikey=v&secret=v
        for a, b, text, quote, layout, alt in read_value(data, at, op_s, ns):
            if by_alt and (not alt or words.isdisjoint(words_of(alt)[1])):
                continue
            out.append(Entry(name, text, a, b, quote, "url" if in_query else layout, alt=alt))


# a command-line flag whose argument is NAME=value (docker run -e / --env, kubectl --from-literal, docker build
# --build-arg, helm --set), its quote included: what follows the value is the rest of the command
_FLAG_BEFORE = __import__("re").compile(
    rb"(?:^|[\s\"'])(?:-e|--env|--from-literal|--build-arg|--set|--set-string)[ \t=]+[\"']?\Z")
MAX_FLAG = 24
# objects whose attributes are environment variables: assigning one sets that variable
_ENV_OBJECTS = ("process.env.", "import.meta.env.")
_LINE_MARKERS = b" \t-*#>/|"
# words before a name that make it code, not a label: `ENV KEY: v`, `static secret: v` (`private key: string`
# stays a label: its value has no key's shape)
_CODE_WORDS = frozenset(("env", "arg", "export", "set", "setx", "declare", "local", "readonly",
                         "internal", "static", "final", "const", "let", "var", "val", "def", "fn",
                         "func", "type", "case", "return", "yield", "if", "else", "when"))


def _label_before(data: bytes, at: int) -> str:
    """The words before a name at `at` when they start the line (after indentation, a bullet or a comment
    marker): `Private` in `Private Key: v`, `Your API` in `# Your API Secret: v`; "" when code comes first."""
    p = at - 1
    stop = max(0, at - 40)
    words = 0
    while p > stop and data[p] == 32 and words < 2:
        q = p
        while q > stop and (65 <= data[q - 1] <= 90 or 97 <= data[q - 1] <= 122):
            q -= 1
        if q == p:
            return ""
        words += 1
        r = q
        while r > 0 and data[r - 1] in _LINE_MARKERS:
            r -= 1
        if r == 0 or data[r - 1] == 10 or data[r - 1] == 13:
            label = _text(data[q:at - 1])
            return "" if not _CODE_WORDS.isdisjoint(label.lower().split()) else label
        p = q - 1
    return ""


_NAMES_READ: dict = {}  # words -> {name as written: the name as text when it holds one of the words, else None}
_NAMES_READ_LIMIT = 16384


def _names_read(words) -> dict:
    """The cache of which written names hold one of `words` (a file repeats its names; words_of is a regex)."""
    read = _NAMES_READ.get(words)
    if read is None:
        if len(_NAMES_READ) >= 64:
            _NAMES_READ.clear()
        read = _NAMES_READ[words] = {}
    return read


def _env_lines(data: bytes, lo: int, hi: int, out: list, names: bytes) -> None:
    for m in _matches(_re(_ENV, names), data, lo, hi):
        for a, b, text, quote, layout, alt in read_value(data, m.end(), " ", m.start(1)):
            out.append(Entry(_text(m.group(1)), text, a, b, quote, "env", alt=alt))


def _cli_flags(data: bytes, lo: int, hi: int, out: list, names: bytes) -> None:
    for m in _matches(_re(_CLI, names), data, lo, hi):
        at = m.end()
        if at >= len(data) or data[at] in b"-$":
            continue
        if data[at] in _QUOTES:
            s = read_strings(data, at, len(data))
            if s is not None:
                out.append(Entry(_text(m.group(1)).lstrip("-"), s[2], s[0], s[1], s[4], "cli"))
            continue
        e = _bare(data, at, len(data))
        if e > at:
            out.append(Entry(_text(m.group(1)).lstrip("-"), _text(data[at:e]), at, e, "", "cli"))


MAX_CALLEE = 128
_CALLEE_BYTES = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_$.-:"


def _callee_before(data: bytes, at: int) -> bytes:
    """The dotted identifier ending at `at` (`os.getenv` in `os.getenv(`, `LocalWallet::from_str`), at most
    MAX_CALLEE bytes; b"" if none. (rstrip/lstrip: the scan in C, a call per parenthesis of every region)"""
    chunk = data[max(0, at - MAX_CALLEE):at]
    run = chunk[len(chunk.rstrip(_CALLEE_BYTES)):]
    start = at - len(run)
    if start >= 2 and data[start - 1] == 92 and run[:1].isupper() and data[start - 2:start - 1].isalnum() and \
            len(run) < MAX_CALLEE:  # a PHP namespace: new Binance\API(..)
        run = _callee_before(data, start - 1) + b"\\" + run
    return run.lstrip(b"0123456789.-:")  # an identifier starts with a letter, _ or $


def _calls(data: bytes, lo: int, hi: int, out: list, names: bytes, callees: bytes, callee_words: bytes = b"",
           finder=None) -> None:
    """callee_words: the callee hints alone; a region without one within MAX_CALLEE bytes before a parenthesis
    holds no positional call worth reading, and skips that search. finder: their HintFinder under the stdlib
    matcher (the words are looked for where a hint's first word is)."""
    seen: set = set()
    searches = [(_CALL_NAMED, names, b"", True)]
    if callees and (not callee_words or _callee_word_near(data, lo, hi, callee_words, finder)):
        searches.append((_CALL_POS, _NAME_ANY, callees, False))
    callee_end = _re(_CALL_POS_CALLEE, callees=callees) if len(searches) > 1 else None
    for pattern, pattern_names, pattern_callees, named in searches:
        found = _paren_matches(pattern, pattern_names, pattern_callees, data, lo, hi) if _STDLIB else \
            _matches(_re(pattern, pattern_names, pattern_callees), data, lo, hi)
        for m in found:
            open_paren = m.start(2) - 1
            if open_paren in seen:
                continue
            before = _callee_before(data, m.start())
            if named:
                callee = _text(before)
            else:
                # a decoding call names nothing: PrivateKey(bytes.fromhex("..")) is PrivateKey's literal
                outer = _outer_callee(data, m.start() - len(before), before)
                for candidate in (outer, before) if outer else (before,):
                    if finder is not None and not finder.anywhere(candidate):
                        continue  # no callee hint at all: the search below would find none
                    hit = callee_end.search(candidate)
                    if hit is not None:
                        break
                else:
                    continue
                callee = _text(candidate[hit.start():])
            positional, keywords, _after = _call_args(data, open_paren)
            # the name is the first argument, or (a named search) the second after an object: setattr(obj, "X", v)
            lead = positional[0][0] if positional else -1
            if named and lead == 0 and len(positional) >= 3 and positional[1][0] == 1 and positional[2][0] == 2 \
                    and _name_like(positional[1][3]):
                # (section, option, value) or (file, name, value): the value is the third literal
                seen.add(open_paren)
                section, option, item = positional[0][3], positional[1][3], positional[2]
                name = f"{section}.{option}" if _name_like(section) else option
                out.append(Entry(name, item[3], item[1], item[2], item[4], "call", callee=callee))
                continue
            if positional and (lead == 0 or named and lead == 1) and _name_like(positional[0][3]):
                seen.add(open_paren)
                name = positional[0][3]
                d = keywords.get("default")
                for item in positional[1:2]:
                    if lead == 1 and item[0] != 2:  # setattr(obj, "X", a, "y"): "y" is not X's value
                        continue
                    out.append(Entry(name, item[3], item[1], item[2], item[4], "call", callee=callee))
                if d is not None:
                    out.append(Entry(name, d[2], d[0], d[1], d[3], "call", callee=callee))
                continue
            if not named:
                seen.add(open_paren)
                for index, a, b, text, quote in positional:
                    out.append(Entry("", text, a, b, quote, "call", callee=callee))


# the last part of a callee that only decodes or converts its argument (bytes.fromhex, hex::decode, bs58.decode,
# Buffer.from, hex.DecodeString, Go's []byte), squashed: the call it is passed to names the literal
_DECODERS = frozenset((b"fromhex", b"unhexlify", b"a2bhex", b"decode", b"b58decode", b"b58decodecheck",
                       b"b64decode", b"decodestring", b"from", b"hexdecode", b"fromhexstring", b"byte"))


def _outer_callee(data: bytes, callee_start: int, callee: bytes) -> bytes:
    """The callee whose argument a decoding call is (`PrivateKey` for `PrivateKey(bytes.fromhex("..")`,
    `SigningKey::from_bytes` for `SigningKey::from_bytes(&hex::decode("..")`, `hmac.New` for
    `hmac.New(sha256.New, []byte(".."))`), or b"" when callee decodes nothing or is not an argument."""
    last = callee.replace(b"::", b".").rsplit(b".", 1)[-1].replace(b"_", b"").lower()
    if last not in _DECODERS:
        return b""
    line_start = data.rfind(b"\n", max(0, callee_start - PATH_BACK), callee_start) + 1
    for p in _unclosed(data, line_start, callee_start):  # the call whose argument list holds it, any argument
        if data[p] != 40:
            return b""
        while p > line_start and data[p - 1] in _WS:
            p -= 1
        return _callee_before(data, p)
    return b""


_CALL_START = rb"(?P<callee>)[ \t]*\((?P<open>)"


def _paren_matches(pattern: bytes, names: bytes, callees: bytes, data: bytes, lo: int, hi: int):
    r"""_matches of a call search (`(?P<callee>)[ \t]*\((?P<open>)...`) for the stdlib matcher: the search from
    its '(' (a literal first byte, which `re` finds at memchr speed, where the blanks before it would make it try
    every byte), the match then starting where the blanks before the '(' start (not before lo): the same
    matches. RE2 runs the pattern as it is."""
    assert pattern.startswith(_CALL_START)
    rx = _re(b"\\(" + pattern[len(_CALL_START):], names, callees)
    pos = lo
    while pos <= hi:
        m = rx.search(data, pos, hi)
        if m is None:
            return
        paren = m.start()
        start = paren
        while start > pos and data[start - 1] in _WS:
            start -= 1
        yield _Match(data, [(start, m.end()), (start, start), (paren + 1, paren + 1)])
        pos = m.end() if m.end() > start else start + 1


def _callee_word_near(data: bytes, lo: int, hi: int, callee_words: bytes, finder) -> bool:
    words = _re(b"CALLEE", callees=callee_words)
    if finder is None:
        return words.search(data, max(0, lo - MAX_CALLEE), hi) is not None
    return finder.present(data, max(0, lo - MAX_CALLEE), hi)


def _sql_inserts(data: bytes, lo: int, hi: int, out: list, has_credential_word) -> None:
    """`INSERT INTO t (col, ...) VALUES ('v', ...), (...)`: each literal is named by its column."""
    for m in _matches(_re(_INSERT), data, lo, hi):
        cols = [c.strip(b" \t\r\n`\"[]") for c in m.group(1).split(b",")]
        if not any(has_credential_word(_text(c)) for c in cols):
            continue
        p = m.end() - 1
        for _ in range(1000):  # rows
            positional, _keywords, after = _call_args(data, p)
            for index, a, b, text, quote in positional:
                if index < len(cols):
                    out.append(Entry(_text(cols[index]), text, a, b, quote, "csv"))
            q = _skip(data, after, len(data), True)
            if q >= len(data) or data[q] != 44:
                break
            q = _skip(data, q + 1, len(data), True)
            if q >= len(data) or data[q] != 40:
                break
            p = q


def _pairs(data: bytes, lo: int, hi: int, out: list, names: bytes) -> None:
    for m in _matches(_re(_PAIR, names), data, lo, hi):
        yaml_form = m.group(2)[:1] != b","
        for a, b, text, quote, layout, alt in read_value(data, m.end(), ":", m.start(1)):
            out.append(Entry(_text(m.group(1)), text, a, b, quote, "yaml" if yaml_form else layout, alt="value"))


def _positional_arguments(data: bytes, lo: int, hi: int, out: list, subjects: frozenset) -> None:
    """`python worker.py tree.json bittrex KEY SECRET`: the bare arguments following a subject word (an argument
    that is one of `subjects`, the venues) are named `<subject>_api_key`, `<subject>_api_secret`,
    `<subject>_passphrase` in turn; a flag, an assignment, a reference or a short word ends the run."""
    for m in _matches(_re(_COMMAND), data, lo, hi):
        line = data[m.start():min(m.end(), m.start() + MAX_COMMAND)]
        subject = ""
        role = 0
        for token in _ARG.finditer(line):
            word = token.group(0)
            if subject and role < len(_POSITIONAL_ROLES):
                if len(word) >= (6 if role == 2 else MIN_POSITIONAL) and word[:1] not in b"-$%<{[" and \
                        b"=" not in word[:-2] and b"://" not in word:
                    a = m.start() + token.start()
                    # its own layout: the generic rules, which take any name, do not read a name given by position
                    out.append(Entry(f"{subject}_{_POSITIONAL_ROLES[role]}", _text(word), a, a + len(word), "",
                                     "positional"))
                    role += 1
                    continue
                subject = ""
            squashed = word.lower().strip(b"\"'").replace(b"-", b"").replace(b"_", b"").replace(b".", b"")
            if squashed.isalnum() and squashed.decode("ascii", "replace") in subjects:
                subject, role = _text(word.strip(b"\"'")), 0


_ARG = __import__("re").compile(rb"[^\s\"'`;|&]+")


def _hcl_variables(data: bytes, lo: int, hi: int, out: list, names: bytes) -> None:
    for m in _matches(_re(_HCL_VARIABLE, names), data, lo, hi):
        end = data.find(b"\n}", m.end(), min(len(data), m.end() + MAX_HCL_BLOCK))
        d = _re(_HCL_DEFAULT).search(data, m.end(), end if end >= 0 else min(len(data), m.end() + MAX_HCL_BLOCK))
        if d is not None:
            for a, b, text, quote, layout, alt in read_value(data, d.end(), "=", d.start()):  # wins over `default`
                out.append(Entry(_text(m.group(1)), text, a, b, quote, layout, alt=alt or "value"))


def _xml(data: bytes, lo: int, hi: int, out: list, names: bytes) -> None:
    for m in _matches(_re(_XML, names), data, lo, hi):
        if m.group(1) != m.group(3):
            continue
        a, b = _trimmed(data, m.start(2), m.end(2))
        if b > a:
            out.append(Entry(_text(m.group(1)), _text(data[a:b]), a, b, "", "xml"))


def _userinfo(data: bytes, lo: int, hi: int, out: list) -> None:
    for m in _matches(_re(_USERINFO), data, lo, hi):
        host = _text(m.group(3))
        out.append(Entry("password", _text(m.group(2)), m.start(2), m.end(2), "", "url",
                         alt=f"{host}.{_text(m.group(1))}"))


def _defaults(data: bytes, lo: int, hi: int, out: list) -> None:
    for m in _matches(_re(_DEFAULT), data, lo, hi):
        name = m.group(1) if m.start(1) >= 0 else m.group(2)
        out.append(Entry(_text(name), _text(m.group(3)), m.start(3), m.end(3), "", "env"))


def _parses(data: bytes, lo: int, hi: int, out: list) -> None:
    for m in _matches(_re(_PARSE), data, lo, hi):
        out.append(Entry("", _text(m.group(1)), m.start(1), m.end(1), '"', "call", callee=_text(m.group(2))))


def _split_row(line: bytes, delim: bytes) -> list[tuple[int, int]]:
    """Cell spans (relative to the line) of a delimited row; a Markdown table's outer pipes are dropped."""
    spans = []
    a = 0
    for piece in line.split(delim):
        spans.append((a, a + len(piece)))
        a += len(piece) + len(delim)
    if delim == b"|":
        if spans and not line[spans[0][0]:spans[0][1]].strip():
            spans = spans[1:]
        if spans and not line[spans[-1][0]:spans[-1][1]].strip():
            spans = spans[:-1]
    return spans


# (starts as the assignment search does, so that the stdlib matcher tries it only where a hint is: extract/hints.py)
# a setter given a literal: config.setApiKey("v"), client.set_secret("v"), kucoin.ApiKeyOption("v"),
# WithAPISecret("v"), bybit.NewClient().WithAuth("k", "s") (starts as the assignment search does, or after `).`:
# the stdlib matcher tries it where a hint is)
_SETTER = (rb"(?:^|[^A-Za-z0-9_$@.\-]|\)\.)[$@]?(?P<name>NAME)[ \t]*\((?P<open>)[ \t\r\n]*"
           rb"[bBrRuU]?\\?[\"'`]")
_SETTER_PREFIXES = ("set_", "with_", "set", "with", "Set", "With")
_SETTER_SUFFIXES = ("Option", "Opt", "_option")


def _setter_name(callee: str) -> str:
    """The credential a setter sets (`setApiKey` -> ApiKey, `ApiKeyOption` -> ApiKey, `with_secret` -> secret),
    or "" when the callee is no setter (getSecret, hashApiKey, PrivateKey)."""
    last = callee.rsplit(".", 1)[-1]
    for suffix in _SETTER_SUFFIXES:
        if last.endswith(suffix) and len(last) > len(suffix):
            return last[:-len(suffix)]
    for prefix in _SETTER_PREFIXES:
        if last.startswith(prefix) and len(last) > len(prefix) and \
                (prefix.endswith("_") or last[len(prefix)].isupper()):
            return last[len(prefix):]
    return ""


def _setters(data: bytes, lo: int, hi: int, out: list, names: bytes, finder=None) -> None:
    rx = _re(_SETTER, names)
    for spans in (_spans(rx, data, lo, hi) if finder is None else finder.name_spans(rx, data, lo, hi)):
        name = _setter_name(_text(data[spans[1][0]:spans[1][1]]))
        if not name:
            continue
        positional, _keywords, _after = _call_args(data, spans[2][0] - 1)
        for index, (position, a, b, text, quote) in enumerate(positional):  # WithAuth("k", "s"): each literal
            if position != index:
                break
            out.append(Entry(name, text, a, b, quote, "call"))


_NAME_VALUE_LINE = rb"(?:^|[^A-Za-z0-9_$@.\-])[$@]?(?P<name>NAME)[ \t]*,[ \t]*"


def _name_value_lines(data: bytes, lo: int, hi: int, out: list, names: bytes, finder=None) -> None:
    """A CSV line without a header whose first cell names the second: `kucoinToken,v,` / `API_SECRET,"v"`."""
    n = len(data)
    rx = _re(_NAME_VALUE_LINE, names)
    for spans in (_spans(rx, data, lo, hi) if finder is None else finder.name_spans(rx, data, lo, hi)):
        (ns, ne), at = spans[1], spans[0][1]
        line_start = data.rfind(b"\n", 0, ns) + 1
        if data[line_start:ns].strip(b" \t"):
            continue  # not the line's first cell
        name = data[ns:ne]
        if at < n and data[at] in b"\"'":
            s = read_string(data, at, n)
            if s is None:
                continue
            a, b, after = s[0], s[1], s[2]
        else:
            a = at
            b = after = _bare(data, at, n)
        end = _skip(data, after, n)
        if b > a and (end >= n or data[end] in b",\r\n"):
            out.append(Entry(_text(name), _text(data[a:b]), a, b, "", "csv"))


def _tables(data: bytes, lo: int, hi: int, out: list, has_credential_word) -> None:
    """CSV/TSV/Markdown tables: a header row naming the columns, then rows; each cell is named by its column."""
    n = len(data)
    for m in _matches(_re(_TABLE), data, lo, hi):
        header = data[m.start():m.end()].rstrip(b"\r")
        delim = max((b",", b"\t", b";", b"|"), key=header.count)
        cols = [_text(header[a:b]).strip() for a, b in _split_row(header, delim)]
        if len(cols) == 2 and not any(has_credential_word(c) for c in cols):
            _name_value_rows(data, m.end() + 1, delim, out, has_credential_word)
            continue
        if len(cols) < 2 or not any(has_credential_word(c) for c in cols):
            continue
        p = m.end() + 1
        stop = min(n, p + MAX_CSV_BYTES)
        while p < stop:
            e = data.find(b"\n", p, stop)
            e = stop if e < 0 else e
            line = data[p:e].rstrip(b"\r")
            cells = _split_row(line, delim)
            if len(cells) != len(cols):
                if delim == b"|" and set(line.strip()) <= set(b"|-: "):
                    p = e + 1
                    continue
                break
            for (a, b), col in zip(cells, cols):
                a, b = _trimmed(line, a, b)
                if b - a >= 2 and line[a] in b"\"'" and line[b - 1] == line[a]:
                    a, b = a + 1, b - 1
                if b > a:
                    out.append(Entry(col, _text(line[a:b]), p + a, p + b, "", "csv"))
            p = e + 1


MAX_NAME_VALUE_ROWS = 64


def _name_value_rows(data: bytes, p: int, delim: bytes, out: list, has_credential_word) -> None:
    """A two-column table whose header names no credential (`Type,Value`, `| Field | Value |`): each row whose
    first cell holds a credential word names the cell beside it (`API_key,v`, `| Secret Key | v |`)."""
    n = len(data)
    for _ in range(MAX_NAME_VALUE_ROWS):
        if p >= n:
            return
        e = data.find(b"\n", p)
        e = n if e < 0 else e
        line = data[p:e].rstrip(b"\r")
        cells = _split_row(line, delim)
        if len(cells) != 2:
            if delim == b"|" and line.strip() and set(line.strip()) <= set(b"|-: "):
                p = e + 1
                continue
            return
        (a, b), (c, d) = _trimmed(line, *cells[0]), _trimmed(line, *cells[1])
        if b - a >= 2 and line[a] in b"\"'" and line[b - 1] == line[a]:
            a, b = a + 1, b - 1
        if d - c >= 2 and line[c] in b"\"'`" and line[d - 1] == line[c]:
            c, d = c + 1, d - 1
        name = _text(line[a:b])
        if d > c and has_credential_word(name):
            out.append(Entry(name, _text(line[c:d]), p + c, p + d, "", "csv"))
        p = e + 1


_TABLE_FILES = (".csv", ".tsv", ".txt", ".md", ".markdown", ".rst", ".org", ".adoc", ".ipynb", ".dat", ".tab")


def extract(data: bytes, regions, has_credential_word=lambda name: False, name_hints=None,
            callee_hints=None, name_words=None, path: str = "", subjects: frozenset = frozenset()) -> list:
    """Every entry in the regions ((start, end) pairs, sorted, not overlapping) of data, sorted by position.

    name_hints: lower-case substrings one of which every name worth reading holds (None: every name);
    callee_hints: the same for the callees whose positional arguments are read (None: every callee);
    name_words: squashed words one of which an assigned name must hold (None: any name);
    path: tables (CSV/TSV/Markdown) are read in files that hold tables (in any file when path is "");
    subjects: squashed words (venues) after which a command line's positional arguments are credentials.
    `has_credential_word(column)` tells a table's header from any comma-separated line. Each family's search
    runs only on regions holding its marker (a cheap find), so code full of ordinary lines pays little."""
    names = _NAME_ANY if name_hints is None else _named(name_hints)
    callees = _NAME_ANY if callee_hints is None else (_callee(callee_hints) if callee_hints else b"")
    callee_words = rb"(?i:" + hint_alternatives(callee_hints) + rb")" if callee_hints else b""
    tables = not path or "." not in path.replace("\\", "/").rsplit("/", 1)[-1] or \
        path.lower().endswith(_TABLE_FILES)
    name_finder = callee_finder = None
    if _STDLIB:  # no google-re2: the hinted searches are matched where a hint is, not tried at every byte
        name_finder = _finder(name_hints) if name_hints else None
        callee_finder = _finder(callee_hints) if callee_hints else None
    found: list = []
    find = data.find
    for lo, hi in regions:
        if name_hints is None or name_hints:
            _assignments(data, lo, hi, found, names, name_words, name_finder)
            if find(b"ENV", lo, hi) >= 0 or find(b"ARG", lo, hi) >= 0 or find(b"setx", lo, hi) >= 0 or \
                    find(b"SETX", lo, hi) >= 0 or find(b"set -", lo, hi) >= 0 or find(b"define", lo, hi) >= 0:
                _env_lines(data, lo, hi, found, names)
            if find(b"--", lo, hi) >= 0:
                _cli_flags(data, lo, hi, found, names)
            if find(b"alue", lo, hi) >= 0:
                _pairs(data, lo, hi, found, names)
            if find(b"</", lo, hi) >= 0:
                _xml(data, lo, hi, found, names)
            if find(b"et", lo, hi) >= 0 or find(b"ith", lo, hi) >= 0 or find(b"Opt", lo, hi) >= 0 or \
                    find(b"_opt", lo, hi) >= 0:  # set, Set, with, With, Option
                _setters(data, lo, hi, found, names, name_finder)
            if find(b"variable", lo, hi) >= 0:
                _hcl_variables(data, lo, hi, found, names)
            if subjects and (find(b"python", lo, hi) >= 0 or find(b"node ", lo, hi) >= 0 or
                             find(b"./", lo, hi) >= 0 or find(b" run", lo, hi) >= 0):
                _positional_arguments(data, lo, hi, found, subjects)
        _calls(data, lo, hi, found, names, callees, callee_words, callee_finder)
        # userinfo is `scheme://user:password@host`: an '@' after the region's first '://'
        if find(b"://", lo, hi) >= 0 and data.find(b"@", data.find(b"://", lo, hi) + 3, hi) >= 0:
            _userinfo(data, lo, hi, found)
        if find(b"${", lo, hi) >= 0:
            _defaults(data, lo, hi, found)
        if find(b".parse::<", lo, hi) >= 0:
            _parses(data, lo, hi, found)
        if tables:
            _tables(data, lo, hi, found, has_credential_word)
            if (name_hints is None or name_hints) and find(b",", lo, hi) >= 0:
                _name_value_lines(data, lo, hi, found, names, name_finder)
        if find(b"NSERT", lo, hi) >= 0 or find(b"nsert", lo, hi) >= 0:
            _sql_inserts(data, lo, hi, found, has_credential_word)
    return unique_entries(found)


def unique_entries(found: list) -> list:
    """Sorted by position; an entry found by two searches is kept once (a name/value pair's own name wins)."""
    found.sort(key=lambda e: (e.start, -e.end, e.alt != "value"))
    unique: list = []
    seen: set = set()
    for e in found:
        key = (e.start, e.end, e.callee)
        if key not in seen:
            seen.add(key)
            unique.append(e)
    return unique


# -- names around an entry --------------------------------------------------------------------------------------
_KEY_BEFORE = None


def enclosing_names(data: bytes, pos: int) -> list[str]:
    """The names enclosing the entry at pos, innermost first: the keys of the mappings and the callees of the
    calls it sits in (`{"binance": {"key": ...}}`, `ccxt.binance({...})`, YAML and pretty-printed JSON by
    indentation, INI/TOML `[section]` headers). Looks back at most PATH_BACK bytes."""
    global _KEY_BEFORE
    if _KEY_BEFORE is None:  # RE2 where installed: the stdlib backtracks through each start (~100 us a call)
        from crypto_key_guard.engine import regex as rx

        _KEY_BEFORE = rx.compile(
            rb"(?:([A-Za-z_$][\w$.\-]*)\\?[\"'`]?\]?[ \t]*(?:=>|:=|=|:)[ \t]*)?"
            rb"(?:(?:new[ \t]+)?([A-Za-z_$][\w$.]*)[ \t]*\([ \t]*)?$", latin1=True)
    names: list[str] = []
    lo = max(0, pos - PATH_BACK)
    line_start = data.rfind(b"\n", lo, pos) + 1 or lo
    # on the entry's line: the keys before each unclosed '{' / '(' (a one-line dict or call)
    for p in _unclosed(data, line_start, pos):
        _names_before(data[max(line_start, p - 120):p], names)
    # lines above with less indentation: YAML, pretty JSON, Python dicts; an INI/TOML section ends the walk
    indent = _line_indent(data, pos)[1]
    p = line_start - 1
    lines = 0
    while p > lo and lines < 400:
        if indent == 0:  # only a section header can still add a name: looked up, not walked line by line
            section = _section_above(data, lo, p, 400 - lines)
            if section:
                names.append(section)
            break
        ls = data.rfind(b"\n", lo, p) + 1
        line = data[ls:p]
        p = ls - 1
        lines += 1
        body = line.strip()
        if not body or body[:1] in (b"#", b"/"):
            continue
        if body[:1] == b"[" and body.endswith(b"]") and b"," not in body and b'"' not in body:
            section = body[1:-1].strip(b"[] ")
            if section:
                names.append(_text(section))
                break
            continue
        ind = len(line) - len(line.lstrip(b" \t"))
        if ind < indent:
            indent = ind
            stripped = line.rstrip(b" \t\r")
            if stripped.endswith((b"{", b"[", b"(")):  # a call keeps its parenthesis: the callee is a name too
                _names_before(stripped if stripped.endswith(b"(") else stripped[:-1].rstrip(), names)
            elif stripped.endswith(b":"):
                key = stripped[:-1].strip().lstrip(b"- ").strip(b"\"'")
                if key:
                    names.append(_text(key))
            if indent == 0:
                # keep looking for a section header above top-level keys
                continue
    return names


def enclosing_call(data: bytes, pos: int) -> str:
    """The callee of the call whose argument list holds pos on pos's line (`ClobClient` for `key="0x.."` in
    `ClobClient(host, key="0x..")`), or ""."""
    line_start = data.rfind(b"\n", max(0, pos - PATH_BACK), pos) + 1
    for p in _unclosed(data, line_start, pos):
        if data[p] != 40:  # inside a list or mapping, not directly an argument
            return ""
        end = p
        while end > line_start and data[end - 1] in b" \t":
            end -= 1
        return _text(_callee_before(data, end))
    return ""


def _unclosed(data: bytes, line_start: int, pos: int):
    """The brackets ( [ { opened before pos on its line and not closed before it, innermost first. Only the
    brackets are visited, right to left: a byte-by-byte walk cost ~1 ms per entry on a minified line."""
    depth = 0
    for p in reversed([m.start() for m in _BRACKET.finditer(data, line_start, pos)]):
        if data[p] in b"}])":
            depth += 1
        elif depth == 0:
            yield p
        else:
            depth -= 1


_BRACKET = __import__("re").compile(rb"[\[\](){}]")


_HEADERS: list = [None, [], []]  # the buffer, its INI/TOML section header line starts, their names
_SECTION_LINE = None


def _section_headers(data: bytes) -> tuple[list[int], list[str]]:
    """Start offsets and names of the `[section]` header lines of data, found once per buffer: the walk above
    an entry would otherwise read up to 400 lines for each of thousands of entries at the top level."""
    global _SECTION_LINE
    if _HEADERS[0] is not data:
        if _SECTION_LINE is None:  # RE2 where installed: the stdlib's (?m)^ search was ~5x slower on big files
            from crypto_key_guard.engine import regex as rx

            _SECTION_LINE = rx.compile(rb"(?m)^[ \t\r\f\v]*\[[^\n]*", latin1=True)
        starts, names = [], []
        for m in _SECTION_LINE.finditer(data):
            body = m.group(0).strip()
            if body.endswith(b"]") and b"," not in body and b'"' not in body:
                section = body[1:-1].strip(b"[] ")
                if section:
                    starts.append(m.start())
                    names.append(_text(section))
        _HEADERS[:] = [data, starts, names]
    return _HEADERS[1], _HEADERS[2]


def _section_above(data: bytes, lo: int, end: int, budget: int) -> str:
    """The nearest section header on a line ending at or before `end`, within `budget` lines and after lo."""
    import bisect

    starts, names = _section_headers(data)
    i = bisect.bisect_right(starts, end) - 1
    if i < 0:
        return ""
    start = starts[i]
    header_end = data.find(b"\n", start, end + 1)
    if header_end < 0:
        header_end = end
    if header_end <= lo or data.count(b"\n", start, end) + 1 > budget:
        return ""
    return names[i]


_TYPED_DECLARATION = None
MAX_TYPED = 200  # bytes before the bracket read for a typed declaration


def _names_before(text: bytes, names: list) -> None:
    """The callee and the key written before an opening bracket: `x = ccxt.okx(` -> ccxt.okx, x; a typed
    declaration's variable, not its type: `const gate: ExchangeCredentials = {` -> gate."""
    global _TYPED_DECLARATION
    m = _KEY_BEFORE.search(text)
    if m:
        key = m.group(1)
        if m.group(2) is None and text.rstrip().endswith(b"="):
            if _TYPED_DECLARATION is None:
                import re

                _TYPED_DECLARATION = re.compile(
                    rb"(?:^|[^\w$.])([A-Za-z_$][\w$]*)[ \t]*:[ \t]*[A-Za-z_$][\w$.<>\[\], |&?]{0,120}=[ \t]*$")
            typed = _TYPED_DECLARATION.search(text, max(0, len(text) - MAX_TYPED))
            if typed:
                key = typed.group(1)
        names.extend(_text(g) for g in (m.group(2), key) if g)


def has_words(name: str, words: frozenset) -> bool:
    return not words.isdisjoint(words_of(name)[1])
