"""End to end: the installed console scripts under the real system clock (shifted with faketime when it is
installed), and the key-rotation-check hook id through the real `pre-commit try-repo`."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from conftest import PROJECT_ROOT, git

BIN = Path(sys.executable).parent
LOG = ".key_rotation_log.json"


def run(repo: Path, *argv: str, faketime: str | None = None) -> subprocess.CompletedProcess:
    cmd = [str(BIN / argv[0]), *argv[1:]]
    if faketime:
        cmd = ["faketime", "-f", faketime, *cmd]
    return subprocess.run(cmd, cwd=repo, capture_output=True, text=True, timeout=120)


@pytest.fixture
def installed():
    for script in ("crypto-key-guard", "key-rotation-check"):
        if not (BIN / script).exists():
            pytest.fail(f"{script} is not installed next to {sys.executable}: reinstall the project (pip install -e .)")


def test_overdue_trading_key_fails_the_real_entry_point(git_repo, installed) -> None:
    # the clock is not moved: the rotation is recorded 40 days in the past instead
    forty_days_ago = (datetime.now(timezone.utc) - timedelta(days=40)).isoformat(timespec="seconds")
    recorded = run(git_repo, "crypto-key-guard", "rotation", "record", "binance-trading", "--permission", "trading",
                   "--date", forty_days_ago)
    assert recorded.returncode == 0, recorded.stderr
    assert json.loads((git_repo / LOG).read_text())["binance-trading"]["permission_level"] == "trading"
    failed = run(git_repo, "key-rotation-check")
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "binance-trading (trading)" in failed.stdout and "40 days ago; policy: every 30 days" in failed.stdout
    warned = run(git_repo, "key-rotation-check", "--warn-only")
    assert warned.returncode == 0 and warned.stdout == failed.stdout
    status = run(git_repo, "crypto-key-guard", "rotation", "status")
    assert status.returncode == 0 and "overdue" in status.stdout.splitlines()[1]


def test_record_refuses_a_secret_through_the_real_entry_point(git_repo, installed, fake) -> None:
    secret = fake("{alnum:64}")
    refused = run(git_repo, "crypto-key-guard", "rotation", "record", secret, "--permission", "trading")
    assert refused.returncode == 2
    assert secret not in refused.stdout + refused.stderr
    assert not (git_repo / LOG).exists()


def _faketime_shifts_python() -> bool:
    probe = subprocess.run(["faketime", "-f", "+40d", sys.executable, "-c", "import time; print(time.time())"],
                           capture_output=True, text=True, timeout=60)
    try:
        return float(probe.stdout) - time.time() > 39 * 86400
    except ValueError:
        return False


@pytest.mark.skipif(shutil.which("faketime") is None,
                    reason="faketime is not installed (Debian package 'faketime'); the overdue path through the "
                           "real entry point is covered by test_overdue_trading_key_fails_the_real_entry_point")
def test_hook_follows_the_system_clock_under_faketime(git_repo, installed) -> None:
    if not _faketime_shifts_python():
        pytest.skip("faketime is installed but does not shift this Python's clock")
    assert run(git_repo, "crypto-key-guard", "rotation", "record", "binance-trading", "--permission",
               "trading").returncode == 0
    assert run(git_repo, "key-rotation-check").returncode == 0
    assert run(git_repo, "key-rotation-check", faketime="+29d").returncode == 0
    later = run(git_repo, "key-rotation-check", faketime="+40d")
    assert later.returncode == 1, later.stdout + later.stderr
    assert "40 days ago" in later.stdout
    assert run(git_repo, "key-rotation-check", "--warn-only", faketime="+40d").returncode == 0


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_pre_commit_runs_the_hook_at_push_and_by_hand(git_repo) -> None:
    (git_repo / "README.md").write_text("bot\n")
    (git_repo / LOG).write_text(json.dumps({"binance-trading": {"last_rotated": "2020-01-01T00:00:00+00:00",
                                                                "permission_level": "trading"}}))
    git(git_repo, "add", "README.md")  # the log itself is not staged: always_run, pass_filenames: false
    # pre-push and manual only: a date passing must not fail an unrelated commit (.pre-commit-hooks.yaml)
    result = subprocess.run([sys.executable, "-m", "pre_commit", "try-repo", str(PROJECT_ROOT),
                             "key-rotation-check", "--verbose", "--hook-stage", "manual"], cwd=git_repo,
                            capture_output=True, text=True, timeout=600)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "binance-trading (trading) was last rotated 2020-01-01" in output
