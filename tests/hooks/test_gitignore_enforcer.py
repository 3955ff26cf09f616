"""gitignore-enforcer: judged by git's own matching; --fix appends atomically and keeps everything."""
from __future__ import annotations

import codecs
import os
import stat
import threading
from pathlib import Path

import pytest

from crypto_key_guard.gitignore_enforcer import main
from conftest import git

REQUIRED_PROBES = [".env", ".env.local", ".env.production", "prod.env", "secrets/anything",
                   "config/secrets.yaml", "__pycache__/x.pyc", "x.pyc"]
COMPLETE = ".env\n.env.*\n!.env.example\n*.env\nsecrets/\nconfig/secrets.yaml\n__pycache__/\n*.pyc\n"


def ignored(repo: Path, path: str) -> bool:
    return git(repo, "check-ignore", "-q", "--no-index", path, check=False).returncode == 0


@pytest.fixture
def repo(git_repo, monkeypatch) -> Path:
    monkeypatch.chdir(git_repo)
    return git_repo


def test_complete_gitignore_passes(repo) -> None:
    (repo / ".gitignore").write_text(COMPLETE)
    assert main([]) == 0


@pytest.mark.parametrize("content", [
    "", "*.log\n", ".env\n", "# .env\n*.pyc\n", ".env*\n!.env.production\n", "\\.env\n",
])
def test_gaps_are_found(repo, capsys, content) -> None:
    (repo / ".gitignore").write_text(content)
    assert main([]) == 1
    assert "not ignored" in capsys.readouterr().out


def test_wildcards_and_equivalent_forms_are_judged_by_git(repo) -> None:
    (repo / ".gitignore").write_text(".env*\n*.env\n**/secrets/\nconfig/secrets.yaml\n*.py[cod]\n__pycache__\n")
    assert main([]) == 0


def test_nested_gitignore_negation_is_seen(repo) -> None:
    (repo / ".gitignore").write_text(COMPLETE)
    (repo / "config").mkdir()
    (repo / "config" / ".gitignore").write_text("!secrets.yaml\n")  # a deeper file wins in git
    assert main([]) == 1


def test_global_excludes_do_not_count(repo, tmp_path, monkeypatch) -> None:
    excludes = tmp_path / "global-ignore"
    excludes.write_text(COMPLETE)
    git(repo, "config", "core.excludesFile", str(excludes))
    (repo / ".git" / "info").mkdir(exist_ok=True)
    (repo / ".git" / "info" / "exclude").write_text(COMPLETE)
    assert main([]) == 1  # a teammate's clone would not have these


@pytest.mark.parametrize("original", [
    b"*.log\n", b"*.log", b"*.log\r\n!.env.example\r\n", codecs.BOM_UTF8 + b"*.log\n# c\n", b"",
])
def test_fix_keeps_content_and_style_and_second_run_is_clean(repo, original) -> None:
    gi = repo / ".gitignore"
    gi.write_bytes(original)
    os.chmod(gi, 0o640)
    assert main(["--fix"]) == 1
    data = gi.read_bytes()
    assert data.startswith(original)  # every existing byte kept, in place
    assert data.endswith(b"\n")
    if b"\r\n" in original:
        assert data.count(b"\n") == data.count(b"\r\n")
    assert stat.S_IMODE(os.stat(gi).st_mode) == 0o640
    for probe in REQUIRED_PROBES:
        assert ignored(repo, probe), probe
    assert not ignored(repo, ".env.example")  # templates stay committable
    assert main([]) == 0
    assert main(["--fix"]) == 0
    assert gi.read_bytes() == data  # a second run changes nothing


def test_fix_creates_missing_gitignore(repo) -> None:
    assert main(["--fix"]) == 1
    assert (repo / ".gitignore").exists() and main([]) == 0


@pytest.mark.parametrize("target", ["shared.gitignore", ".git/config", ".git/hooks/pre-commit", "outside"])
def test_fix_never_writes_through_a_linked_gitignore(repo, tmp_path, capsys, target) -> None:
    """git (2.32+) does not read a linked .gitignore: writing through it never took effect, appended again on
    every run, and a link to .git/config broke every git command."""
    real = tmp_path / "outside.gitignore" if target == "outside" else repo / target
    if target == "shared.gitignore":
        real.write_text("*.log\n")
    before = real.read_bytes() if real.exists() else None
    (repo / ".gitignore").symlink_to(real)
    assert main(["--fix"]) == 2
    err = capsys.readouterr().err
    assert "symbolic link" in err and "Traceback" not in err
    assert (real.read_bytes() if real.exists() else None) == before
    assert git(repo, "status").returncode == 0


def test_fix_makes_git_ignore_the_paths(repo) -> None:
    """Not only that text was written: git itself ignores every required path afterwards, and a second run is
    clean."""
    assert main(["--fix"]) == 1
    for probe in REQUIRED_PROBES:
        assert git(repo, "-c", f"core.excludesFile={os.devnull}", "check-ignore", "-q", probe,
                   check=False).returncode == 0, probe
    assert main(["--fix"]) == 0


def test_required_paths_with_glob_characters_are_escaped(repo) -> None:
    (repo / ".gitignore").write_text(COMPLETE)
    assert main(["--require", "keys/backup[1].json", "--require", "#notes.txt", "--fix"]) == 1
    assert ignored(repo, "keys/backup[1].json") and ignored(repo, "#notes.txt")
    assert not ignored(repo, "keys/backup1.json")  # the literal name, not the glob
    text = (repo / ".gitignore").read_text()
    assert main(["--require", "keys/backup[1].json", "--require", "#notes.txt", "--fix"]) == 0  # idempotent
    assert (repo / ".gitignore").read_text() == text


@pytest.mark.parametrize("bad", ["two\nlines.json", "cr\rname", ""])
def test_required_path_must_be_one_line(repo, capsys, bad) -> None:
    (repo / ".gitignore").write_text(COMPLETE)
    assert main(["--require", bad, "--fix"]) == 2
    assert "one line" in capsys.readouterr().err
    assert (repo / ".gitignore").read_text() == COMPLETE


def test_read_only_gitignore_is_left_alone(repo, capsys) -> None:
    (repo / ".gitignore").write_text("*.log\n")
    os.chmod(repo / ".gitignore", 0o444)
    assert main(["--fix"]) == 2
    assert "read-only" in capsys.readouterr().err
    assert (repo / ".gitignore").read_text() == "*.log\n"
    assert stat.S_IMODE(os.stat(repo / ".gitignore").st_mode) == 0o444


def test_concurrent_fixes_leave_a_valid_file(repo) -> None:
    (repo / ".gitignore").write_text("*.log\n")
    results: list[int] = []
    threads = [threading.Thread(target=lambda: results.append(main(["--fix"]))) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    text = (repo / ".gitignore").read_text()
    assert text.startswith("*.log\n") and main([]) == 0


def test_outside_git_is_a_usage_error(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    assert main([]) == 2
    assert "git repository" in capsys.readouterr().err


def test_extra_required_path(repo) -> None:
    (repo / ".gitignore").write_text(COMPLETE)
    assert main(["--require", "wallet.json"]) == 1
    assert main(["--require", "wallet.json", "--fix"]) == 1
    assert ignored(repo, "wallet.json")
