"""The rule cache is verified before it is trusted (issue 17, item 8), through the `crypto-key-guard` process."""
from __future__ import annotations

import marshal
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from crypto_key_guard.engine import rules

BIN = Path(sys.executable).parent


def scan(path: Path, env: dict, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "crypto-key-guard"), "scan", str(path)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def key_file(tmp_path: Path, fake) -> Path:
    target = tmp_path / "work" / "bot.py"
    target.parent.mkdir()
    target.write_text(f'BINANCE_API_SECRET = "{fake("{alnum:64}")}"\n')
    return target


def test_a_planted_rules_cache_is_not_trusted(tmp_path: Path, key_file: Path, monkeypatch) -> None:
    cache = tmp_path / "cache"
    env = dict(os.environ, **{rules.CACHE_ENV: str(cache)})
    assert scan(key_file, env, key_file.parent).returncode == 1  # the cache is made
    monkeypatch.setenv(rules.CACHE_ENV, str(cache))
    entry = rules._built_cache_file(rules.builtin_yaml_files())
    assert entry is not None
    planted = Path(entry)
    assert planted.exists()
    for content in (marshal.dumps(([], [], [], [])),                       # no rules at all, old format
                    rules._CACHE_MAGIC + bytes(32) + marshal.dumps(([], [], [], []))):  # forged tag
        planted.write_bytes(content)
        result = scan(key_file, env, key_file.parent)
        assert result.returncode == 1, result.stdout + result.stderr
        assert "binance" in result.stdout
    assert stat.S_IMODE(os.stat(cache).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(cache / "key").st_mode) == 0o600


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX permissions")
def test_an_open_cache_directory_is_tightened(tmp_path: Path, key_file: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o777)
    os.chmod(cache, 0o777)
    env = dict(os.environ, **{rules.CACHE_ENV: str(cache)})
    assert scan(key_file, env, key_file.parent).returncode == 1
    assert stat.S_IMODE(os.stat(cache).st_mode) == 0o700


def test_a_relative_cache_location_is_ignored(tmp_path: Path, key_file: Path, git_repo: Path) -> None:
    """XDG_CACHE_HOME=.cache would have written (and later trusted) a cache inside whatever repository the
    command ran in, one a repository could ship."""
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if k != rules.CACHE_ENV}
    env.update(HOME=str(home), XDG_CACHE_HOME=".cache")
    (git_repo / "bot.py").write_text(key_file.read_text())
    assert scan(Path("bot.py"), env, git_repo).returncode == 1
    assert not (git_repo / ".cache").exists()
    assert (home / ".cache" / "crypto-key-guard").is_dir()
    env[rules.CACHE_ENV] = "cache-here"
    assert scan(Path("bot.py"), env, git_repo).returncode == 1
    assert not (git_repo / "cache-here").exists()


def test_rules_read_from_the_cache_equal_the_rules_built_from_the_yaml(tmp_path: Path, monkeypatch) -> None:
    """What the cache gives back (every hook run reads it) must be what the YAML builds, examples included, and
    survive pickling (the history workers under spawn)."""
    import pickle

    monkeypatch.setenv(rules.CACHE_ENV, str(tmp_path / "cache"))
    built = rules.load_rules()
    assert list((tmp_path / "cache").glob("rules-*.marshal"))

    def not_built(*args, **kwargs):
        raise AssertionError("the second load must come from the cache")

    monkeypatch.setattr(rules, "_build_rule", not_built)
    cached = rules.load_rules()
    assert [r.id for r in cached.rules] == [r.id for r in built.rules]
    assert [dict(r.examples) for r in cached.rules] == [r.examples for r in built.rules]
    assert any(r.examples["match"] for r in cached.rules)
    regex_fields = {"regex", "context", "context_after", "value", "placeholders", "allow", "examples"}
    plain = [n for n, f in enumerate(rules.Rule._fields) if f not in regex_fields]
    assert [[r[n] for n in plain] for r in cached.rules] == [[r[n] for n in plain] for r in built.rules]
    for rule, original in zip(cached.rules, built.rules):
        for field in ("regex", "context", "context_after", "value"):
            a, b = getattr(rule, field), getattr(original, field)
            assert (a is None and b is None) or a.pattern == b.pattern, (rule.id, field)
    again = pickle.loads(pickle.dumps(cached.rules[0]))
    assert again.id == built.rules[0].id and again.examples == built.rules[0].examples

