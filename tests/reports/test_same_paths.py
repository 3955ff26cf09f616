"""Every format names a file the same way, as the user can open it from where they ran the command (issue 17,
item 19). Through the `crypto-key-guard` process."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent


def names(fmt: str, cwd: Path, *paths: str) -> set[str]:
    out = subprocess.run([str(BIN / "crypto-key-guard"), "scan", "--format", fmt, *paths], cwd=cwd,
                         capture_output=True, text=True, timeout=120).stdout
    if fmt == "text":
        return {line.split(":", 1)[0] for line in out.splitlines() if ":1:" in line}
    if fmt == "json":
        return {f["file"] for f in json.loads(out)["findings"]}
    return {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in json.loads(out)["runs"][0]["results"]}


@pytest.mark.parametrize("args, expected", [
    (("one/file.py",), {"one/file.py"}),
    (("one",), {"one/file.py", "one/two/deep.py"}),
    (("one/two",), {"one/two/deep.py"}),
    (("one/file.py", "one/two"), {"one/file.py", "one/two/deep.py"}),
    ((), {"one/file.py", "one/two/deep.py"}),
])
def test_text_json_and_sarif_name_files_alike(git_repo: Path, fake, args, expected) -> None:
    (git_repo / "one" / "two").mkdir(parents=True)
    for name in ("one/file.py", "one/two/deep.py"):
        (git_repo / name).write_text(f'BINANCE_API_SECRET = "{fake("{alnum:64}")}"\n')
    found = {fmt: names(fmt, git_repo, *args) for fmt in ("text", "json", "sarif")}
    assert found == {"text": expected, "json": expected, "sarif": expected}
    assert all((git_repo / name).is_file() for name in expected)  # openable from where the command ran


def test_from_a_subdirectory_reports_open_from_there(git_repo: Path, fake) -> None:
    (git_repo / "one").mkdir()
    (git_repo / "one" / "file.py").write_text(f'BINANCE_API_SECRET = "{fake("{alnum:64}")}"\n')
    here = git_repo / "one"
    assert names("text", here, "file.py") == names("json", here, "file.py") == {"file.py"}
    assert names("sarif", here, "file.py") == {"one/file.py"}  # SARIF: relative to %SRCROOT%, the repository
