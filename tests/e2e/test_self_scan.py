"""This repository passes its own hooks: no literal realistic secret anywhere in its tracked files."""
from __future__ import annotations

import subprocess

from conftest import PROJECT_ROOT

from crypto_key_guard import crypto_key_patterns, env_file_guard


def tracked_files() -> list[str]:
    out = subprocess.run(["git", "ls-files", "-z"], cwd=PROJECT_ROOT, capture_output=True, check=True).stdout
    return [str(PROJECT_ROOT / n.decode()) for n in out.split(b"\0") if n]


def test_crypto_key_patterns_on_own_files(capsys) -> None:
    files = tracked_files()
    assert len(files) > 10
    assert crypto_key_patterns.main(files) == 0, capsys.readouterr().out


def test_env_file_guard_on_own_files(capsys) -> None:
    assert env_file_guard.main([f for f in tracked_files()]) == 0, capsys.readouterr().out
