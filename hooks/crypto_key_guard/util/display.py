"""How names are shown in one-line messages."""
from __future__ import annotations


def printable(path: str) -> str:
    """A file name safe for a one-line message (newlines and control characters escaped)."""
    if path.isprintable():
        return path
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in path)
