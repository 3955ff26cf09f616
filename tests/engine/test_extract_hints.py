"""engine/extract/hints.py: without google-re2 the hinted searches are matched anchored where a hint occurs;
they must find exactly what the unanchored search finds."""
from __future__ import annotations

import random

from crypto_key_guard.engine import extract as ex
from crypto_key_guard.engine.extract.hints import HintFinder
from crypto_key_guard.engine.scanner import Scanner

NAME_HINTS, CALLEE_HINTS = Scanner()._names_hints()
PIECES = ["api_key", "KEY", "Secret", "passphrase", "id", "valid", "$", "@", "$$", "a.b-c", "_", ".", "-", "9",
          " = ", "=", ": ", ":", " := ", " => ", "==", "\n", "\t", " ", "'", '"', "\\\"", "]", "[", "(", ")", ",",
          "x", "Token", "PRIVATE_KEY", "pk", "wallet", "from_private_key", "bs58.decode", "sign_transaction", "{"]


def _finder(hints) -> HintFinder:
    return HintFinder(hints, lambda subset: ex._re(b"(?i:" + ex.hint_alternatives(subset) + b")"))


def _texts(seed: int, count: int) -> list[bytes]:
    rng = random.Random(seed)
    return ["".join(rng.choice(PIECES) for _ in range(rng.randrange(5, 80))).encode() for _ in range(count)]


def test_assignment_spans_are_those_of_the_unanchored_search() -> None:
    regex = ex._re(ex._ASSIGN, ex._named(NAME_HINTS))
    finder = _finder(NAME_HINTS)
    checked = found = 0
    for data in _texts(3, 400):
        for lo in range(0, len(data), 9):
            for hi in (len(data), lo + 25):
                hi = min(hi, len(data))
                expected = [list(s) for s in ex._spans(regex, data, lo, hi)]
                assert [list(s) for s in finder.name_spans(regex, data, lo, hi)] == expected, (data, lo, hi)
                checked += 1
                found += len(expected)
    assert checked > 1000 and found > 500


def test_a_callee_hint_is_present_where_the_search_finds_one() -> None:
    words = ex._re(b"(?i:" + ex.hint_alternatives(CALLEE_HINTS) + b")")
    finder = _finder(CALLEE_HINTS)
    answers = set()
    for data in _texts(4, 300):
        for lo in range(0, len(data), 13):
            expected = words.search(data, lo, len(data)) is not None
            assert finder.present(data, lo, len(data)) == expected, (data, lo)
            answers.add(expected)
        assert finder.anywhere(data) or words.search(data) is None
    assert answers == {True, False}


def test_call_matches_are_those_of_the_unanchored_search() -> None:
    """The search for calls to a signer (extract/references.py): matched where a callee word starts."""
    from crypto_key_guard.engine.extract.references import _call_pattern

    regex = ex._re(_call_pattern(ex.hint_alternatives(CALLEE_HINTS)))
    finder = _finder(CALLEE_HINTS)
    found = 0
    for data in _texts(5, 400):
        for lo in range(0, len(data), 17):
            expected = [(m.start(1), m.end(1)) for m in ex._matches(regex, data, lo, len(data))]
            assert [(m.start(1), m.end(1)) for m in finder.matches(regex, data, lo, len(data))] == expected, (data, lo)
            found += len(expected)
    assert found > 100


def test_call_searches_from_their_parenthesis_find_what_the_whole_search_finds() -> None:
    """Without google-re2 the call searches start at their '(' (extract._paren_matches); the spans of every group
    are those of the search as written."""
    searches = [(ex._CALL_NAMED, ex._named(NAME_HINTS), b""), (ex._CALL_POS, ex._NAME_ANY, ex._callee(CALLEE_HINTS))]
    rng = random.Random(6)
    found = 0
    for pattern, names, callees in searches:
        regex = ex._re(pattern, names, callees)
        for _ in range(300):
            data = "".join(rng.choice(PIECES + [" (", "(\"", "  ('", "\t(", "--api-key", "0xab"])
                           for _ in range(rng.randrange(3, 50))).encode()
            for lo in range(0, len(data), 7):
                expected = [[(m.start(i), m.end(i)) for i in range(3)] for m in ex._matches(regex, data, lo, len(data))]
                ours = [[(m.start(i), m.end(i)) for i in range(3)]
                        for m in ex._paren_matches(pattern, names, callees, data, lo, len(data))]
                assert ours == expected, (pattern[:40], data, lo)
                found += len(expected)
    assert found > 300
