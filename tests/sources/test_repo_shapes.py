"""Bare repositories, sparse checkouts and submodules (issue 17, item 17), through the `crypto-key-guard`
process and real git."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import git

BIN = Path(sys.executable).parent


def ckg(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "crypto-key-guard"), *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300)


def test_history_of_a_bare_repository_applies_the_committed_ignore_file(git_repo: Path, tmp_path: Path,
                                                                        fake) -> None:
    (git_repo / "bot.py").write_text(f'BINANCE_API_SECRET = "{fake("{alnum:64}")}"\n')
    git(git_repo, "add", "-A")
    git(git_repo, "commit", "-qm", "a test key", "--no-verify")
    assert ckg("ignore", "add", "--yes", cwd=git_repo).returncode == 0
    git(git_repo, "add", "-A")
    git(git_repo, "commit", "-qm", "accepted", "--no-verify")
    assert ckg("scan", "--history", cwd=git_repo).returncode == 0
    bare = tmp_path / "mirror.git"
    git(tmp_path, "clone", "-q", "--bare", str(git_repo), str(bare))
    result = ckg("scan", "--history", cwd=bare)
    assert result.returncode == 0, result.stdout + result.stderr
    (git_repo / "other.py").write_text(f'KRAKEN_API_SECRET = "{fake("{base64:88}")}"\n')
    git(git_repo, "add", "-A")
    git(git_repo, "commit", "-qm", "another", "--no-verify")
    git(bare, "fetch", "-q", str(git_repo), "+refs/heads/*:refs/heads/*")
    result = ckg("scan", "--history", cwd=bare)
    assert result.returncode == 1 and "other.py" in result.stdout and "bot.py" not in result.stdout


def test_sparse_checkout_files_are_not_called_deleted(git_repo: Path) -> None:
    for name in ("kept/a.py", "sparse/b.py"):
        (git_repo / name).parent.mkdir(exist_ok=True)
        (git_repo / name).write_text("x = 1\n")
    git(git_repo, "add", "-A")
    git(git_repo, "commit", "-qm", "two dirs", "--no-verify")
    git(git_repo, "sparse-checkout", "set", "kept")
    assert not (git_repo / "sparse").exists()
    result = ckg("scan", cwd=git_repo)
    assert result.returncode == 0
    assert "sparse/b.py: outside the sparse checkout" in result.stderr and "deleted" not in result.stderr


def test_a_submodule_says_how_to_scan_it(git_repo: Path, tmp_path: Path) -> None:
    inner = tmp_path / "inner"
    inner.mkdir()
    git(inner, "init", "-q")
    (inner / "x.py").write_text("x = 1\n")
    git(inner, "add", "-A")
    git(inner, "commit", "-qm", "inner", "--no-verify")
    git(git_repo, "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(inner), "vendor/inner")
    result = ckg("scan", cwd=git_repo)
    assert result.returncode == 0
    assert "vendor/inner: a git submodule" in result.stderr and "git submodule foreach" in result.stderr
