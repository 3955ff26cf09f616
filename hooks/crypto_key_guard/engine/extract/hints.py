"""Where a name holding a hint can be, for the stdlib matcher (no google-re2).

Extraction's searches look for names holding one of the rules' hints: `(?:[A-Za-z_][A-Za-z0-9_.\\-]*?)?(?i:hint|...)`
after a byte that cannot be in a name. RE2 runs such a search as one automaton; a backtracking matcher retries
the lazy name prefix times ~30 hint alternatives at every byte of a region (most of a scan's time without RE2).
Here the hints' first words are found with bytes.find in a lower-cased copy (memchr speed), the name holding each
is walked back to where it starts, and the search's pattern is matched anchored there: the same matches, in the
same order, as the unanchored search (a name starts where its run of name bytes starts, just after a byte that
is no name byte: the only place such a search can match).
"""
from __future__ import annotations

from typing import Iterator

_NAME_BYTES = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-"
_NAME_SET = frozenset(_NAME_BYTES)
_SIGILS = frozenset(b"$@")  # `$name`, `@name`: part of the name group, never of the byte before it
_WALK = 64


class HintFinder:
    """The first words of a set of hints (lower case), and where they occur in a buffer. `compile_hints(subset)`
    gives the case-insensitive alternation of a subset of the hints (extraction's own, built by its rules)."""

    __slots__ = ("words", "_by_word")

    def __init__(self, hints, compile_hints) -> None:
        hints = [h for h in hints if h.split()]
        firsts = {h.split()[0].encode("ascii", "ignore").lower() for h in hints}
        firsts.discard(b"")
        # a word starting with another word occurs wherever that one does, at the same place
        self.words = tuple(sorted(w for w in firsts if not any(o != w and w.startswith(o) for o in firsts)))
        # per word, the alternation of the hints that can start where it occurs: tried anchored there
        self._by_word = {w: compile_hints(frozenset(h for h in hints
                                                    if h.split()[0].encode("ascii", "ignore").lower().startswith(w)))
                         for w in self.words}

    def occurrences(self, data: bytes, lo: int, hi: int) -> list[int]:
        """Sorted offsets in data[lo:hi] where one of the first words starts (ASCII case-insensitively)."""
        lower = lowered(data)
        found: list[int] = []
        for word in self.words:
            at = lower.find(word, lo, hi)
            while at >= 0:
                found.append(at)
                at = lower.find(word, at + 1, hi)
        found.sort()
        return found

    def present(self, data: bytes, lo: int, hi: int) -> bool:
        """Whether one of the hints (its words joined by any separators) occurs in data[lo:hi], as a search of
        their alternation would tell: the hints starting with a first word are tried anchored where it occurs."""
        lower = lowered(data)
        for word in self.words:
            at = lower.find(word, lo, hi)
            if at < 0:
                continue
            match = self._by_word[word].match
            while at >= 0:
                if match(data, at, hi) is not None:
                    return True
                at = lower.find(word, at + 1, hi)
        return False

    def matches(self, regex, data: bytes, lo: int, hi: int) -> Iterator:
        """Every match of `regex` in data[lo:hi], left to right, not overlapping, for a regex whose matches start
        with one of the hints: matched anchored where a first word occurs, as its unanchored search would find
        them (the leftmost such place where it matches)."""
        pos = lo
        for at in self.occurrences(data, lo, hi):
            if at < pos:
                continue
            m = regex.match(data, at, hi)
            if m is not None:
                yield m
                pos = m.end() if m.end() > at else at + 1

    def anywhere(self, text: bytes) -> bool:
        """Whether a first word occurs in text at all (a cheap test before a search that needs one)."""
        lower = text.lower()
        return any(word in lower for word in self.words)

    def name_spans(self, regex, data: bytes, lo: int, hi: int) -> Iterator[list[tuple[int, int]]]:
        """The spans (group 0, 1, ...) of every match of `regex` in data[lo:hi], left to right, not overlapping,
        for a regex that starts `(?:^|[^A-Za-z0-9_$@.\\-])[$@]?` and then a name holding a hint (the assignment
        search): each is matched anchored at the byte before the name that holds an occurrence."""
        groups = regex.groups
        pos = lo
        previous, start = -1, -1  # the last occurrence looked at, and where its name starts
        for at in self.occurrences(data, lo, hi):
            if previous >= 0 and not data[previous:at].translate(None, _NAME_BYTES):
                continue  # in the same name as the previous occurrence: tried already
            previous = at
            start = _name_start(data, at, lo)
            if start < 0:
                continue  # the name starts before the region: the search from lo cannot match it
            if start > 0 and data[start - 1] in _SIGILS:
                candidate = start - 2 if start - 2 >= pos else start - 1
            else:
                candidate = start - 1 if start - 1 >= pos else start
            if candidate < pos or candidate < 0:
                continue
            m = regex.match(data, candidate, hi)
            if m is None:
                continue
            yield [m.span(i) for i in range(groups + 1)]
            pos = m.end() if m.end() > m.start() else m.start() + 1


def _name_start(data: bytes, at: int, lo: int) -> int:
    """Where the run of name bytes holding data[at] starts, or -1 when it starts before lo."""
    p = at
    while p > lo:
        floor = max(lo, p - _WALK)
        chunk = data[floor:p]
        kept = len(chunk.rstrip(_NAME_BYTES))
        if kept:
            return floor + kept
        p = floor
    if p == lo and lo > 0 and data[lo - 1] in _NAME_SET:
        return -1
    return p


_LOWERED: list = [None, b""]  # the last buffer and its lower-case copy


def lowered(data: bytes) -> bytes:
    """data.lower(), made once per buffer (the searches of one file share it)."""
    if _LOWERED[0] is not data:
        _LOWERED[:] = [data, data.lower()]
    return _LOWERED[1]
