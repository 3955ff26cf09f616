"""End to end: the real `pre-commit try-repo` installs this repository as a user would and runs each hook
on a real git repository."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import PROJECT_ROOT, git

PRE_COMMIT = [sys.executable, "-m", "pre_commit"]
pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")


def try_repo(repo: Path, hook: str, *files: str) -> subprocess.CompletedProcess:
    args = [*PRE_COMMIT, "try-repo", str(PROJECT_ROOT), hook, "--verbose"]
    args += ["--files", *files] if files else ["--all-files"]
    return subprocess.run(args, cwd=repo, capture_output=True, text=True, timeout=600)


def test_crypto_key_patterns_blocks_a_staged_key_and_passes_clean_code(git_repo, fake) -> None:
    key, secret = fake("{alnum:64}"), fake("{alnum:64}")
    (git_repo / "bot.py").write_text(
        f'import ccxt\nexchange = ccxt.binance({{\n    "apiKey": "{key}",\n    "secret": "{secret}",\n}})\n')
    (git_repo / "clean.py").write_text('import os\nkey = os.environ["BINANCE_API_KEY"]\n')
    git(git_repo, "add", "bot.py", "clean.py")
    blocked = try_repo(git_repo, "crypto-key-patterns", "bot.py")
    output = blocked.stdout + blocked.stderr
    assert blocked.returncode == 1, output
    assert "binance-api-credential" in output and "bot.py:3:" in output
    assert key not in output and secret not in output
    clean = try_repo(git_repo, "crypto-key-patterns", "clean.py")
    assert clean.returncode == 0, clean.stdout + clean.stderr


def test_utf16_file_reaches_the_scanner(git_repo, fake) -> None:
    (git_repo / "win.py").write_bytes('BINANCE_API_SECRET = "{}"\r\n'.format(fake("{alnum:64}")).encode("utf-16"))
    git(git_repo, "add", "win.py")
    assert try_repo(git_repo, "crypto-key-patterns", "win.py").returncode == 1


def test_env_file_guard_blocks_a_staged_env(git_repo, fake) -> None:
    (git_repo / ".env").write_text(f"BINANCE_API_KEY={fake('{alnum:64}')}\n")
    (git_repo / ".env.example").write_text("BINANCE_API_KEY=your_api_key_here\n")
    git(git_repo, "add", "-f", ".env", ".env.example")
    result = try_repo(git_repo, "env-file-guard", ".env")
    assert result.returncode == 1 and "git rm --cached" in result.stdout
    assert try_repo(git_repo, "env-file-guard", ".env.example").returncode == 0


def test_gitignore_enforcer_blocks_then_fix_via_cli_makes_it_pass(git_repo) -> None:
    (git_repo / ".gitignore").write_text("*.log\n")
    git(git_repo, "add", ".gitignore")
    assert try_repo(git_repo, "gitignore-enforcer").returncode == 1
    fixed = subprocess.run([str(Path(sys.executable).parent / "gitignore-enforcer"), "--fix"], cwd=git_repo,
                           capture_output=True, text=True)
    assert fixed.returncode == 1
    git(git_repo, "add", ".gitignore")
    assert try_repo(git_repo, "gitignore-enforcer").returncode == 0
