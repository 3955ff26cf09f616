"""Bad places and bad names end in one clear line and the right exit code, never a traceback (issue 17, items 9
and 12). Through the `crypto-key-guard` process."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent


def ckg(*args: str, cwd: Path, timeout: int = 120, **kwargs) -> subprocess.CompletedProcess:
    kwargs.setdefault("stdout", subprocess.PIPE)
    kwargs.setdefault("stderr", subprocess.PIPE)
    return subprocess.run([str(BIN / "crypto-key-guard"), *args], cwd=cwd, timeout=timeout, **kwargs)


def one_line_error(result: subprocess.CompletedProcess, *words: str) -> None:
    err = result.stderr.decode("utf-8", "replace")
    assert result.returncode == 2, (result.returncode, err)
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    for word in words:
        assert word in err, err


@pytest.fixture
def keyfile(tmp_path: Path, fake) -> Path:
    target = tmp_path / "work" / "bot.py"
    target.parent.mkdir()
    target.write_text(f'BINANCE_API_SECRET = "{fake("{alnum:64}")}"\n')
    return target


@pytest.mark.skipif(sys.platform in ("darwin", "win32"), reason="file names there must be valid Unicode")
@pytest.mark.parametrize("fmt", ["json", "sarif", "gitlab"])
def test_non_utf8_file_names_give_valid_utf8_reports(tmp_path: Path, fake, fmt: str) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    with open(os.path.join(os.fsencode(tree), b"bot\xff.py"), "w") as fh:
        fh.write(f'BINANCE_API_SECRET = "{fake("{alnum:64}")}"\n')
    to_file = ckg("scan", "--format", fmt, "-o", str(tmp_path / f"out.{fmt}"), str(tree), cwd=tmp_path)
    assert to_file.returncode == 1 and b"Traceback" not in to_file.stderr, to_file.stderr
    on_stdout = ckg("scan", "--format", fmt, str(tree), cwd=tmp_path)
    assert on_stdout.returncode == 1 and b"Traceback" not in on_stdout.stderr
    for raw in ((tmp_path / f"out.{fmt}").read_bytes(), on_stdout.stdout):
        doc = json.loads(raw.decode("utf-8"))  # strict UTF-8
        text = json.dumps(doc)
        assert "bot\\\\xff.py" in text or "bot%FF.py" in text


def test_report_into_a_missing_directory(keyfile: Path) -> None:
    result = ckg("scan", "-o", "/nonexistent/dir/out.json", "--format", "json", str(keyfile), cwd=keyfile.parent)
    one_line_error(result, "/nonexistent/dir/out.json", "cannot write")


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize("fmt", ["text", "json", "sarif"])
def test_report_onto_a_full_disk(keyfile: Path, fmt: str) -> None:
    with open("/dev/full", "w") as full:
        result = ckg("scan", "--format", fmt, str(keyfile), cwd=keyfile.parent, stdout=full, stderr=subprocess.PIPE)
    one_line_error(result, "No space left")
    one_line_error(ckg("scan", "--format", fmt, "-o", "/dev/full", str(keyfile), cwd=keyfile.parent),
                   "No space left")


@pytest.mark.parametrize("setting", ["patterns: [/dev/zero]", "ignore_file: /dev/zero", "patterns: [fifo.yaml]",
                                     "ignore_file: fifo", "patterns: [a-directory]"])
def test_configured_files_that_are_not_regular_files(keyfile: Path, setting: str) -> None:
    repo = keyfile.parent
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    if hasattr(os, "mkfifo"):
        os.mkfifo(repo / "fifo.yaml")
        os.mkfifo(repo / "fifo")
    (repo / "a-directory").mkdir()
    (repo / ".crypto-key-guard.yaml").write_text(setting + "\n")
    if "fifo" in setting and not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs here")
    one_line_error(ckg("scan", "bot.py", cwd=repo, timeout=30), "not a regular file")


def test_duplicate_keys_in_the_configuration(keyfile: Path) -> None:
    repo = keyfile.parent
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    (repo / ".crypto-key-guard.yaml").write_text("min_severity: critical\nexclude: [x]\nmin_severity: low\n")
    one_line_error(ckg("scan", "bot.py", cwd=repo), ".crypto-key-guard.yaml", "duplicate key 'min_severity'",
                   "line 3")


def test_a_tree_deeper_than_the_recursion_limit_outside_git(tmp_path: Path, fake) -> None:
    deep = tmp_path / "deep"
    deep.mkdir()
    try:
        here = os.open(deep, os.O_RDONLY)
        for _ in range(1100):  # os.makedirs itself recurses per level
            os.mkdir("d", dir_fd=here)
            inner = os.open("d", os.O_RDONLY, dir_fd=here)
            os.close(here)
            here = inner
        fd = os.open("bot.py", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=here)
        os.write(fd, f'BINANCE_API_SECRET = "{fake("{alnum:64}")}"\n'.encode())
        os.close(fd)
        os.close(here)
        env = dict(os.environ, GIT_CEILING_DIRECTORIES=str(tmp_path))
        result = ckg("scan", "--format", "json", str(deep), cwd=tmp_path, env=env)
    finally:
        _remove_deep(deep)  # shutil.rmtree (pytest's clean-up of old runs, shared by everyone) recurses per level
    assert result.returncode == 1 and b"Traceback" not in result.stderr and b"recursion" not in result.stderr
    [finding] = json.loads(result.stdout)["findings"]
    assert finding["file"].endswith("bot.py") and finding["file"].count("d/") == 1100


def _remove_deep(top: Path) -> None:
    """Remove a chain of directories named d (and files in them) without recursion, however deep."""
    fds = [os.open(top, os.O_RDONLY)]
    while True:
        try:
            fds.append(os.open("d", os.O_RDONLY, dir_fd=fds[-1]))
        except OSError:
            break
    for fd in reversed(fds):
        for name in os.listdir(fd):
            if name != "d":
                os.unlink(name, dir_fd=fd)
        if fd is not fds[0]:
            os.close(fd)
            parent = fds[fds.index(fd) - 1]
            os.rmdir("d", dir_fd=parent)
    os.close(fds[0])
