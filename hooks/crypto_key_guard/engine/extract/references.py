"""A literal that reaches a call through variables: `let key_hex = "..";` then
`PrivateKeySigner::from_bytes(&B256::from_slice(&hex::decode(key_hex)?))`, `const k = '0x..'` then
`new ethers.Wallet(k, provider)`. The literal is named by the callee it reaches, as a literal written in the call
would be.

Only calls whose callee is one the rules name (signers, clients) are followed, only when they hold no literal
argument (those are read directly), through at most MAX_HOPS assignments (`key_bytes = hex::decode(key_hex)`)
within REF_BACK bytes before the call. A signer's argument is rarely a variable defined more than a screen away
and the search looks back only from such calls, so the cost stays with the few files that have them.
"""
from __future__ import annotations

import re

from crypto_key_guard.engine.extract import (Entry, _bare, _callee, _callee_before, _finder, _matches, _re,
                                             _CALL_POS_CALLEE, _QUOTES, _STDLIB, _skip, hint_alternatives,
                                             read_strings)

REF_BACK = 4096     # bytes looked back for a variable's assignment
MAX_HOPS = 3        # assignments followed from the call to the literal
MAX_ARGS = 400      # bytes of the call's arguments read
MAX_VARIABLES = 4   # variables of one call followed
_IDENTIFIER = re.compile(rb"(?<![\w.$:])([A-Za-z_$][\w$]*)(?![\w$]*[ \t]*(?:\(|::|!))")
_NOT_VARIABLES = frozenset((b"mut", b"ref", b"self", b"this", b"new", b"await", b"None", b"null", b"nil", b"true",
                            b"false", b"provider", b"chain_id", b"chainId"))


def _call_pattern(callee_alternatives: bytes) -> bytes:
    """A callee holding one of the rules' callee words, then its '(' (no leading unbounded run: see _calls)."""
    return rb"(?i:" + callee_alternatives + rb")[A-Za-z0-9_$.:]*[ \t]*\((?P<open>)"


_PARENS = re.compile(rb"[()]")


def _arguments_end(data: bytes, open_paren: int) -> int:
    """The ')' closing the '(' at open_paren (within MAX_ARGS bytes), or -1."""
    depth = 0
    for m in _PARENS.finditer(data, open_paren, min(len(data), open_paren + MAX_ARGS)):
        depth += 1 if data[m.start()] == 40 else -1
        if depth == 0:
            return m.start()
    return -1


def _literal_at(data: bytes, p: int):
    """(start, end, text, quote) of a string or 0x literal at p, or None."""
    if p < len(data) and data[p] in _QUOTES:
        s = read_strings(data, p, len(data))
        return None if s is None else (s[0], s[1], s[2], s[4])
    if data[p:p + 2] in (b"0x", b"0X"):
        e = _bare(data, p, len(data))
        return p, e, data[p:e].decode("ascii", "replace"), ""
    return None


def _assignment_before(data: bytes, name: bytes, floor: int, before: int) -> int:
    """Where the value starts of the nearest `name = v` / `name: T = v` before `before` (not `==`), or -1. Found
    with rfind (a variable is named a few times in a screen of code), not a regex per variable."""
    at = before
    n = len(name)
    while True:
        at = data.rfind(name, floor, at)
        if at < 0:
            return -1
        if at > 0 and (data[at - 1:at].isalnum() or data[at - 1] in b"_$.") or \
                data[at + n:at + n + 1].isalnum() or data[at + n] in b"_$":
            continue
        p = _skip(data, at + n, before)
        if data[p:p + 1] == b":":  # a type: `let key: &str = ..`, `const k: string = ..`
            eq = data.find(b"=", p, min(before, p + 80))
            if eq < 0 or b"\n" in data[p:eq] or b";" in data[p:eq]:
                continue
            p = eq
        if data[p:p + 1] == b"=" and data[p + 1:p + 2] not in (b"=", b">"):
            return _skip(data, p + 1, before)


def _resolve(data: bytes, name: bytes, before: int, floor: int, hops: int, seen: set):
    """The literal a variable holds at `before`, following up to `hops` assignments; None if none."""
    if hops <= 0 or name in seen or name in _NOT_VARIABLES:
        return None
    seen.add(name)
    at = _assignment_before(data, name, max(floor, before - REF_BACK), before)
    if at < 0:
        return None
    literal = _literal_at(data, at)
    if literal is not None:
        return literal
    eol = data.find(b"\n", at, at + 400)
    rhs = data[at: eol if eol >= 0 else min(len(data), at + 400)]
    for m in _IDENTIFIER.finditer(rhs):
        hit = _resolve(data, m.group(1), at, floor, hops - 1, seen)
        if hit is not None:
            return hit
    return None


def references(data: bytes, regions, out: list, callee_hints: frozenset) -> None:
    """Entries for literals that reach a call to a callee holding one of callee_hints through variables (see the
    module's docstring)."""
    search = _re(_call_pattern(hint_alternatives(callee_hints)))
    check = _re(_CALL_POS_CALLEE, callees=_callee(callee_hints))
    # without google-re2 the search starts only where a callee word does (see extract/hints.py)
    finder = _finder(callee_hints) if _STDLIB else None
    for lo, hi in regions:
        for m in (_matches(search, data, lo, hi) if finder is None else finder.matches(search, data, lo, hi)):
            open_paren = m.start(1) - 1
            name_end = open_paren
            while name_end > m.start() and data[name_end - 1] in b" \t":
                name_end -= 1
            callee = _callee_before(data, name_end)
            if not callee or check.search(callee) is None:
                continue
            first = _skip(data, open_paren + 1, len(data), True)
            if first >= len(data) or data[first] == 41 or _literal_at(data, first) is not None:
                continue  # no argument, or a literal one (read by the positional-call search)
            end = _arguments_end(data, open_paren)
            if end < 0:
                continue
            followed = 0
            for a in _IDENTIFIER.finditer(data, open_paren + 1, end):
                after = _skip(data, a.end(), end)
                if data[after:after + 1] == b"=" and data[after + 1:after + 2] != b"=":
                    continue  # a keyword argument's name (key=key): its value is the next identifier
                if followed >= MAX_VARIABLES:
                    break
                followed += 1
                # every variable is followed (ClobClient(host, key=key): the host is a literal too; each
                # literal is an entry, the rules' shapes tell the key from the URL)
                hit = _resolve(data, a.group(1), m.start(), max(0, lo - REF_BACK), MAX_HOPS, set())
                if hit is not None:
                    start, stop, text, quote = hit
                    out.append(Entry("", text, start, stop, quote, "call", callee=callee.decode("utf-8", "replace")))
