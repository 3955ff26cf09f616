"""Commit and tag messages, and every stash entry, in --history and in pushes."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import git

BIN = Path(sys.executable).parent


def _history(repo: Path, *extra: str) -> tuple[int, dict, str]:
    out = subprocess.run([str(BIN / "crypto-key-guard"), "scan", "--history", "--format", "json", *extra],
                         cwd=repo, capture_output=True, text=True)
    return out.returncode, json.loads(out.stdout or "{}"), out.stdout + out.stderr


def test_commit_message_body_and_annotated_tag_message(git_repo, fake) -> None:
    secret, other = fake("{alnum:64}"), fake("{alnum:64}")
    (git_repo / "a.txt").write_text("x\n")
    git(git_repo, "add", "-A")
    git(git_repo, "commit", "-qm", "deploy", "-m", f"notes\nOKX_API_SECRET={secret}", "--no-verify")
    sha = git(git_repo, "rev-parse", "--short", "HEAD").stdout.strip()
    git(git_repo, "tag", "-a", "v1", "-m", f"release\n\nBINANCE_API_SECRET={other}")
    rc, report, raw = _history(git_repo)
    assert rc == 1, raw
    files = sorted(f["file"] for f in report["findings"])
    assert files == [f"commit {sha} (message)", "tag v1 (message)"]
    by_file = {f["file"]: f for f in report["findings"]}
    assert by_file[f"commit {sha} (message)"]["line"] == 4  # subject, blank line, "notes", the secret
    assert secret not in raw and other not in raw
    text = subprocess.run([str(BIN / "crypto-key-guard"), "scan", "--history"], cwd=git_repo,
                          capture_output=True, text=True).stdout
    assert "in the commit message" in text and "in the tag message" in text


def test_message_findings_honour_the_ignore_file(git_repo, fake) -> None:
    (git_repo / "a.txt").write_text("x\n")
    git(git_repo, "add", "-A")
    git(git_repo, "commit", "-qm", "deploy", "-m", f"OKX_API_SECRET={fake('{alnum:64}')}", "--no-verify")
    rc, report, _ = _history(git_repo)
    f = report["findings"][0]
    (git_repo / ".crypto-key-guard-ignore").write_text(f"{f['rule']}:{f['fingerprint']}\n")
    rc, report, raw = _history(git_repo)
    assert rc == 0 and report["findings"] == [], raw


def test_every_stash_entry_not_only_the_newest(git_repo, fake) -> None:
    secret = fake("{alnum:64}")
    (git_repo / "bot.py").write_text("import os\n")
    git(git_repo, "add", "-A")
    git(git_repo, "commit", "-qm", "init", "--no-verify")
    (git_repo / "bot.py").write_text(f'BINANCE_API_SECRET = "{secret}"\n')
    git(git_repo, "stash", "-q")
    (git_repo / "bot.py").write_text("import sys\n")
    git(git_repo, "stash", "-q")  # the key is now in stash@{1}, which no ref names
    rc, report, raw = _history(git_repo)
    assert rc == 1 and report["findings"][0]["file"] == "bot.py", raw
    assert secret not in raw
