"""Fail closed: what cannot be read is not clean (exit 2, naming it), unless the configuration excludes it."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import git
from crypto_key_guard.engine.scanner import Scanner, scan_items
from crypto_key_guard.sources.files import Item

BIN = Path(sys.executable).parent


def _unreadable() -> None:
    raise PermissionError(13, "Permission denied")


def test_an_unreadable_listed_file_is_an_error_not_a_note() -> None:
    items = [Item("ok.py", lambda: __import__("io").BytesIO(b"x = 1\n")), Item("locked.env", _unreadable)]
    result = scan_items(Scanner(), items)
    assert result.errors and result.errors[0].startswith("locked.env: cannot read (Permission denied)")
    assert "exclude" in result.errors[0] and not result.notes


def test_missing_objects_of_a_partial_clone_fail_the_history_scan(git_repo, tmp_path) -> None:
    (git_repo / "a.py").write_text("x = 1\n")
    git(git_repo, "add", "-A")
    git(git_repo, "commit", "-qm", "one", "--no-verify")
    (git_repo / "a.py").write_text("x = 2\n")
    git(git_repo, "commit", "-qam", "two", "--no-verify")
    git(git_repo, "config", "uploadpack.allowFilter", "true")
    clone = tmp_path / "partial"
    git(tmp_path, "clone", "-q", "--no-checkout", "--filter=blob:none", f"file://{git_repo}", str(clone))
    out = subprocess.run([str(BIN / "crypto-key-guard"), "scan", "--history", "--format", "json"], cwd=clone,
                         capture_output=True, text=True)
    assert out.returncode == 2, out.stdout + out.stderr
    assert "could not be read" in out.stderr and json.loads(out.stdout)["findings"] == []
