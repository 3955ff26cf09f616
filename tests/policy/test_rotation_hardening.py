"""The rotation log and the names we print (issue 17, items 4, 7 and 11), through the installed commands."""
from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import git

BIN = Path(sys.executable).parent
LOG = ".key_rotation_log.json"


def run(script: str, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / script), *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def test_eight_concurrent_records_all_survive(git_repo: Path) -> None:
    procs = [subprocess.Popen([str(BIN / "crypto-key-guard"), "rotation", "record", f"bot-key-{i}", "--permission",
                               "trading"], cwd=git_repo, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for i in range(8)]
    for p in procs:
        assert p.wait(timeout=120) == 0, p.stderr.read()
    assert sorted(json.loads((git_repo / LOG).read_text())) == [f"bot-key-{i}" for i in range(8)]


@pytest.mark.parametrize("target", ["outside", "dangling", ".git/config"])
def test_a_linked_log_is_never_written_through(git_repo: Path, tmp_path: Path, target: str) -> None:
    real = {"outside": tmp_path / "elsewhere.json", "dangling": tmp_path / "nothing-here.json",
            ".git/config": git_repo / ".git" / "config"}[target]
    if target == "outside":
        real.write_text("{}\n")
    before = real.read_bytes() if real.exists() else None
    (git_repo / LOG).symlink_to(real)
    result = run("crypto-key-guard", "rotation", "record", "binance-bot", "--permission", "trading", cwd=git_repo)
    assert result.returncode == 2 and "symbolic link" in result.stderr and "Traceback" not in result.stderr
    assert (real.read_bytes() if real.exists() else None) == before
    assert git(git_repo, "status").returncode == 0


def test_a_read_only_log_stays_read_only(git_repo: Path) -> None:
    (git_repo / LOG).write_text("{}\n")
    os.chmod(git_repo / LOG, 0o444)
    result = run("crypto-key-guard", "rotation", "record", "binance-bot", "--permission", "trading", cwd=git_repo)
    assert result.returncode == 2 and "read-only" in result.stderr
    assert (git_repo / LOG).read_text() == "{}\n" and stat.S_IMODE(os.stat(git_repo / LOG).st_mode) == 0o444


@pytest.mark.parametrize("content, words", [
    ('{"\\ud800bot": {"last_rotated": "2026-01-01", "permission_level": "trading"}}', "surrogate"),
    ('{"bot": {"last_rotated": ' + "9" * 5000 + ', "permission_level": "trading"}}', "5000 digits"),
])
def test_a_broken_log_is_one_clear_line_and_exit_2(git_repo: Path, content: str, words: str) -> None:
    (git_repo / LOG).write_text(content)
    for script, args in (("key-rotation-check", ()), ("crypto-key-guard", ("rotation", "status")),
                         ("crypto-key-guard", ("rotation", "record", "x-bot", "--permission", "trading"))):
        result = run(script, *args, cwd=git_repo)
        assert result.returncode == 2, (script, result.stdout, result.stderr)
        assert words in result.stderr and "Traceback" not in result.stderr


def test_overdue_names_are_printed_quoted_and_escaped(git_repo: Path) -> None:
    name = "bot\n$(touch pwned)\x1b[2J"
    (git_repo / LOG).write_text(json.dumps({name: {"last_rotated": "2020-01-01", "permission_level": "trading"}}))
    result = run("key-rotation-check", cwd=git_repo)
    assert result.returncode == 1
    assert "\x1b" not in result.stdout
    [then] = [line for line in result.stdout.splitlines() if "then:" in line]
    command = then.split("then:", 1)[1].strip()
    echoed = subprocess.run(["bash", "-c", command.replace("crypto-key-guard", "printf '%s\\0'", 1)],
                            cwd=git_repo, capture_output=True, text=True)
    assert echoed.stdout.split("\0")[2] == name  # pasted, the command gets the name back as one argument
    assert not (git_repo / "pwned").exists()


def test_env_file_guard_suggests_a_quoted_command(git_repo: Path) -> None:
    name = ".env.$(touch pwned)';x"
    (git_repo / name).write_text("API_KEY=x\n")
    result = run("env-file-guard", name, cwd=git_repo)
    assert result.returncode == 1
    command = result.stdout.split("`git rm --cached -- ", 1)[1].split("`", 1)[0]
    echoed = subprocess.run(["bash", "-c", f"printf '%s' {command}"], cwd=git_repo, capture_output=True, text=True)
    assert echoed.stdout == name and not (git_repo / "pwned").exists()
