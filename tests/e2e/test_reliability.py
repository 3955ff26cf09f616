"""Bad inputs end in a verdict or a one-line message, never a traceback; secrets never echoed whole.

Each case goes through a real entry point: a hook's main(), or `crypto-key-guard scan` as a process.
"""
from __future__ import annotations

import codecs
import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import git

from crypto_key_guard import crypto_key_patterns
from crypto_key_guard.engine.scanner import Scanner
from crypto_key_guard.engine.findings import redact

BIN = Path(sys.executable).parent


def cli(*args: str, cwd: Path, timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "crypto-key-guard"), *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout)


def secret_line(fake) -> tuple[str, str]:
    secret = fake("{alnum:64}")
    return secret, f'BINANCE_API_SECRET = "{secret}"'


# -- the bad-input matrix -------------------------------------------------------------------------------------
BAD_CONTENT = {
    "png image": b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + bytes(range(256)) * 64,
    "zip archive": b"PK\x03\x04\x14\0\0\0\x08\0" + os.urandom(4096),
    "ELF object": b"\x7fELF\x02\x01\x01\0" + bytes(4096),
    "NUL inside text": b"key = 1\n\0\nmore text\n",
    "invalid UTF-8": b'x = "\xff\xfe\xc3\x28 broken"\n',
    "empty": b"",
    "CRLF and mixed endings": b"a = 1\r\nb = 2\nc = 3\r\n",
    "lone surrogate bytes": b"\xed\xa0\x80 text\n",
}


@pytest.mark.parametrize("name", sorted(BAD_CONTENT))
def test_bad_content_through_the_hook(tmp_path, capsys, name) -> None:
    path = tmp_path / "file.dat"
    path.write_bytes(BAD_CONTENT[name])
    assert crypto_key_patterns.main([str(path)]) == 0
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err


@pytest.mark.parametrize("encoding,bom", [
    ("utf-16-le", codecs.BOM_UTF16_LE), ("utf-16-be", codecs.BOM_UTF16_BE),
    ("utf-32-le", codecs.BOM_UTF32_LE), ("utf-32-be", codecs.BOM_UTF32_BE), ("utf-8", codecs.BOM_UTF8),
])
def test_bom_encoded_text_is_decoded_and_scanned(tmp_path, fake, encoding, bom) -> None:
    _, line = secret_line(fake)
    path = tmp_path / f"{encoding}.py"
    path.write_bytes(bom + f"# comment\r\n{line}\r\n".encode(encoding))
    assert crypto_key_patterns.main([str(path)]) == 1


def test_crlf_line_numbers(tmp_path, fake, capsys) -> None:
    _, line = secret_line(fake)
    path = tmp_path / "crlf.py"
    path.write_bytes(f"a = 1\r\nb = 2\n\r\n{line}\r\n".encode())
    assert crypto_key_patterns.main([str(path)]) == 1
    assert f"{path}:4:" in capsys.readouterr().out


def test_key_in_the_middle_of_a_50mb_single_line(tmp_path, fake) -> None:
    secret, line = secret_line(fake)
    pad = "a" * (25 << 20)
    path = tmp_path / "bundle.min.js"
    path.write_text(f'var x="{pad}";{line};var y="{pad}";')
    result = cli("scan", "--format", "json", str(path), cwd=tmp_path)
    assert result.returncode == 1 and secret not in result.stdout
    assert json.loads(result.stdout)["findings"][0]["line"] == 1


def test_chunked_reading_finds_keys_across_window_edges(fake) -> None:
    """The streaming path (used for files over 16 MiB) with tiny windows: every key found once, lines right."""
    secrets = [fake("{alnum:64}") for _ in range(20)]
    lines = []
    for i, s in enumerate(secrets):
        lines += [f"# filler {j} " + "z" * (i * 7 % 50) for j in range(i % 5)]
        lines.append(f'BINANCE_API_SECRET = "{s}"')
    data = ("\n".join(lines) + "\n").encode()
    whole = Scanner().scan_bytes(data, "f")
    for chunk in (300, 701, 4096):
        streamed, how = Scanner().scan_stream(io.BytesIO(data), "f", chunk=chunk, overlap=512)
        assert how == "utf-8"
        assert [(f.line, f.column, f.fingerprint) for f in streamed] == \
               [(f.line, f.column, f.fingerprint) for f in whole]
    assert len(whole) == 20


def test_file_deleted_or_unreadable_after_listing(tmp_path, fake, monkeypatch) -> None:
    from crypto_key_guard.engine.scanner import scan_items
    from crypto_key_guard.sources.files import Item

    def vanished():
        raise FileNotFoundError(2, "No such file or directory")

    result = scan_items(Scanner(), [Item("gone.py", vanished)])
    assert result.findings == [] and "gone.py: cannot read" in result.notes[0]
    if os.geteuid() != 0:  # root reads anything
        path = tmp_path / "locked.py"
        path.write_text(secret_line(fake)[1])
        path.chmod(0)
        assert crypto_key_patterns.main([str(path)]) == 2


def test_paths_directories_symlinks_and_odd_names(tmp_path, fake, capsys, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    secret, line = secret_line(fake)
    outside = tmp_path.parent / f"outside-{tmp_path.name}.py"
    outside.write_text(line)
    Path("real.py").write_text("x = 1\n")
    os.symlink("real.py", "link-to-file.py")
    os.symlink("/nonexistent/target", "dangling.py")
    os.symlink(str(outside), "outside.py")
    os.symlink("loop-b", "loop-a")
    os.symlink("loop-a", "loop-b")
    Path("dir.py").mkdir()
    os.symlink("dir.py", "link-to-dir")
    odd = ["with space.py", "new\nline.py", "ünïcødé-€.py", "-dash.py"]
    for name in odd:
        Path(name).write_text(line)
    argv = ["real.py", "link-to-file.py", "dangling.py", "outside.py", "loop-a", "dir.py", "link-to-dir",
            "missing.py", "--", *odd]
    assert crypto_key_patterns.main(argv) == 1
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err and secret not in captured.out + captured.err
    assert captured.out.count("binance-api-credential") == len(odd)  # the outside link was not followed
    assert "new\\nline.py:1:" in captured.out  # names are escaped to one line
    assert "missing.py: no such file" in captured.err


def test_scan_outside_git_walks_dotfiles_and_never_follows_links(tmp_path, fake) -> None:
    secret, line = secret_line(fake)
    root = tmp_path / "tree"
    (root / "deploy").mkdir(parents=True)
    (root / "deploy" / ".env.production").write_text(f"BINANCE_API_KEY={fake('{alnum:64}')}\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "k.py").write_text(line)
    os.symlink(str(elsewhere), root / "linked-dir")
    os.symlink(str(elsewhere / "k.py"), root / "linked-file.py")
    env = dict(os.environ, GIT_CEILING_DIRECTORIES=str(tmp_path))
    result = subprocess.run([str(BIN / "crypto-key-guard"), "scan", "--format", "json", "."], cwd=root,
                            capture_output=True, text=True, env=env)
    found = json.loads(result.stdout)["findings"]
    assert result.returncode == 1
    assert [f["file"] for f in found] == [os.path.join("deploy", ".env.production")]


def test_gitignore_oddities_are_read_right(git_repo, monkeypatch) -> None:
    from crypto_key_guard import gitignore_enforcer

    monkeypatch.chdir(git_repo)
    complete = ".env\n.env.*\n*.env\nsecrets/\nconfig/secrets.yaml\n__pycache__/\n*.pyc"
    for content in (codecs.BOM_UTF8 + complete.encode(), complete.replace("\n", "\r\n").encode(),
                    complete.encode()):  # BOM, CRLF, no final newline
        (git_repo / ".gitignore").write_bytes(content)
        assert gitignore_enforcer.main([]) == 0


# -- configuration errors and runaway patterns -------------------------------------------------------------
@pytest.mark.parametrize("regex", ["(a+)+$", "(x|x)*y", "(a|aa)*b", "(.*a){12}"])
def test_catastrophic_patterns_run_in_linear_time(tmp_path, regex) -> None:
    rules = tmp_path / "evil.yaml"
    rules.write_text(f"rules:\n  - id: evil\n    description: catastrophic\n    regex: '{regex}'\n"
                     "    keywords: [a, x]\n")
    target = tmp_path / "input.txt"
    target.write_text("a" * 50_000 + "x" * 50_000 + "!")
    started = time.monotonic()
    rc = crypto_key_patterns.main(["--patterns", str(rules), str(target)])
    assert rc in (0, 1)
    assert time.monotonic() - started < 30  # a backtracking engine would not finish in hours


def test_example_failing_user_rule_is_not_silently_accepted(tmp_path, capsys) -> None:
    rules = tmp_path / "mine.yaml"
    rules.write_text("rules:\n  - id: acme\n    description: d\n    regex: 'ACME=(?P<secret>[0-9]{8})'\n"
                     "    examples: {match: ['ACME={lower:8}']}\n")
    assert crypto_key_patterns.main(["--patterns", str(rules), str(rules)]) == 2
    err = capsys.readouterr().err
    assert "acme" in err and "example" in err


def test_empty_pattern_set_is_an_error(tmp_path, capsys) -> None:
    from crypto_key_guard.engine.rules import default_rules

    ids = [r.id for r in default_rules().rules]
    argv = [arg for rid in ids for arg in ("--disable", rid)]
    assert crypto_key_patterns.main(argv + [str(tmp_path)]) == 2
    assert "empty" in capsys.readouterr().err


# -- secret hygiene ---------------------------------------------------------------------------------------------
def test_no_output_format_or_error_path_holds_a_whole_secret(git_repo, fake) -> None:
    secrets = [fake("{alnum:64}"), fake("{alnum:64}")]
    (git_repo / "bot.py").write_text(
        f'import ccxt\nex = ccxt.binance({{"apiKey": "{secrets[0]}", "secret": "{secrets[1]}"}})\n')
    (git_repo / "cfg.json").write_text(json.dumps({"api_secret": "Q9x" + fake("{alnum:9}")}))
    secrets.append(json.loads((git_repo / "cfg.json").read_text())["api_secret"])
    git(git_repo, "add", "-A")
    outputs = []
    for fmt in ("text", "json", "sarif"):
        r = cli("scan", "--format", fmt, ".", cwd=git_repo)
        outputs.append(r.stdout + r.stderr)
    r = cli("scan", "--staged", cwd=git_repo)
    outputs.append(r.stdout + r.stderr)
    r = cli("scan", "--verbose", ".", cwd=git_repo)
    assert "bot.py: utf-8" in r.stderr  # the debug log names files and counts
    outputs.append(r.stdout + r.stderr)
    r = cli("scan", "--format", "json", "--output", "report.json", ".", cwd=git_repo)
    outputs.append((git_repo / "report.json").read_text() + r.stderr)
    for out in outputs:
        assert "binance-api-credential" in out or "results" in out or "findings" in out
        for s in secrets:
            assert s not in out
    leftovers = [p for p in Path(os.environ.get("TMPDIR", "/tmp")).glob("ckg*") if p.is_file()]
    for p in leftovers:
        data = p.read_bytes()
        assert not any(s.encode() in data for s in secrets)


@given(st.text(min_size=0, max_size=300))
@settings(max_examples=300, deadline=None)
def test_redaction_never_returns_the_whole_secret(secret: str) -> None:
    shown = redact(secret).replace("\u2026", "")
    if secret.strip():
        assert secret not in shown or len(secret) == 0
        keep = min(4, len(secret) // 5)
        assert len(shown.split("(")[0]) <= 2 * keep


@given(st.binary(max_size=4096))
@settings(max_examples=300, deadline=None)
def test_scanner_never_raises_on_arbitrary_bytes(data: bytes) -> None:
    scanner = Scanner()
    scanner.scan_content(data, "fuzz")
    scanner.scan_stream(io.BytesIO(data), "fuzz", chunk=512, overlap=128)


# -- the index, not the working tree ---------------------------------------------------------------------------
def test_staged_judges_the_index(git_repo, fake) -> None:
    secret, line = secret_line(fake)
    (git_repo / "bot.py").write_text(f"{line}\n")
    git(git_repo, "add", "bot.py")
    (git_repo / "bot.py").write_text("import os\n")  # the work tree is clean, the index is not
    r = cli("scan", "--staged", cwd=git_repo)
    assert r.returncode == 1 and "bot.py:1:" in r.stdout  # also with no commit yet (no HEAD)
    git(git_repo, "add", "bot.py")
    assert cli("scan", "--staged", cwd=git_repo).returncode == 0
    (git_repo / "bot.py").write_text(f"{line}\n")  # a key only in the work tree is not staged
    assert cli("scan", "--staged", cwd=git_repo).returncode == 0


def test_staged_renames_and_deletions(git_repo, fake) -> None:
    secret, line = secret_line(fake)
    (git_repo / "a.py").write_text(f"{line}\n")
    (git_repo / "b.py").write_text("x = 1\n")
    git(git_repo, "add", "-A")
    git(git_repo, "commit", "-qm", "one")
    git(git_repo, "mv", "a.py", "renamed.py")
    git(git_repo, "rm", "-q", "b.py")
    r = cli("scan", "--staged", cwd=git_repo)
    assert r.returncode == 1 and "renamed.py:1:" in r.stdout and "Traceback" not in r.stderr


def test_outside_git_staged_is_a_usage_error(tmp_path) -> None:
    env = dict(os.environ, GIT_CEILING_DIRECTORIES=str(tmp_path))
    r = subprocess.run([str(BIN / "crypto-key-guard"), "scan", "--staged"], cwd=tmp_path, capture_output=True,
                       text=True, env=env)
    assert r.returncode == 2 and "git repository" in r.stderr and "Traceback" not in r.stderr


# -- no network in any scanning path ---------------------------------------------------------------------------
def test_no_hook_opens_a_socket(tmp_path, fake, monkeypatch) -> None:
    import socket

    from crypto_key_guard import cli as umbrella
    from crypto_key_guard import env_file_guard, gitignore_enforcer

    def refuse(*args, **kwargs):
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.chdir(tmp_path)
    git(tmp_path, "init", "-q")
    Path("bot.py").write_text(secret_line(fake)[1])
    Path(".env").write_text("A=1\n")
    assert crypto_key_patterns.main(["bot.py"]) == 1
    assert env_file_guard.main([".env"]) == 1
    assert gitignore_enforcer.main([]) == 1
    assert umbrella.main(["scan", "."]) == 1


class _LazyText(io.RawIOBase):
    """A large text file produced on the fly (no disk): filler lines with one key in the middle."""

    def __init__(self, size: int, secret_line: bytes) -> None:
        self.size, self.pos, self.secret_line = size, 0, secret_line
        self.filler = b"const value = compute(x, y);  // an ordinary line of code" + b" " * 42 + b"\n"

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = min(len(buffer), self.size - self.pos)
        if n <= 0:
            return 0
        start_line = self.pos // len(self.filler)
        middle = (self.size // 2) // len(self.filler)
        data = bytearray()
        line = start_line
        while len(data) < n + len(self.filler) * 2:
            data += self.secret_line if line == middle else self.filler
            line += 1
        offset = self.pos - start_line * len(self.filler)
        chunk = bytes(data[offset: offset + n])
        buffer[:n] = chunk
        self.pos += n
        return n


def test_huge_file_memory_is_bounded_and_the_key_is_found(fake) -> None:
    import tracemalloc

    secret, line = secret_line(fake)
    filler_len = 100
    line_bytes = (line + " " * (filler_len - 1 - len(line)) + "\n").encode()
    assert len(line_bytes) == filler_len
    stream = io.BufferedReader(_LazyText(32 << 20, line_bytes), buffer_size=1 << 20)
    tracemalloc.start()
    findings, how = Scanner().scan_stream(stream, "big.js", chunk=4 << 20, overlap=64 << 10)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert how == "utf-8" and len(findings) == 1
    assert findings[0].line == (16 << 20) // filler_len + 1
    assert peak < 40 << 20, f"peak {peak >> 20} MiB for a 32 MiB file scanned in 4 MiB windows"


def test_tracked_file_deleted_in_the_work_tree_is_a_note(git_repo, fake) -> None:
    (git_repo / "a.py").write_text("x = 1\n")
    (git_repo / "b.py").write_text(secret_line(fake)[1] + "\n")
    git(git_repo, "add", "-A")
    (git_repo / "a.py").unlink()  # deleted, deletion not staged: git ls-files still lists it
    r = cli("scan", ".", cwd=git_repo)
    assert r.returncode == 1 and "b.py:1:" in r.stdout
    assert "a.py: deleted in the work tree" in r.stderr and "Traceback" not in r.stderr


def test_an_ignored_directory_named_on_the_command_line_is_scanned(git_repo, fake) -> None:
    (git_repo / ".gitignore").write_text("vendor/\n")
    (git_repo / "vendor").mkdir()
    (git_repo / "vendor" / "k.py").write_text(secret_line(fake)[1] + "\n")
    assert cli("scan", ".", cwd=git_repo).returncode == 0  # ignored: not part of the tree
    r = cli("scan", "vendor", cwd=git_repo)
    assert r.returncode == 1 and "k.py:1:" in r.stdout
