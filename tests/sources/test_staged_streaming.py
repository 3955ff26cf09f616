"""`scan --staged` streams each staged blob through the scanner's windows: memory does not grow with the file
(issue 17, item 15). Measured in a process running the real CLI entry point (git's own memory not counted)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import git

# VmHWM where there is /proc: ru_maxrss survives exec, so a child of a big pytest process would report pytest's peak
MEASURE = """
import json, os, resource, sys
from crypto_key_guard.cli import main
code = main(["scan", "--staged", "--format", "json"])
sys.stdout.flush()
try:
    with open("/proc/self/status") as fh:
        kib = next(int(line.split()[1]) for line in fh if line.startswith("VmHWM:"))
except OSError:
    kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // (1024 if sys.platform == "darwin" else 1)
print(json.dumps({"code": code, "kib": kib}), file=sys.stderr)
"""


@pytest.mark.skipif(sys.platform == "win32", reason="resource is POSIX")
def test_a_large_staged_file_is_scanned_in_bounded_memory(git_repo: Path, fake) -> None:
    size_mb = 128
    filler = b"value = compute(42)  # a line of filler for the staged-memory test\n"
    secret = fake("{alnum:64}")
    with open(git_repo / "big.txt", "wb") as fh:
        half = size_mb * 1024 * 1024 // len(filler) // 2
        fh.write(filler * half)
        fh.write(f'BINANCE_API_SECRET = "{secret}"\n'.encode())
        fh.write(filler * half)
    git(git_repo, "add", "big.txt")
    (git_repo / "big.txt").write_bytes(b"clean work tree\n")  # the index blob is what is judged
    result = subprocess.run([sys.executable, "-c", MEASURE], cwd=git_repo, capture_output=True, timeout=600)
    measured = json.loads(result.stderr.decode().strip().splitlines()[-1])
    rss_mb = measured["kib"] / 1024
    assert measured["code"] == 1
    [finding] = json.loads(result.stdout)["findings"]
    assert finding["file"] == "big.txt" and finding["line"] == half + 1
    assert rss_mb < size_mb, f"peak RSS {rss_mb:.0f} MB for a {size_mb} MB staged file"
