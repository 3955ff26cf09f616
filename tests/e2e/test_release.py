"""Release-ready: one version, a licence, wheels for every claimed platform, and `pre-commit autoupdate` moving a
user's config to a new tag (the route RELEASING.md describes)."""
from __future__ import annotations

import configparser
import functools
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import crypto_key_guard
from conftest import PROJECT_ROOT, git

PRE_COMMIT = [sys.executable, "-m", "pre_commit"]


@functools.lru_cache(maxsize=1)
def index_reachable() -> bool:
    """Whether pip can reach the package index (CI can; a sandbox may not)."""
    try:
        probe = subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
             "--platform", "musllinux_1_2_x86_64", "--python-version", "3.12", "--implementation", "cp",
             "--abi", "none", "-d", str(Path(PROJECT_ROOT / "build" / "probe")), "identify"],
            capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return probe.returncode == 0


def setup_cfg() -> configparser.ConfigParser:
    config = configparser.ConfigParser()
    config.read(PROJECT_ROOT / "setup.cfg")
    return config


def test_version_lives_in_one_place() -> None:
    assert setup_cfg().get("metadata", "version") == "attr: crypto_key_guard.__version__"
    assert re.fullmatch(r"\d+\.\d+\.\d+", crypto_key_guard.__version__)
    changelog = (PROJECT_ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert f"## [{crypto_key_guard.__version__}]" in changelog
    version_strings = [p for p in (PROJECT_ROOT / "hooks").rglob("*.py")
                       if re.search(r"^__version__\s*=", p.read_text(encoding="utf-8"), re.M)]
    assert version_strings == [PROJECT_ROOT / "hooks" / "crypto_key_guard" / "__init__.py"]


def test_licence_file_and_claimed_pythons() -> None:
    assert (PROJECT_ROOT / "LICENSE").read_text(encoding="utf-8").startswith("MIT License")
    config = setup_cfg()
    assert config.get("options", "python_requires") == ">=3.10"
    claimed = re.findall(r"Python :: (3\.\d+)$", config.get("metadata", "classifiers"), re.M)
    assert claimed[0] == "3.10" and sys.version_info >= (3, 10)
    assert "google-re2" not in config.get("options", "install_requires")  # an extra: no musl wheels


@pytest.mark.skipif(not index_reachable(), reason="package index unreachable")
def test_every_hard_dependency_has_wheels_on_every_claimed_platform() -> None:
    proc = subprocess.run([sys.executable, str(PROJECT_ROOT / "scripts" / "check_wheels.py")],
                          capture_output=True, text=True, timeout=1200)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "musllinux_1_2_x86_64" in proc.stdout and "win_amd64" in proc.stdout


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_pre_commit_autoupdate_moves_a_config_to_the_new_tag(tmp_path: Path) -> None:
    """A local clone stands in for the published repository: tag a release, pin it, tag the next, autoupdate."""
    upstream = tmp_path / "upstream"
    subprocess.run(["git", "clone", "--quiet", "--no-hardlinks", str(PROJECT_ROOT), str(upstream)], check=True)
    git(upstream, "tag", "v0.1.0")
    user = tmp_path / "user"
    user.mkdir()
    git(user, "init", "-q")
    config = user / ".pre-commit-config.yaml"
    config.write_text(f"repos:\n  - repo: {upstream}\n    rev: v0.1.0\n    hooks:\n"
                      "      - id: crypto-key-patterns\n      - id: env-file-guard\n")
    git(upstream, "commit", "--allow-empty", "-qm", "the next release")
    git(upstream, "tag", "v0.1.1")
    proc = subprocess.run([*PRE_COMMIT, "autoupdate"], cwd=user, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "rev: v0.1.1" in config.read_text() and "v0.1.0 -> v0.1.1" in proc.stdout
