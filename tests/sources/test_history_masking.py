"""`scan --history` never prints a reported secret that also sits in a commit subject or a ref name, whatever its
length, in any format (issue 17, item 1). Through the `crypto-key-guard` process and real git."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conftest import git

BIN = Path(sys.executable).parent


@pytest.mark.parametrize("fmt", ["text", "json", "sarif"])
def test_short_secrets_in_commit_subjects_are_masked(git_repo: Path, fake, rng, fmt: str) -> None:
    bybit_key = fake("{alnum:18}")
    passphrase = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(11))
    (git_repo / "bybit.env").write_text(f"BYBIT_API_KEY={bybit_key}\nBYBIT_API_SECRET={fake('{alnum:36}')}\n")
    (git_repo / "okx.py").write_text(f'import ccxt\nOKX_API_KEY = "{fake("{uuid}")}"\n'
                                     f'OKX_PASSPHRASE = "{passphrase}"\nccxt.okx()\n')
    git(git_repo, "add", "-A")
    git(git_repo, "commit", "-qm", f"bybit now uses {bybit_key}, okx pass '{passphrase}'", "--no-verify")
    git(git_repo, "branch", f"rotate-{bybit_key}")
    result = subprocess.run([str(BIN / "crypto-key-guard"), "scan", "--history", "--format", fmt], cwd=git_repo,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 1, result.stderr
    out = result.stdout + result.stderr
    assert "bybit" in out.lower() and "okx" in out.lower()  # the findings and the commit are reported
    assert bybit_key not in out and passphrase not in out
    assert "bybit now uses" in out  # the subject itself is still shown, with the values masked
