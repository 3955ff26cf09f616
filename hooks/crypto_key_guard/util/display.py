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
