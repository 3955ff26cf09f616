"""The performance paths give the same results as the plain ones: worker processes vs one process, the
one-pass keyword index vs a search per keyword, the scandir walk vs os.walk, the rules cache vs YAML."""
from __future__ import annotations

import os
import random
import re
from pathlib import Path

import pytest

from crypto_key_guard.engine import scanner as engine

from crypto_key_guard.engine import rules
from crypto_key_guard.engine.extract import names
from crypto_key_guard.engine.scanner import KeywordIndex, Scanner, scan_items
from crypto_key_guard.engine.examples import expand
from crypto_key_guard.engine.rules import default_rules
from crypto_key_guard.sources.files import tree_files

FILLER = [
    "def fetch_{w}(self, symbol):\n    return self.exchange.fetch_ticker(symbol)  # key {w}\n",
    "api_key = os.environ['{W}_API_KEY']\n",
    "logger.info('token refreshed for %s', '{w}')\n",
    "    'secret': config.get('{w}'),\n",
    "# nothing to see in {w}\n",
]


def _generate_tree(root: Path, rng: random.Random, files: int) -> None:
    """A tree of source files, some with planted keys from the rules' own match examples, some binary."""
    ruleset = default_rules()
    examples = [t for r in ruleset.rules for t in r.examples["match"]]
    for i in range(files):
        sub = root / f"pkg{i % 7}" / f"mod{i % 3}"
        sub.mkdir(parents=True, exist_ok=True)
        if i % 29 == 5:
            (sub / f"blob{i}.bin").write_bytes(bytes(rng.randrange(256) for _ in range(3000)) + b"\0" * 10)
            continue
        parts = []
        for _ in range(rng.randint(5, 60)):
            w = rng.choice(["binance", "kraken", "wallet", "order", "seed", "okx"])
            parts.append(rng.choice(FILLER).format(w=w, W=w.upper()))
            if rng.random() < 0.08:
                parts.append(expand(rng.choice(examples), rng) + "\n")
        data = "".join(parts).encode("utf-8")
        if i % 31 == 3:
            data = data.decode("utf-8").encode("utf-16")  # UTF-16 with BOM: transcoded before matching
        (sub / f"file{i}.py").write_bytes(data)
    (root / ".env").write_text(expand("BINANCE_API_SECRET={alnum:64}\n", rng))


def _as_tuples(result) -> list[tuple]:
    return [(f.file, f.line, f.column, f.rule, f.fingerprint, f.redacted) for f in result.findings]


@pytest.mark.parametrize("start_method", ["fork", "spawn"])  # spawn: macOS and Windows (the scanner is pickled)
def test_parallel_and_serial_scans_are_identical(tmp_path: Path, rng: random.Random, monkeypatch,
                                                 start_method: str) -> None:
    _generate_tree(tmp_path, rng, 240)
    # small thresholds so this small tree takes the worker path, in several batches
    monkeypatch.setattr(engine, "START_METHOD", start_method)
    monkeypatch.setattr(engine, "PARALLEL_MIN_BYTES", 1)
    monkeypatch.setattr(engine, "BATCH_FILES", 7)
    scanner = Scanner()
    serial = scan_items(scanner, tree_files(str(tmp_path)), jobs=1)
    parallel = scan_items(scanner, tree_files(str(tmp_path)), jobs=2)
    assert len(serial.findings) > 20  # the tree really holds secrets
    assert serial.stats["binary_skipped"] > 0
    assert _as_tuples(parallel) == _as_tuples(serial)
    assert parallel.findings == serial.findings
    assert parallel.stats == serial.stats
    assert parallel.notes == serial.notes


def test_small_source_is_scanned_in_process(tmp_path: Path, rng: random.Random, monkeypatch) -> None:
    _generate_tree(tmp_path, rng, 12)

    def no_workers(*args, **kwargs):
        raise AssertionError("a small scan must not start worker processes")
    monkeypatch.setattr(engine, "_parallel_outcomes", no_workers)
    result = scan_items(Scanner(), tree_files(str(tmp_path)), jobs=None)
    assert result.stats["files"] == 13


def test_keyword_index_agrees_with_lowered_search(rng: random.Random) -> None:
    ruleset = default_rules()
    index = KeywordIndex(ruleset.rules)
    words = [k.decode("utf-8", "replace") for k in index.keywords]
    # case variants, non-ASCII look-alikes that bytes.lower() does not fold (Kelvin sign, long s, dotless i)
    alphabet = ["\u212a", "\u017f", "\u0131", "\u00c9", "-", " ", "\n", "x"]
    for _ in range(300):
        parts = []
        for _ in range(rng.randint(0, 6)):
            w = rng.choice(words)
            parts.append("".join(c.upper() if rng.random() < 0.5 else c for c in w) if rng.random() < 0.7
                         else w.replace("k", "\u212a").replace("s", "\u017f"))
            parts.append(rng.choice(alphabet))
        data = "".join(parts).encode("utf-8")
        lowered = data.lower()
        # a word-start keyword counts only where a word of names.py's split starts (xt in XT_KEY, not in next)
        word_starts = {m.start() for m in _WORDS.finditer(data)}
        expected = {i for i, k in enumerate(index.keywords)
                    if k in lowered and (i not in index._word_start or
                                         any(at in word_starts for at in _occurrences(lowered, k)))}
        assert index.present(data) == expected, data


_WORDS = re.compile(names._SPLIT.pattern.encode())


def _occurrences(text: bytes, word: bytes) -> list[int]:
    found, at = [], text.find(word)
    while at >= 0:
        found.append(at)
        at = text.find(word, at + 1)
    return found


def test_word_start_keywords_skip_hits_inside_words() -> None:
    """A venue's keyword inside another word (xt in `next`) opens no region; where a word starts it does."""
    index = KeywordIndex(default_rules().rules)
    xt = index.keywords.index(b"xt")
    assert xt in index._word_start
    for inside in (b"next = context.text", b"NEXT_TEXT", b"Text", b"ABXT"):
        assert xt not in index.present(inside), inside
    for word in (b"XT_API_KEY", b"xt_key", b"myXtClient", b"APIXtKey", b"2xt", b'"xt"', b"xt"):
        assert xt in index.present(word), word


def test_walk_lists_like_os_walk(tmp_path: Path) -> None:
    for rel in ["b/z.py", "b/a.py", "a.txt", "c/.hidden/x", ".git/config", "b/.git/ignored", "Z/q"]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x")
    os.symlink(tmp_path / "b", tmp_path / "linkdir")
    os.symlink(tmp_path / "a.txt", tmp_path / "linkfile")
    expected = []
    for dirpath, dirnames, filenames in os.walk(tmp_path, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if d != ".git")
        expected += [os.path.relpath(os.path.join(dirpath, n), tmp_path) for n in sorted(filenames)]
    items = list(tree_files(str(tmp_path)))
    assert [i.path for i in items] == expected
    assert [i.skip for i in items if i.path == "linkfile"] == ["symlink (not followed)"]


def test_rules_cache_round_trip_and_unwritable_dir(tmp_path: Path, monkeypatch) -> None:
    shipped = rules.builtin_yaml_files()[0]
    monkeypatch.setenv(rules.CACHE_ENV, str(tmp_path / "cache"))
    first = rules.load_yaml(shipped)          # miss: parsed with PyYAML, then stored
    stored = list((tmp_path / "cache").glob("yaml-*.json"))
    assert len(stored) == 1
    assert rules.load_yaml(shipped) == first  # hit
    stored[0].write_text("{not json")         # a damaged entry is a miss, not an error
    assert rules.load_yaml(shipped) == first
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv(rules.CACHE_ENV, str(blocker / "cache"))  # cannot be created
    assert rules.load_yaml(shipped) == first
    user_file = tmp_path / "mine.yaml"
    user_file.write_text("version: 1\nrules: []\n")
    monkeypatch.setenv(rules.CACHE_ENV, str(tmp_path / "cache2"))
    rules.load_yaml(user_file)
    assert not (tmp_path / "cache2").exists()  # users' pattern files are never copied into the cache


def _plain(ruleset: rules.RuleSet) -> list:
    """The rules as plain values: a lazily compiled regex by its source."""
    def plain(value):
        if isinstance(value, rules.LazyRegex):
            return ("regex", value.pattern)
        return tuple(plain(v) for v in value) if isinstance(value, tuple) else value
    return [tuple(plain(v) for v in rule) for rule in ruleset.rules]


def test_built_rules_cache_gives_the_same_rules(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv(rules.CACHE_ENV, "")
    fresh = rules.load_rules()
    monkeypatch.setenv(rules.CACHE_ENV, str(tmp_path / "cache"))
    assert _plain(rules.load_rules()) == _plain(fresh)      # miss: built, then stored
    stored = list((tmp_path / "cache").glob("rules-*.marshal"))
    assert len(stored) == 1
    cached = rules.load_rules()                              # hit
    first = cached.rules[0]
    assert isinstance(first.regex if first.value is None else first.value, rules.LazyRegex) and first.group == -1
    assert cached.not_credential == fresh.not_credential and cached.owner_words == fresh.owner_words
    assert _plain(cached) == _plain(fresh)
    assert cached.files == fresh.files and cached.public_test_keys == fresh.public_test_keys
    assert [p.search(b"your_api_key_here") is not None for p in cached.placeholders] == \
        [p.search(b"your_api_key_here") is not None for p in fresh.placeholders]
    some = fresh.rules[0].id
    assert [r.id for r in rules.load_rules(disabled=[some]).rules] == [r.id for r in fresh.rules[1:]]
    with pytest.raises(rules.ConfigError, match="no such rule"):
        rules.load_rules(disabled=["no-such-rule"])
    stored[0].write_bytes(b"\x00damaged")                   # a damaged entry is a miss, not an error
    assert _plain(rules.load_rules()) == _plain(fresh)
    text = "hello " + expand("BINANCE_API_KEY = '{alnum:64}'", random.Random(7))
    assert [f.rule for f in Scanner(rules.load_rules()).scan_bytes(text.encode())] == ["binance-api-credential"]


@pytest.mark.parametrize("jobs", [1, 2])
def test_file_gone_after_listing_is_a_note_in_both_modes(tmp_path: Path, rng, monkeypatch, jobs: int) -> None:
    _generate_tree(tmp_path, rng, 20)
    items = list(tree_files(str(tmp_path)))
    (tmp_path / "pkg0" / "mod0" / "file0.py").unlink()
    monkeypatch.setattr(engine, "PARALLEL_MIN_BYTES", 1)
    result = scan_items(Scanner(), items, jobs=jobs)
    assert [n for n in result.notes if "cannot read" in n] == [
        f"pkg0{os.sep}mod0{os.sep}file0.py: cannot read (No such file or directory)"]
    assert result.stats["not_scanned"] == 1
