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
    planted = rules._built_cache_file(rules.builtin_yaml_files())
    assert planted is not None and planted.exists()
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
