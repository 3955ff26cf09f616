"""Shared fixtures: seeded fake secrets, throw-away git repositories, and the project root."""
from __future__ import annotations

import os
import random
import subprocess
from pathlib import Path

import pytest

from crypto_key_guard.engine.examples import expand

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# git commits made by tests (and by pre-commit try-repo) must not depend on the machine's git identity
for _k, _v in {
    "GIT_AUTHOR_NAME": "test", "GIT_AUTHOR_EMAIL": "test@example.invalid",
    "GIT_COMMITTER_NAME": "test", "GIT_COMMITTER_EMAIL": "test@example.invalid",
}.items():
    os.environ.setdefault(_k, _v)


@pytest.fixture
def rng() -> random.Random:
    return random.Random(20261125)


@pytest.fixture
def fake(rng):
    """fake('{alnum:64}') -> a fresh seeded value of that shape (never a real key)."""
    return lambda template: expand(template, rng)


def git(cwd: Path | str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=check)


@pytest.fixture
def git_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    git(repo, "config", "user.email", "test@example.invalid")
    git(repo, "config", "user.name", "test")
    git(repo, "config", "commit.gpgsign", "false")
    return repo
