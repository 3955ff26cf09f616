"""How names are shown in one-line messages."""
from __future__ import annotations


def printable(path: str) -> str:
    """A file name safe for a one-line message (newlines and control characters escaped)."""
    if path.isprintable():
        return path
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in path)


def unicode_safe(value):
    """A JSON-ready value whose strings are valid Unicode: a file name's bytes that are not UTF-8 (held as lone
    surrogates, Python's surrogateescape) are written as `\\xff` escapes, so the document encodes as UTF-8."""
    if isinstance(value, str):
        if value.isascii() or value.isprintable() or not any("\ud800" <= ch <= "\udfff" for ch in value):
            return value
        return value.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace") \
            .encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, dict):
        return {unicode_safe(k): unicode_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [unicode_safe(v) for v in value]
    return value


_SHELL_SAFE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@%+=:,./-_")


def shell_quote(arg: str) -> str:
    """One argument of a command a user may paste into a shell: the same argument back, on one line, with no raw
    control character (a newline or an ANSI escape in a name would run or repaint something else).

    Printable text is single-quoted (shlex.quote); anything else uses $'...' with escapes (bash, zsh, ksh)."""
    if arg and all(ch in _SHELL_SAFE for ch in arg):
        return arg
    if arg.isprintable():
        return "'" + arg.replace("'", "'\"'\"'") + "'"
    out = []
    for ch in arg:
        code = ord(ch)
        if ch in "\\'":
            out.append("\\" + ch)
        elif 0xDC80 <= code <= 0xDCFF:  # a file name's byte that is not UTF-8 (surrogateescape)
            out.append(f"\\x{code - 0xDC00:02x}")
        elif ch.isprintable():
            out.append(ch)
        elif code < 0x100:
            out.append({"\n": "\\n", "\t": "\\t", "\r": "\\r"}.get(ch, f"\\x{code:02x}"))
        else:
            out.append(f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
    return "$'" + "".join(out) + "'"


def json_text(doc, indent: int = 2) -> str:
    """A JSON document as text that encodes as UTF-8 (see unicode_safe), made in one piece: the common case pays
    one encode check, not a walk of the document."""
    import json

    text = json.dumps(doc, indent=indent, ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a file name with bytes that are not UTF-8
        text = json.dumps(unicode_safe(doc), indent=indent, ensure_ascii=False)
    return text
